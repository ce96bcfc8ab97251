"""How the studio offers voices."""

import pytest

from apps.speech.selectors import default_voice_id, studio_voices

pytestmark = pytest.mark.django_db


def test_it_groups_natural_voices_before_robotic_ones_default_engine_first(alice, fake_tts):
    groups = studio_voices(user=alice)
    labels = [g.label for g in groups]
    assert labels.index("Natural voices") < labels.index("Robotic voices, many languages")
    natural = next(g for g in groups if g.label == "Natural voices").voices
    robotic = next(g for g in groups if g.label.startswith("Robotic")).voices
    assert natural[0].option.id == default_voice_id(groups) == "piper:joe"
    assert {v.option.engine for v in robotic} == {"espeak"}
    assert all(v.option.style != "robotic" for v in natural)
    names = [v.option.name.lower() for v in natural if v.option.engine == "kokoro"]
    assert names == sorted(names)
