"""Any chat-completions endpoint (OpenAI, or a self-hosted compatible server) through the official
openai SDK, streamed."""

from collections.abc import Iterator

from ..cloud import openai_client, openai_error
from ..errors import ErrorKind, ProviderError
from .base import ChatRequest, LanguageModelBackend


class OpenAICompatibleLanguageModel(LanguageModelBackend):
    label = "OpenAI-compatible chat completions"

    def __init__(self, *, alias: str, model: str, api_key: str = "", base_url: str | None = None,
                 timeout: float = 60.0, max_retries: int = 2, **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        self.model = model
        # Self-hosted servers often want no key, but the SDK insists on one.
        self.client = openai_client(api_key=api_key or "no-key", base_url=base_url,
                                    timeout=timeout, max_retries=max_retries)  # fmt: skip

    def configuration_problem(self) -> str | None:
        return None if self.model else "no model is named"

    def stream(self, request: ChatRequest) -> Iterator[str]:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=request.as_openai(),
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                stream=True,
            )
        except openai.OpenAIError as exc:
            raise openai_error(exc) from exc
        try:
            for chunk in response:
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        yield choice.delta.content
        except openai.OpenAIError as exc:
            raise openai_error(exc) from exc
        except ValueError as exc:  # a reply that is not the chat shape
            raise ProviderError(f"Unexpected reply: {exc}", kind=ErrorKind.INTERNAL) from exc
        finally:
            response.close()  # stops the server's generation when the caller stops reading
