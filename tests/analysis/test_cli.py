"""`manage.py transcribe --speakers N|auto --format diarized_json`, in this process."""

import json

import pytest
from django.core.management import call_command

from .conftest import SPEAKER_1_ENDS

pytestmark = pytest.mark.slow


def run(capsys, *args) -> str:
    call_command("transcribe", *map(str, args))
    return capsys.readouterr().out


def test_it_prints_speaker_labelled_segments(capsys, two_voices):
    out = run(
        capsys, two_voices, "--model", "tiny.en", "--speakers", "2", "--format", "diarized_json"
    )
    body = json.loads(out)
    assert body["task"] == "transcribe" and body["text"]
    first = {s["speaker"] for s in body["segments"] if s["end"] <= SPEAKER_1_ENDS}
    second = {s["speaker"] for s in body["segments"] if s["start"] >= SPEAKER_1_ENDS}
    assert (first, second) == ({"A"}, {"B"})


def test_it_prints_a_dialogue(capsys, corpus):
    out = run(capsys, corpus / "jfk.flac", "--model", "tiny.en", "--speakers", "1")
    assert out.startswith("[0:00:00] Speaker A: And so") and out.count("Speaker") == 1
    assert "ask not what your country" in out.lower()


def test_it_refuses_a_bad_speaker_count(corpus):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="number of speakers"):
        call_command("transcribe", str(corpus / "jfk.flac"), "--speakers", "many")
