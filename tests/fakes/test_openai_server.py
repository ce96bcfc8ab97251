"""The fake OpenAI server answers the official SDK as the real API does, for every endpoint
later features rely on."""

import io
import wave

import av
import openai
import pytest

from tests.fakes.openai_server import FakeOpenAIServer


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def client(server):
    return openai.OpenAI(api_key=server.api_key, base_url=server.url, max_retries=0)


def test_it_lists_and_retrieves_models(client):
    assert "whisper-1" in [m.id for m in client.models.list()]
    assert client.models.retrieve("gpt-4o-mini-tts").id == "gpt-4o-mini-tts"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")


def test_it_rejects_a_wrong_key_in_openai_error_shape(server):
    wrong = openai.OpenAI(api_key="sk-wrong", base_url=server.url, max_retries=0)

    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.models.list()

    assert caught.value.code == "invalid_api_key"


def test_it_answers_chat_completions(client, server):
    messages = [{"role": "user", "content": "Hello world. Hi Paris."}]
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    assert reply.choices[0].message.content == server.chat_reply
    assert server.requests[-1].json["messages"] == messages


def test_it_streams_chat_completions_with_usage(client, server):
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == server.chat_reply
    assert chunks[-1].usage.total_tokens > 0


@pytest.mark.parametrize("response_format", ["wav", "mp3", "opus", "aac", "flac"])
def test_it_speaks_decodable_audio(client, response_format):
    audio = client.audio.speech.create(
        model="gpt-4o-mini-tts",
        voice="coral",
        input="Hello there, Paris.",
        response_format=response_format,
    ).content

    with av.open(io.BytesIO(audio)) as container:
        frames = list(container.decode(audio=0))
    assert sum(f.samples for f in frames) > 0


def test_it_speaks_raw_pcm_and_wav_of_the_same_length(client):
    def speak(response_format):
        return client.audio.speech.create(
            model="tts-1", voice="alloy", input="One two three", response_format=response_format
        ).content

    with wave.open(io.BytesIO(speak("wav"))) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (24000, 2, 1)
        assert len(speak("pcm")) == 2 * wav.getnframes()


def test_it_streams_transcripts_for_gpt_4o_models(client, corpus):
    events = list(
        client.audio.transcriptions.create(
            model="gpt-4o-mini-transcribe", file=corpus / "jfk.flac", stream=True
        )
    )

    assert events[-1].type == "transcript.text.done"
    assert "".join(e.delta for e in events[:-1]) == events[-1].text


def test_it_refuses_verbose_json_for_gpt_4o_models(client, corpus):
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=corpus / "jfk.flac", response_format="verbose_json"
        )


@pytest.mark.parametrize("response_format", ["srt", "vtt", "text"])
def test_it_answers_text_formats(client, corpus, response_format):
    body = client.audio.transcriptions.create(
        model="whisper-1", file=corpus / "jfk.flac", response_format=response_format
    )

    assert "ask what you can do for your country." in body
    if response_format != "text":
        assert "00:00:07" in body
