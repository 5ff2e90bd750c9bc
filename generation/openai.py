"""An OpenAI-compatible chat-completions endpoint as an inference backend (GPT-3.5-style baselines).

The instruction and scratchpad go as one user message; generation stops at ``Observation:`` through the
API's ``stop`` sequences. APIs drop the stop sequence from the reply, so it is put back after a tool call,
giving the same completion shape as the local backend.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence

import httpx

from protocol.records import Record
from protocol.steps import OBSERVATION, ToolCall, parse_reply

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = {429, 500, 502, 503, 504}


class OpenAIBackendError(RuntimeError):
    """The endpoint refused or answered something unusable; the message says what and how to fix it."""


class OpenAIBackend:
    """Greedy (temperature 0) chat completions, one request per record, retried on rate limits and 5xx."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        client: httpx.Client | None = None,
    ) -> None:
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        key = api_key or os.environ.get("OPENAI_API_KEY", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = client or httpx.Client(timeout=timeout, headers=headers)
        self.retries = retries

    def _post(self, payload: dict) -> dict:
        url = f"{self.base_url}/chat/completions"
        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(url, json=payload)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise OpenAIBackendError(f"cannot reach {url}: {exc}; check --openai_base_url") from exc
            else:
                if response.status_code not in _RETRY_STATUS or attempt == self.retries:
                    break
            time.sleep(min(2.0**attempt, 30.0))
        if response.status_code != 200:
            raise OpenAIBackendError(
                f"{url} answered HTTP {response.status_code}: {response.text[:300]}"
                + (" (set OPENAI_API_KEY or --openai_api_key)" if response.status_code == 401 else "")
            )
        try:
            return response.json()
        except ValueError as exc:
            raise OpenAIBackendError(f"{url} answered something that is not JSON: {response.text[:300]}") from exc

    def complete_one(self, record: Record, max_new_tokens: int) -> str:
        payload = {
            "model": self.model,
            "messages": [{"role": "user", "content": record.instruction + record.input}],
            "temperature": 0,
            "max_tokens": max_new_tokens,
            "stop": [OBSERVATION],
        }
        data = self._post(payload)
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise OpenAIBackendError(
                f"unexpected chat-completions answer (no choices[0].message.content): {data}"
            ) from exc
        if choice.get("finish_reason") == "stop" and isinstance(parse_reply(text), ToolCall):
            text = text.rstrip() + "\n" + OBSERVATION
        return text

    def complete(self, records: Sequence[Record], max_new_tokens: int) -> list[str]:
        return [self.complete_one(record, max_new_tokens) for record in records]
