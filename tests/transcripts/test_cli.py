import json

import pytest
from django.core.management import CommandError, call_command


def run(capsys, *args):
    call_command("transcribe", *map(str, args))
    return capsys.readouterr().out


def test_it_prints_text(capsys, corpus):
    out = run(capsys, corpus / "jfk.flac", "--model", "tiny.en")
    assert "ask not what your country can do for you" in out.lower()


def test_it_prints_verbose_json_with_words(capsys, corpus):
    body = json.loads(
        run(capsys, corpus / "jfk.flac", "--model", "tiny.en", "--format", "verbose_json")
    )
    assert body["language"] == "english" and body["duration"] == pytest.approx(11.0, abs=0.1)
    assert body["segments"] and any(
        w["word"].lower().startswith("americans") for w in body["words"]
    )


def test_it_prints_subtitles(capsys, corpus):
    assert " --> " in run(capsys, corpus / "jfk.flac", "--model", "tiny.en", "--format", "srt")
    vtt = run(capsys, corpus / "jfk.flac", "--model", "tiny.en", "--format", "vtt")
    assert vtt.startswith("WEBVTT")


def test_it_translates_with_the_multilingual_model(capsys, corpus):
    out = run(capsys, corpus / "cheetah_fr.wav", "--model", "base", "--task", "translate")
    assert out.strip() and "the" in out.lower().split()


def test_it_explains_bad_input(tmp_path, corpus):
    with pytest.raises(CommandError, match="No such file"):
        call_command("transcribe", str(tmp_path / "missing.wav"))
    notes = tmp_path / "notes.mp3"
    notes.write_text("hello")
    with pytest.raises(CommandError, match="not audio"):
        call_command("transcribe", str(notes))
    with pytest.raises(CommandError, match="English only"):
        call_command(
            "transcribe", str(corpus / "jfk.flac"), "--model", "tiny.en", "--language", "de"
        )
