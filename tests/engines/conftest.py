import io

import av
import pytest

from tests.fakes.assemblyai_server import FakeAssemblyAIServer
from tests.fakes.elevenlabs_server import FakeElevenLabsServer
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


@pytest.fixture
def fake_elevenlabs():
    """A loopback server speaking ElevenLabs' wire format; see tests/fakes/elevenlabs_server.py."""
    with FakeElevenLabsServer() as server:
        yield server


def _decoded_duration(audio: bytes, audio_format: str) -> float:
    if audio_format == "pcm":
        return len(audio) / 2 / 24_000  # raw 16-bit mono at 24 kHz
    with av.open(io.BytesIO(audio)) as container:
        frames = list(container.decode(audio=0))
    return sum(f.samples for f in frames) / frames[0].sample_rate


@pytest.fixture
def decoded_duration():
    """Seconds of audio in bytes of one of the portal's formats, decoded with PyAV."""
    return _decoded_duration
