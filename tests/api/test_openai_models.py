"""Today's OpenAI transcription models and include=["logprobs"], through the official SDK against
the running portal, with code as OpenAI's speech-to-text guide writes it."""

import openai
import pytest

from apps.transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db(transaction=True)

JFK = "ask not what your country can do for you"
TODAYS_NAMES = [
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-transcribe",
]


@pytest.fixture
def table(settings):
    """The model table, to change one entry: table("whisper-1", MODEL="base")."""

    def change(name, **entry):
        models = dict(settings.VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS)
        models[name] = {**models[name], **entry}
        settings.VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS = models

    return change


@pytest.mark.parametrize("model", TODAYS_NAMES)
def test_todays_model_names_transcribe(openai_client, corpus, model):
    audio_file = open(corpus / "jfk.flac", "rb")  # noqa: SIM115 (as OpenAI's guide does it)
    transcription = openai_client.audio.transcriptions.create(model=model, file=audio_file)
    assert JFK in transcription.text.lower()
    # Usage as OpenAI reports it for these models: tokens, not seconds.
    assert transcription.usage.type == "tokens"
    assert transcription.usage.input_token_details.audio_tokens == 110  # 11 s of audio
    assert transcription.usage.total_tokens > transcription.usage.input_tokens
    assert Transcript.objects.get().model == "tiny.en"  # the test settings' default model


def test_a_name_means_the_model_the_table_says(openai_client, corpus, table):
    table("gpt-4o-mini-transcribe", MODEL="base")
    with open(corpus / "jfk.flac", "rb") as f:
        result = openai_client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=f)
    assert JFK in result.text.lower()
    assert Transcript.objects.get().model == "base"


def test_whisper_1_keeps_reporting_seconds(openai_client, corpus):
    with open(corpus / "jfk.flac", "rb") as f:
        result = openai_client.audio.transcriptions.create(model="whisper-1", file=f)
    assert (result.usage.type, result.usage.seconds) == ("duration", 11)


def test_translations_take_whisper_1(openai_client, corpus, table):
    table("whisper-1", MODEL="base")  # the test settings' default, tiny.en, cannot translate
    with open(corpus / "cheetah_fr.wav", "rb") as f:
        result = openai_client.audio.translations.create(model="whisper-1", file=f)
    assert result.text.strip()
    assert Transcript.objects.get().task == "translate"


def test_translations_refuse_what_openai_refuses_there(openai_client, corpus):
    with open(corpus / "cheetah_fr.wav", "rb") as f, pytest.raises(openai.BadRequestError) as info:
        openai_client.audio.translations.create(model="gpt-4o-transcribe", file=f)
    assert info.value.body["param"] == "model"
    assert "whisper-1" in info.value.message
    assert not Transcript.objects.exists()


def test_an_unknown_name_is_refused_with_the_names_there_are(openai_client, corpus):
    with open(corpus / "jfk.flac", "rb") as f, pytest.raises(openai.BadRequestError) as info:
        openai_client.audio.transcriptions.create(model="gpt-5-transcribe", file=f)
    assert info.value.body["param"] == "model"
    assert "gpt-4o-transcribe" in info.value.message and "tiny.en" in info.value.message


def test_the_model_list_has_every_name(openai_client):
    ids = {m.id for m in openai_client.models.list()}
    assert {*TODAYS_NAMES, "whisper-1", "gpt-4o-transcribe-diarize", "base", "tiny.en"} <= ids
    assert openai_client.models.retrieve("gpt-4o-mini-transcribe").id == "gpt-4o-mini-transcribe"


def test_logprobs_come_with_the_json_response(openai_client, corpus):
    audio_file = open(corpus / "jfk.flac", "rb")  # noqa: SIM115 (as OpenAI's guide does it)
    transcription = openai_client.audio.transcriptions.create(
        file=audio_file,
        model="gpt-4o-transcribe",
        response_format="json",
        include=["logprobs"],
    )
    tokens = transcription.logprobs
    assert len(tokens) >= 20
    assert "".join(t.token for t in tokens).strip() == transcription.text
    assert all(bytes(int(b) for b in t.bytes).decode() == t.token for t in tokens)
    assert all(t.logprob <= 0 for t in tokens)
    assert any(t.logprob < -0.05 for t in tokens) and any(t.logprob > -0.01 for t in tokens)


def test_logprobs_are_left_out_unless_asked(openai_client, corpus):
    with open(corpus / "jfk.flac", "rb") as f:
        result = openai_client.audio.transcriptions.create(model="gpt-4o-transcribe", file=f)
    assert result.logprobs is None
    assert Segment.objects.exists()
    assert not Segment.objects.exclude(logprobs=[]).exists()  # not computed either


@pytest.mark.parametrize(
    "kwargs",
    [
        {"response_format": "verbose_json"},
        {"response_format": "text"},
        {"model": "gpt-4o-transcribe-diarize"},
    ],
)
def test_logprobs_are_refused_where_openai_gives_none(openai_client, corpus, kwargs):
    with open(corpus / "jfk.flac", "rb") as f, pytest.raises(openai.BadRequestError) as info:
        openai_client.audio.transcriptions.create(
            **({"model": "gpt-4o-transcribe", "file": f, "include": ["logprobs"]} | kwargs)
        )
    assert info.value.body["param"] == "include"


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")  # WSGI test server
def test_each_streamed_delta_carries_its_logprobs(openai_client, corpus):
    with open(corpus / "librivox_sns_0870.wav", "rb") as f:
        stream = openai_client.audio.transcriptions.create(
            model="gpt-4o-mini-transcribe", file=f, stream=True, include=["logprobs"]
        )
        events = list(stream)
    deltas = [e for e in events if e.type == "transcript.text.delta"]
    (done,) = [e for e in events if e.type == "transcript.text.done"]
    assert deltas
    for delta in deltas:
        assert "".join(t.token for t in delta.logprobs) == delta.delta
    streamed = [t.model_dump() for d in deltas for t in d.logprobs]
    assert [t.model_dump() for t in done.logprobs] == streamed
    assert done.usage.type == "tokens" and done.usage.input_tokens == 71  # 7.1 s of audio
