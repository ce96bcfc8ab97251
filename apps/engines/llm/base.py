"""The language model contract: a chat in, the reply's text out as it is generated.

Both backends speak OpenAI's chat shape (the local one through llama.cpp's server code, the other
through the official SDK), so a request is a list of role/content messages. `stream()` is a
generator of text pieces; closing it early (a barge-in) stops generation at the model, so an
abandoned reply costs no more compute. Calls block: run them in a worker thread, never on an
event loop.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[ChatMessage, ...]
    max_tokens: int = 160
    temperature: float = 0.2

    def as_openai(self) -> list[dict]:
        return [{"role": m.role, "content": m.content} for m in self.messages]


class LanguageModelBackend:
    """Base class for engines, selected by LANGUAGE_MODELS aliases."""

    label = "Language model"
    # True when the model runs on this machine (load it once per process).
    runs_locally = False

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    def stream(self, request: ChatRequest) -> Iterator[str]:
        """The reply in pieces as they are generated; ProviderError on failure. Closing the
        generator stops generation."""
        raise NotImplementedError

    def complete(self, request: ChatRequest) -> str:
        return "".join(self.stream(request)).strip()

    def configuration_problem(self) -> str | None:
        return None
