import json
from dataclasses import asdict

import pytest
from django.urls import reverse

from apps.engines.stt.align import spread_words
from apps.transcripts import editing
from apps.transcripts.models import Segment, SegmentAlignment, SegmentEdit, Transcript

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}


def keep_queued(settings):
    """Jobs queued from here on wait (no model loads): for tests of the edit, not the alignment."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def words_of(segment):
    return [(w["word"].strip(" ,.:!").lower(), w["start"], w["end"]) for w in segment.words]


def test_an_edit_is_aligned_again_close_to_where_the_words_are_spoken(alice, make_transcript):
    t = make_transcript(alice, "jfk.flac", engine="local", model="tiny.en")
    segment = t.segments.order_by("index").first()
    # A fresh transcription of the audio gives the reference: the words as said, and when.
    said, spoken = segment.text, words_of(segment)
    # The engine had misheard, and its times were for the wrong words.
    misheard = " And so my fellow American's ask knot what your cuntry can do for ewe"
    spread = [asdict(w) for w in spread_words(misheard, segment.start, segment.end)]
    Segment.objects.filter(pk=segment.pk).update(text=misheard, words=spread)
    segment.refresh_from_db()

    editing.segment_edit(segment=segment, editor=alice, text=said)

    # The alignment job ran inline on commit and put each word where it is spoken.
    assert SegmentAlignment.objects.get(segment=segment).status == "done"
    segment.refresh_from_db()
    assert (segment.text, segment.machine_text) == (said, misheard)
    aligned = words_of(segment)
    assert [w for w, *_ in aligned] == [w for w, *_ in spoken]
    for (word, start, end), (_, ref_start, ref_end) in zip(aligned, spoken, strict=True):
        assert abs(start - ref_start) <= 0.3, (word, start, ref_start)
        assert abs(end - ref_end) <= 0.3, (word, end, ref_end)
    # Times shared out by length (what an edit has until it is aligned) would not pass.
    shared = spread_words(said, segment.start, segment.end)
    assert max(abs(w.start - ref[1]) for w, ref in zip(shared, spoken, strict=True)) > 0.3


def test_undo_puts_back_text_words_and_flags_newest_first(alice, make_transcript, settings):
    t = make_transcript(alice)
    keep_queued(settings)
    first, second = t.segments.order_by("index")[:2]
    Segment.objects.filter(pk=first.pk).update(flags=["stock_phrase"])
    first.refresh_from_db()
    original_words = first.words
    editing.segment_edit(segment=first, editor=alice, text="Hello there.")
    editing.segment_edit(segment=second, editor=alice, text="General Kenobi.")
    assert Transcript.objects.get(pk=t.pk).text.startswith("Hello there. General Kenobi.")

    assert editing.transcript_undo(transcript=t).pk == second.pk
    assert editing.transcript_undo(transcript=t).pk == first.pk
    first.refresh_from_db()
    assert (first.text, first.words, first.flags) == (
        " Segment 0.",
        original_words,
        ["stock_phrase"],
    )
    assert first.machine_text == ""
    assert editing.transcript_undo(transcript=t) is None


def test_an_edit_clears_flags_and_keeps_who_and_when(alice, make_transcript, settings):
    t = make_transcript(alice)
    keep_queued(settings)
    segment = t.segments.first()
    Segment.objects.filter(pk=segment.pk).update(flags=["loop"])
    segment.refresh_from_db()
    editing.segment_edit(segment=segment, editor=alice, text="  Fixed   text ")
    segment.refresh_from_db()
    assert (segment.text, segment.flags) == (" Fixed text", [])
    edit = SegmentEdit.objects.get()
    assert (edit.editor, edit.text_before, edit.text_after) == (alice, " Segment 0.", " Fixed text")


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_it_refuses_an_empty_or_overlong_text(alice_client, alice, make_transcript, text):
    t = make_transcript(alice)
    segment = t.segments.first()
    url = reverse("transcripts:segment_edit", args=[t.pk, segment.pk])
    response = alice_client.post(url, {"text": text}, **HTMX)
    assert response.status_code == 400
    segment.refresh_from_db()
    assert segment.text == " Segment 0." and not SegmentEdit.objects.exists()


def test_the_owner_edits_from_the_page_and_gets_the_segment_back(
    alice_client, alice, make_transcript, settings
):
    t = make_transcript(alice)
    keep_queued(settings)
    segment = t.segments.first()
    url = reverse("transcripts:segment_edit", args=[t.pk, segment.pk])
    response = alice_client.post(url, {"text": "Ask not."}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="segment-text-{segment.pk}"' in html and "Ask not." in html and "edited" in html

    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert "Ask not." in page and "Segment 0." in page  # the history shows before and after
    assert "alice" in page

    undo = alice_client.post(reverse("transcripts:undo", args=[t.pk]), **HTMX)
    assert undo.status_code == 200 and "Segment 0." in undo.content.decode()
    assert alice_client.post(reverse("transcripts:undo", args=[t.pk]), **HTMX).status_code == 204


def test_another_user_cannot_see_edit_or_undo(bob_client, alice, make_transcript):
    t = make_transcript(alice)
    segment = t.segments.first()
    assert (
        bob_client.post(
            reverse("transcripts:segment_edit", args=[t.pk, segment.pk]), {"text": "x"}, **HTMX
        ).status_code
        == 404
    )
    assert (
        bob_client.get(reverse("transcripts:segment", args=[t.pk, segment.pk])).status_code == 404
    )
    assert bob_client.post(reverse("transcripts:undo", args=[t.pk])).status_code == 404
    segment.refresh_from_db()
    assert segment.text == " Segment 0."


def test_a_segment_of_another_transcript_is_not_found(alice_client, alice, make_transcript):
    mine, other = make_transcript(alice), make_transcript(alice)
    segment = other.segments.first()
    url = reverse("transcripts:segment_edit", args=[mine.pk, segment.pk])
    assert alice_client.post(url, {"text": "x"}, **HTMX).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, alice, make_transcript):
    t = make_transcript(alice)
    url = reverse("transcripts:segment_edit", args=[t.pk, t.segments.first().pk])
    response = client.post(url, {"text": "x"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_exports_and_the_api_json_use_the_edited_text(
    alice_client, alice, make_transcript, settings
):
    t = make_transcript(alice)
    keep_queued(settings)
    editing.segment_edit(segment=t.segments.first(), editor=alice, text="Edited words.")
    for fmt in ("txt", "srt", "vtt", "docx"):
        response = alice_client.get(reverse("transcripts:export", args=[t.pk, fmt]))
        body = response.content
        if fmt == "docx":
            import io

            from docx import Document

            body = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs).encode()
        assert b"Edited words." in body and b"Segment 0." not in body, fmt
    exported = json.loads(
        alice_client.get(reverse("transcripts:export", args=[t.pk, "json"])).content
    )
    assert exported["segments"][0]["text"] == " Edited words."
    assert [w["word"] for w in exported["words"][:2]] == ["Edited", "words."]


def test_a_segment_being_aligned_polls_until_its_words_are_back(
    alice_client, alice, make_transcript, settings
):
    t = make_transcript(alice)
    keep_queued(settings)
    segment = t.segments.first()
    editing.segment_edit(segment=segment, editor=alice, text="Ask not.")
    url = reverse("transcripts:segment", args=[t.pk, segment.pk])
    assert 'hx-trigger="every 1s"' in alice_client.get(url).content.decode()
    SegmentAlignment.objects.filter(segment=segment).update(status="done")
    assert "hx-trigger" not in alice_client.get(url).content.decode()
