"""diarized_json through the official openai client against the running portal: the diarizing
model name, local model names, known speakers by reference clip, and streaming."""

import base64

import openai
import pytest
from openai import OpenAI

from apps.analysis.models import VoiceProfile
from apps.api.services import api_key_create
from apps.core.media import decode_all
from apps.engines.analysis import analysis_backends
from tests.media_factory import write_wav

from .conftest import SPEAKER_1_ENDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def client(live_server, alice):
    key = api_key_create(owner=alice, name="tests")[1]
    return OpenAI(base_url=f"{live_server.url}/v1", api_key=key, max_retries=0, timeout=120)


def data_url(path) -> str:
    return "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode()


def test_it_names_a_known_speaker_and_letters_the_others(client, corpus, two_voices):
    with open(two_voices, "rb") as f:
        result = client.audio.transcriptions.create(
            model="gpt-4o-transcribe-diarize",
            file=f,
            response_format="diarized_json",
            chunking_strategy="auto",
            known_speaker_names=["jo"],
            known_speaker_references=[data_url(corpus / "eagle_spk1_utt1.wav")],
        )
    assert result.task == "transcribe" and result.duration == pytest.approx(21.2, abs=0.2)
    assert result.segments and all(s.type == "transcript.text.segment" for s in result.segments)
    first = {s.speaker for s in result.segments if s.end <= SPEAKER_1_ENDS}
    second = {s.speaker for s in result.segments if s.start >= SPEAKER_1_ENDS}
    assert first == {"jo"} and second and "jo" not in second
    assert all(len(name) == 1 for name in second)  # A, B…: no name for that voice
    assert [s.id for s in result.segments][:2] == ["seg_0", "seg_1"]
    assert "".join(s.text for s in result.segments).replace(" ", "") == result.text.replace(" ", "")


def test_it_uses_the_owners_voice_profiles_and_streams_segments(client, alice, two_voices):
    VoiceProfile.objects.create(
        owner=alice, name="Marmee", engine="local", embedding=_voice(two_voices, 11.5, 21.0)
    )
    with open(two_voices, "rb") as f:
        events = list(
            client.audio.transcriptions.create(
                model="tiny.en", file=f, response_format="diarized_json", stream=True
            )
        )
    segments = [e for e in events if e.type == "transcript.text.segment"]
    done = [e for e in events if e.type == "transcript.text.done"]
    assert segments and len(done) == 1 and events[-1].type == "transcript.text.done"
    assert {s.speaker for s in segments if s.start >= SPEAKER_1_ENDS} == {"Marmee"}
    assert "Marmee" not in {s.speaker for s in segments if s.end <= SPEAKER_1_ENDS}


def _voice(path, start: float, end: float) -> list[float]:
    """The local engine's embedding of a stretch of `path`, as a saved profile would hold."""
    audio = decode_all(path)[int(start * 16_000) : int(end * 16_000)]
    clip = write_wav(path.parent / "clip.wav", audio)
    return list(analysis_backends["local"].voice_embedding(clip))


@pytest.mark.parametrize(
    "extra,param",
    [
        ({"known_speaker_names": ["jo"]}, "known_speaker_references"),
        (
            {"known_speaker_names": ["jo"], "known_speaker_references": ["not a data url"]},
            "known_speaker_references",
        ),  # fmt: skip
        ({"chunking_strategy": {"type": "semantic"}}, "chunking_strategy"),
    ],
)
def test_it_refuses_malformed_diarization_options(client, corpus, extra, param):
    with open(corpus / "jfk.flac", "rb") as f, pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(
            model="gpt-4o-transcribe-diarize", file=f, response_format="diarized_json", **extra
        )
    assert caught.value.body["param"] == param
