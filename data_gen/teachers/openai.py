"""An OpenAI-compatible chat-completions endpoint as a teacher (as the original GPT4Tools used GPT-3.5).

The base URL and key come from the environment (``OPENAI_BASE_URL``, default ``https://api.openai.com/v1``;
``OPENAI_API_KEY``), or from variables named in the config (``base_url_env``, ``api_key_env``).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

from data_gen.teachers.llm import TeacherCallError


class OpenAIBackend:
    """One chat-completions request per prompt; transport and format errors become TeacherCallError."""

    def __init__(
        self,
        model: str = "gpt-3.5-turbo",
        *,
        seed: int = 0,
        base_url_env: str = "OPENAI_BASE_URL",
        api_key_env: str = "OPENAI_API_KEY",
        temperature: float = 0.8,
        max_tokens: int = 512,
        timeout_s: float = 60.0,
        backoff_s: float = 2.0,
    ) -> None:
        self.base_url = os.environ.get(base_url_env, "https://api.openai.com/v1").rstrip("/")
        self.api_key = os.environ.get(api_key_env, "")
        if not self.api_key:
            raise TeacherCallError(
                f"the openai teacher needs an API key in ${api_key_env} (any value for local servers)"
            )
        self.model = model
        self.seed = seed
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.identity = f"openai|{self.base_url}|{model}|{temperature}|{max_tokens}|{seed}"

    def _request(self, prompt: str, attempt: int) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed + attempt,
        }
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                data = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise TeacherCallError(f"{self.base_url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TeacherCallError(f"{self.base_url}: {exc}") from None
        except json.JSONDecodeError:
            raise TeacherCallError(f"{self.base_url}: the response is not JSON") from None
        try:
            return data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise TeacherCallError(f"{self.base_url}: no choices[0].message.content in the response") from None

    def complete(self, prompts: list[str], attempt: int) -> list[str]:
        if attempt and self.backoff_s:
            time.sleep(self.backoff_s * attempt)
        return [self._request(prompt, attempt) for prompt in prompts]
