import pytest

from tests.fakes.assemblyai_server import FakeAssemblyAIServer
from tests.fakes.openai_server import FakeOpenAIServer


@pytest.fixture
def fake_openai():
    """A loopback server speaking OpenAI's wire format; see tests/fakes/openai_server.py."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_assemblyai():
    """A loopback server speaking AssemblyAI's wire format; see tests/fakes/assemblyai_server.py."""
    with FakeAssemblyAIServer() as server:
        yield server
