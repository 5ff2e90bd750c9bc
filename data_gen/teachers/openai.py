"""An OpenAI-compatible chat-completions endpoint as a teacher (as the original GPT4Tools used GPT-3.5).

Requests go through :class:`generation.openai.OpenAIChat`, the project's one client (and its one retry rule
for transport errors, rate limits and 5xx answers). The base URL and key come from the environment
(``OPENAI_BASE_URL``, default ``https://api.openai.com/v1``; ``OPENAI_API_KEY``), or from variables named in
the config (``base_url_env``, ``api_key_env``).
"""

from __future__ import annotations

import os

from data_gen.config import ConfigError
from data_gen.teachers.base import TeacherCallError
from generation.openai import DEFAULT_BASE_URL, OpenAIChat, OpenAIError


class OpenAITeacherBackend:
    """A teacher's completions: one sampled chat completion per prompt; a failed request (after the client's
    retries) becomes :class:`TeacherCallError`."""

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
        retries: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        base_url = os.environ.get(base_url_env, DEFAULT_BASE_URL)
        api_key = os.environ.get(api_key_env, "")
        if not api_key:
            raise ConfigError(f"the openai teacher needs an API key in ${api_key_env} (any value for local servers)")
        self.chat = OpenAIChat(model, base_url, api_key, timeout_s=timeout_s, retries=retries, backoff_s=backoff_s)
        self.seed = seed
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.identity = f"openai|{self.chat.base_url}|{model}|{temperature}|{max_tokens}|{seed}"

    def complete(self, prompts: list[str], attempt: int) -> list[str]:
        try:
            return [
                self.chat.chat(
                    p, max_tokens=self.max_tokens, temperature=self.temperature, seed=self.seed + attempt
                ).text
                for p in prompts
            ]
        except OpenAIError as exc:
            raise TeacherCallError(str(exc)) from None
