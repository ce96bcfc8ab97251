"""The music engines: the offline arranger (determinism, length, tempo, sound, variety), the
procedural sound effects, and the cloud backends through their real clients against loopback
fakes of ElevenLabs (the official SDK) and of a Suno-style service."""

import numpy as np
import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.music.base import MusicRequest, Section, SoundEffectRequest
from apps.engines.music.elevenlabs import ElevenLabsMusic, ElevenLabsSoundEffects
from apps.engines.music.local import LocalArranger
from apps.engines.music.procedural import EFFECTS, ProceduralSoundEffects
from apps.engines.music.suno import SunoMusic
from tests.fakes.elevenlabs_music_server import FakeElevenLabsMusicServer
from tests.fakes.suno_server import FakeSunoServer


@pytest.fixture(scope="module")
def arranger():
    return LocalArranger(alias="local")


def compose(arranger, prompt, seconds=8.0, seed=1, **fields):
    return arranger.compose(MusicRequest(prompt, seconds, seed=seed, **fields))


def onset_tempo(samples: np.ndarray, rate: int, *, around: float) -> float:
    """The tempo of the audio by autocorrelation of its onset strength (spectral flux),
    searched within a third of `around` either way: wide enough to catch a wrong tempo,
    narrow enough to leave out the half, double and 2/3 periodicities every beat has."""
    mono = samples.mean(axis=1)
    hop, win = 441, 1024
    frames = np.lib.stride_tricks.sliding_window_view(mono, win)[::hop] * np.hanning(win)
    magnitude = np.log1p(100 * np.abs(np.fft.rfft(frames, axis=1)))
    flux = np.maximum(0, np.diff(magnitude, axis=0)).sum(axis=1)
    flux -= flux.mean()
    ac = np.correlate(flux, flux, "full")[len(flux) - 1 :]
    fps = rate / hop
    lags = np.arange(len(ac))
    window = (lags >= fps * 60 / (around * 1.33)) & (lags <= fps * 60 / (around / 1.33))
    best = lags[window][np.argmax(ac[window])]
    y0, y1, y2 = ac[best - 1 : best + 2]
    return 60 * fps / (best + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2))


def test_same_prompt_and_seed_give_the_same_track(arranger):
    a = compose(arranger, "upbeat synthwave, 110 bpm, minor key", seed=42)
    b = compose(arranger, "upbeat synthwave, 110 bpm, minor key", seed=42)
    c = compose(arranger, "upbeat synthwave, 110 bpm, minor key", seed=43)
    assert np.array_equal(a.samples, b.samples) and a.midi == b.midi
    assert a.midi != c.midi and not np.array_equal(a.samples, c.samples)


def test_different_prompts_make_different_music(arranger):
    jazz = compose(arranger, "jazz with saxophone")
    rock = compose(arranger, "rock with distorted guitar")
    assert jazz.midi != rock.midi
    assert "jazz" in jazz.understood and "saxophone" in jazz.understood
    assert "rock" in rock.understood and "distorted guitar" in rock.understood


@pytest.mark.parametrize("seconds", [3.0, 17.3])
def test_the_length_is_what_was_asked(arranger, seconds):
    result = compose(arranger, "calm folk", seconds=seconds)
    assert abs(result.seconds - seconds) <= 0.02 * seconds


@pytest.mark.parametrize(("prompt", "bpm"), [("synthwave 96 bpm", 96), ("rock, 132 bpm", 132)])
def test_the_audio_has_the_tempo_of_the_prompt(arranger, prompt, bpm):
    result = compose(arranger, prompt, seconds=12)
    assert f"{bpm} bpm" in result.understood
    assert onset_tempo(result.samples, result.sample_rate, around=bpm) == pytest.approx(
        bpm, rel=0.03
    )


def test_it_is_not_silent_and_it_ends(arranger):
    result = compose(arranger, "energetic electronic dance", seconds=10)
    rate = result.sample_rate
    windows = result.samples[: 9 * rate].reshape(-1, rate // 2, 2)
    rms = np.sqrt((windows**2).mean(axis=(1, 2)))
    assert (rms > 0.01).all(), rms  # sound all the way through, not a single note
    assert np.abs(result.samples).max() <= 1.0
    assert np.abs(result.samples[-100:]).max() < 0.01  # faded out, no click at the end


def test_sections_follow_the_structure(arranger):
    sections = (Section("intro", 4), Section("chorus", 8), Section("outro", 4))
    result = compose(arranger, "pop 120 bpm", seconds=16, sections=sections)
    assert "Sections (bars): intro 2, chorus 4, outro 2" in result.understood


def test_the_arranger_refuses_bad_requests(arranger):
    with pytest.raises(ProviderError) as empty:
        compose(arranger, "   ")
    with pytest.raises(ProviderError) as long:
        compose(arranger, "jazz", seconds=20 * 60)
    assert empty.value.kind == long.value.kind == ErrorKind.INVALID_INPUT
    assert "10 minutes" in long.value.message


def test_every_procedural_effect_sounds_for_its_length():
    backend = ProceduralSoundEffects(alias="local")
    for effect in EFFECTS:
        result = backend.generate(SoundEffectRequest(effect.words[0], 1.0, seed=3))
        assert result.samples.shape == (result.sample_rate, 2), effect.name
        assert np.abs(result.samples).max() > 0.5, effect.name
        assert effect.name in result.understood
    a = backend.generate(SoundEffectRequest("wind", 1.0, seed=3))
    b = backend.generate(SoundEffectRequest("wind", 1.0, seed=3))
    assert np.array_equal(a.samples, b.samples)
    with pytest.raises(ProviderError, match="makes only these sounds"):
        backend.generate(SoundEffectRequest("a unicorn sneezing"))


# --- ElevenLabs through the SDK ---------------------------------------------------------------


@pytest.fixture
def elevenlabs():
    with FakeElevenLabsMusicServer() as server:
        yield server


def _options(server):
    return {"api_key": server.api_key, "base_url": server.url, "max_retries": 0, "timeout": 10}


def test_elevenlabs_composes_from_a_prompt(elevenlabs):
    backend = ElevenLabsMusic(alias="elevenlabs", **_options(elevenlabs))
    result = backend.compose(MusicRequest("upbeat lo-fi", 4.0, seed=9))
    [request] = elevenlabs.requests_to("/v1/music")
    assert request.param("output_format") == "mp3_44100_128"
    assert request.headers["xi-api-key"] == elevenlabs.api_key
    assert request.json == {
        "prompt": "upbeat lo-fi", "music_length_ms": 4000, "model_id": "music_v1",
        "seed": 9, "force_instrumental": True,
    }  # fmt: skip
    assert result.encoded_format == "mp3" and result.encoded[:3] in (b"ID3", b"\xff\xfb")
    assert abs(result.seconds - 4.0) < 0.1


def test_elevenlabs_sends_sections_and_lyrics_as_a_composition_plan(elevenlabs):
    backend = ElevenLabsMusic(alias="elevenlabs", **_options(elevenlabs))
    request = MusicRequest(
        "folk ballad", 7.0, instrumental=False, lyrics="One line\nTwo lines",
        sections=(Section("Verse", 4), Section("Chorus", 3)),
    )  # fmt: skip
    result = backend.compose(request)
    body = elevenlabs.requests_to("/v1/music")[0].json
    plan = body["composition_plan"]
    assert "prompt" not in body and body["respect_sections_durations"] is True
    assert body["force_instrumental"] is False
    assert plan["positive_global_styles"] == ["folk ballad"]
    assert [(s["section_name"], s["duration_ms"], s["lines"]) for s in plan["sections"]] == [
        ("Verse", 4000, ["One line"]),
        ("Chorus", 3000, ["Two lines"]),
    ]
    assert abs(result.seconds - 7.0) < 0.1


def test_elevenlabs_sound_effects_and_errors(elevenlabs):
    effects = ElevenLabsSoundEffects(alias="elevenlabs", **_options(elevenlabs))
    result = effects.generate(SoundEffectRequest("door creak", 1.5))
    assert elevenlabs.requests_to("/v1/sound-generation")[0].json == {
        "text": "door creak", "duration_seconds": 1.5
    }  # fmt: skip
    assert abs(result.seconds - 1.5) < 0.1
    elevenlabs.script(status=429)
    with pytest.raises(ProviderError) as limited:
        effects.generate(SoundEffectRequest("door creak"))
    assert limited.value.kind == ErrorKind.RATE_LIMITED and not limited.value.permanent
    wrong_key = ElevenLabsMusic(alias="x", **(_options(elevenlabs) | {"api_key": "nope"}))
    with pytest.raises(ProviderError) as refused:
        wrong_key.compose(MusicRequest("jazz", 5))
    assert refused.value.kind == ErrorKind.AUTHENTICATION


# --- Suno-style HTTP --------------------------------------------------------------------------


def test_suno_generates_polls_and_downloads():
    with FakeSunoServer(api_key="suno-key") as server:
        backend = SunoMusic(alias="suno", base_url=server.url, api_key="suno-key",
                            poll_interval=0.01)  # fmt: skip
        result = backend.compose(MusicRequest("an upbeat song about coding", 60, lyrics="la la"))
        [generate] = server.requests_to("/api/custom_generate")
        assert generate.json == {
            "prompt": "la la", "tags": "an upbeat song about coding",
            "title": "an upbeat song about coding", "make_instrumental": False,
            "model": "chirp-v3-5", "wait_audio": False,
        }  # fmt: skip
        assert len(server.requests_to("/api/get")) == 2  # streaming, then complete
        assert abs(result.seconds - server.clip_seconds) < 0.1 and result.encoded_format == "mp3"
        backend.compose(MusicRequest("calm piano", 30))
        assert server.requests_to("/api/generate")[0].json["make_instrumental"] is True


def test_suno_failures_are_provider_errors():
    with FakeSunoServer(api_key="suno-key") as server:
        backend = SunoMusic(alias="suno", base_url=server.url, api_key="wrong",
                            poll_interval=0.01)  # fmt: skip
        with pytest.raises(ProviderError) as refused:
            backend.compose(MusicRequest("jazz", 30))
        assert refused.value.kind == ErrorKind.AUTHENTICATION
        server.fail_clips = True
        backend.api_key = "suno-key"
        backend.__dict__.pop("http", None)
        with pytest.raises(ProviderError) as failed:
            backend.compose(MusicRequest("jazz", 30))
        assert failed.value.kind == ErrorKind.UNAVAILABLE


@pytest.mark.parametrize(
    ("prompt", "key", "bpm"),
    [
        ("upbeat synthwave, 110 bpm, A minor", "A minor", 110),
        ("a minor ballad in f# major at 72 bpm", "F# major", 72),
        ("jazz in Bb major", "Bb major", None),
        ("a calm piece in eb minor", "Eb minor", None),
    ],
)
def test_the_prompt_is_read_for_key_and_tempo(prompt, key, bpm):
    import random

    from apps.engines.music.prompt import style_read

    style = style_read(prompt, rng=random.Random(0))
    assert style.key_name == key
    if bpm:
        assert style.bpm == bpm
