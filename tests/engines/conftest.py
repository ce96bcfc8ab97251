import pytest

from tests.fakes.openai_server import FakeOpenAIServer


@pytest.fixture
def fake_openai():
    """A loopback server speaking OpenAI's wire format; see tests/fakes/openai_server.py."""
    with FakeOpenAIServer() as server:
        yield server
