import pytest

from apps.core.media import InvalidMedia, decode_all, iter_pcm, probe
from tests import media_factory


def test_it_probes_real_recordings(corpus):
    info = probe(corpus / "jfk.flac")
    assert info.duration == pytest.approx(11.0, abs=0.05)
    assert not info.has_video and info.audio_codec == "flac"
    assert probe(corpus / "multilingual.mp3").duration == pytest.approx(60, abs=0.5)


def test_it_refuses_an_empty_file(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InvalidMedia, match="empty"):
        probe(empty)


def test_it_refuses_text_named_like_audio(tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("Meeting notes: buy milk. " * 50)
    with pytest.raises(InvalidMedia, match="not audio"):
        probe(fake)


def test_it_refuses_video_without_sound(tmp_path, corpus):
    silent_film = media_factory.video_with_speech(
        tmp_path / "film.mp4", corpus / "jfk.flac", with_audio=False
    )
    with pytest.raises(InvalidMedia, match="no audio"):
        probe(silent_film)


def test_it_reads_the_sound_of_a_video(tmp_path, corpus):
    film = media_factory.video_with_speech(tmp_path / "film.mp4", corpus / "jfk.flac")
    info = probe(film)
    assert info.has_video
    assert len(decode_all(film)) / 16_000 == pytest.approx(11.0, abs=0.3)


def test_it_decodes_what_a_truncated_file_holds(tmp_path, corpus):
    cut = media_factory.truncated(tmp_path / "cut.mp3", corpus / "multilingual.mp3", 0.25)
    probe(cut)
    assert 10 < len(decode_all(cut)) / 16_000 < 20


def test_it_starts_decoding_at_an_offset(corpus):
    whole = decode_all(corpus / "jfk.flac")
    tail = next(iter_pcm(corpus / "jfk.flac", start_at=6.0, block_seconds=1.0))
    offset = 6 * 16_000
    # The same samples as decoding from the start (within resampler rounding).
    assert abs(float(tail[:16_000].mean()) - float(whole[offset : offset + 16_000].mean())) < 1e-3
    total = sum(len(b) for b in iter_pcm(corpus / "jfk.flac", start_at=6.0))
    assert total / 16_000 == pytest.approx(5.0, abs=0.05)


def test_it_yields_blocks_of_the_asked_size(corpus):
    blocks = list(iter_pcm(corpus / "jfk.flac", block_seconds=3.0))
    assert [len(b) for b in blocks[:-1]] == [48_000] * 3
    assert 0 < len(blocks[-1]) <= 48_000


def test_it_refuses_a_recording_too_long_from_its_container(corpus):
    with pytest.raises(InvalidMedia, match="0:11 long; at most 0:05"):
        probe(corpus / "jfk.flac", max_seconds=5)
    assert probe(corpus / "jfk.flac", max_seconds=12).duration == pytest.approx(11.0, abs=0.05)


def test_decoding_stops_once_past_the_limit(corpus):
    with pytest.raises(InvalidMedia, match="longer; at most 0:05"):
        decode_all(corpus / "jfk.flac", max_seconds=5)
    assert len(decode_all(corpus / "jfk.flac", max_seconds=12)) == pytest.approx(176_000, abs=800)


def test_a_stored_file_is_served_as_its_container_says(corpus, tmp_path):
    from django.core.files.storage import FileSystemStorage

    from apps.core.media import served_type
    from apps.core.storage import StoredFile

    shared = FileSystemStorage(location=corpus)
    assert served_type(StoredFile("jfk.flac", shared)) == "audio/flac"
    assert served_type(StoredFile("multilingual.mp3", shared)) == "audio/mpeg"
    (tmp_path / "page.wav").write_bytes(b"<html><script>alert(1)</script></html>")
    page = StoredFile("page.wav", FileSystemStorage(location=tmp_path))
    assert served_type(page) == "application/octet-stream"
