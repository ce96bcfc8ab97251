"""Language models: the packaged SmolLM2 really loads and answers, streams, and stops when the
reader stops; an OpenAI-compatible endpoint is driven through the real SDK."""

import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.llm.base import ChatMessage, ChatRequest
from apps.engines.llm.local import LocalLanguageModel
from apps.engines.llm.openai_compatible import OpenAICompatibleLanguageModel

SYSTEM = ChatMessage("system", "You are a friendly voice assistant. Answer in one short sentence.")


def ask(question: str, **kwargs) -> ChatRequest:
    return ChatRequest(messages=(SYSTEM, ChatMessage("user", question)), **kwargs)


@pytest.fixture(scope="session")
def local_llm():
    return LocalLanguageModel(alias="local", threads=1)


def test_the_packaged_model_answers_a_short_question_sensibly(local_llm):
    answer = local_llm.complete(ask("What colour is the sky on a clear day?", temperature=0.0))
    assert "blue" in answer.lower()


def test_the_model_loads_once_per_process(local_llm):
    assert local_llm.server() is LocalLanguageModel(alias="other").server()


def test_closing_the_stream_stops_generation(local_llm):
    pieces = local_llm.stream(ask("Tell me a long story about a dragon.", max_tokens=150))
    first = [next(pieces) for _ in range(3)]
    pieces.close()
    assert all(isinstance(p, str) for p in first)
    # The model is free again at once: a new request is answered, not queued behind the story.
    assert local_llm.complete(ask("Say hello.", max_tokens=8))


def test_an_openai_compatible_server_streams_the_reply(fake_openai):
    fake_openai.chat_reply = "Paris is the capital of France."
    backend = OpenAICompatibleLanguageModel(
        alias="remote", model="gpt-4o-mini", api_key=fake_openai.api_key,
        base_url=fake_openai.url, max_retries=0,
    )  # fmt: skip
    pieces = list(backend.stream(ask("What is the capital of France?")))
    assert len(pieces) > 1 and "".join(pieces).strip() == fake_openai.chat_reply
    (request,) = fake_openai.requests_to("/v1/chat/completions")
    assert request.json["stream"] is True
    assert request.json["messages"][-1] == {
        "role": "user",
        "content": "What is the capital of France?",
    }


def test_an_openai_compatible_failure_is_a_provider_error(fake_openai):
    fake_openai.script(status=401, path="/v1/chat/completions")
    backend = OpenAICompatibleLanguageModel(
        alias="remote", model="gpt-4o-mini", api_key="wrong", base_url=fake_openai.url,
        max_retries=0,
    )  # fmt: skip
    with pytest.raises(ProviderError) as caught:
        backend.complete(ask("Hello?"))
    assert caught.value.kind == ErrorKind.AUTHENTICATION
