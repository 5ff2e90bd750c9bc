"""The one client for OpenAI-compatible chat-completions endpoints (inference baselines and data_gen teachers).

One retry rule for every caller: a transport error, HTTP 429 or a 5xx answer is retried up to ``retries``
times, waiting ``backoff_s x 2^attempt`` seconds (at most 30) in between; any other answer is final. The
base URL and key come from the arguments, else ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``; a local server
needs no key.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import httpx

from protocol.errors import InputError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0


class OpenAIError(RuntimeError, InputError):
    """The endpoint could not be reached or answered something unusable; the message says what to check."""


@dataclass(frozen=True)
class ChatReply:
    """The first choice of a chat completion."""

    text: str
    finish_reason: str | None


class OpenAIChat:
    """Chat completions of one model, one request per prompt, retried by the module's rule."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        key = api_key or os.environ.get("OPENAI_API_KEY", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = client or httpx.Client(timeout=timeout_s, headers=headers)
        self.retries = retries
        self.backoff_s = backoff_s

    def _post(self, payload: dict) -> dict:
        url = f"{self.base_url}/chat/completions"
        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(url, json=payload)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise OpenAIError(f"cannot reach {url}: {exc}; check the base URL (OPENAI_BASE_URL)") from None
            else:
                if response.status_code not in RETRY_STATUS or attempt == self.retries:
                    break
            logger.info("retrying %s (attempt %d of %d)", url, attempt + 2, self.retries + 1)
            time.sleep(min(self.backoff_s * 2.0**attempt, MAX_BACKOFF_S))
        if response.status_code != 200:
            raise OpenAIError(
                f"{url} answered HTTP {response.status_code}: {response.text[:300]}"
                + (" (set OPENAI_API_KEY or pass the key)" if response.status_code == 401 else "")
            )
        try:
            return response.json()
        except ValueError:
            raise OpenAIError(f"{url} answered something that is not JSON: {response.text[:300]}") from None

    def chat(
        self,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
    ) -> ChatReply:
        """The reply to ``prompt`` sent as one user message."""
        payload: dict = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if stop:
            payload["stop"] = stop
        if seed is not None:
            payload["seed"] = seed
        data = self._post(payload)
        try:
            choice = data["choices"][0]
            return ChatReply(choice["message"]["content"] or "", choice.get("finish_reason"))
        except (KeyError, IndexError, TypeError, AttributeError):
            raise OpenAIError(
                f"unexpected chat-completions answer (no choices[0].message.content): {str(data)[:300]}"
            ) from None
