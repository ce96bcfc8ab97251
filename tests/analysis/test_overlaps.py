"""Overlapping speech: where a second speaker likely talks over the turn's speaker, stored with
the speakers, following merges, renames and reassignments, and shown on the page, in
diarized_json (read by the official openai client) and in the exports."""

import io
import json
from dataclasses import replace

import docx
import pytest
from django.urls import reverse
from openai import OpenAI

from apps.analysis import services
from apps.analysis.models import SpeakerOverlap
from apps.analysis.options import analysis_options_validate
from apps.analysis.services.overlaps import OverlapPiece, overlap_pieces
from apps.api.services import api_key_create
from apps.engines.analysis.base import Diarization, SpeakerTurn
from apps.transcripts.formats import (
    DocumentGap,
    DocumentSegment,
    DocumentWord,
    Stretches,
    TranscriptDocument,
    to_dialogue,
    to_diarized_json,
    to_verbose_json,
)
from apps.transcripts.models import Gap, Transcript
from apps.transcripts.selectors import transcript_document

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_analysis")]

TALK_OVER = 0.5


@pytest.fixture(autouse=True)
def talking_over(settings):
    """The fake engine's speakers each start half a second before the previous one stops."""
    settings.TRANSCRIPT_ANALYSIS = {
        **settings.TRANSCRIPT_ANALYSIS,
        "fake": {
            "BACKEND": "apps.engines.analysis.fake.FakeAnalysis",
            "OPTIONS": {"talk_over": TALK_OVER},
        },
    }


def marks(transcript) -> list[tuple]:
    return [
        (o.speaker.display_name, o.over.display_name if o.over else None, o.start, o.end)
        for o in SpeakerOverlap.objects.filter(transcript=transcript).select_related(
            "speaker", "over"
        )
    ]


def expected(transcript) -> list[tuple]:
    """Each segment's speaker talking over the previous segment's last TALK_OVER seconds."""
    rows = list(transcript.segments.select_related("speaker"))
    return [
        (s.speaker.display_name, before.speaker.display_name, s.start - TALK_OVER, s.start)
        for before, s in zip(rows, rows[1:], strict=False)
        if s.speaker_id != before.speaker_id
    ]


def speaker(transcript, label):
    return transcript.speakers.get(label=label)


def test_a_diarization_run_stores_who_talks_over_whom_and_a_re_run_replaces_it(alice, analysed):
    transcript = analysed(alice, speakers=2, kinds=("speakers",))
    found = marks(transcript)
    assert found == expected(transcript) and len(found) == 5
    assert found[0] == ("Speaker B", "Speaker A", 1.5, 2.0)
    services.analyses_start(
        transcript=transcript,
        options=analysis_options_validate(kinds=["speakers"], num_speakers=1),
    )
    assert marks(transcript) == []  # one voice: nobody talks over anybody
    transcript.delete()
    assert not SpeakerOverlap.objects.exists()


def test_a_mark_is_split_where_the_turn_under_it_changes():
    diarization = Diarization(
        speakers=(),
        turns=(
            SpeakerTurn("A", 0.0, 2.0),
            SpeakerTurn("C", 2.0, 4.0),
            SpeakerTurn("B", 4.0, 6.0),
        ),
        overlaps=(
            SpeakerTurn("A", 0.5, 0.8),
            SpeakerTurn("B", 1.0, 4.5),
            SpeakerTurn("A", 1.99, 2.02),
            SpeakerTurn("C", 7.0, 8.0),
        ),
    )
    assert overlap_pieces(diarization) == [
        OverlapPiece("B", "A", 1.0, 2.0),
        OverlapPiece("B", "C", 2.0, 4.0),
        OverlapPiece("C", None, 7.0, 8.0),  # no turn under it: who is talked over is unknown
    ]  # A and B over their own turns, and A's sliver over C (the frame grid's rounding), go


def test_a_merge_drops_a_voice_over_itself_and_a_rename_shows_on_the_page(
    alice_client, alice, analysed
):
    transcript = analysed(alice, speakers=3, kinds=("speakers",))  # A, B, C, A, B, C
    a, b, c = (speaker(transcript, f"SPEAKER_0{n}") for n in range(3))
    assert [(m[0], m[1]) for m in marks(transcript)] == [
        ("Speaker B", "Speaker A"),
        ("Speaker C", "Speaker B"),
        ("Speaker A", "Speaker C"),
        ("Speaker B", "Speaker A"),
        ("Speaker C", "Speaker B"),
    ]
    alice_client.post(reverse("analysis:speaker_merge", args=[c.pk]), {"into": b.pk})
    alice_client.post(reverse("analysis:speaker_rename", args=[b.pk]), {"name": "Bob"})
    assert [(m[0], m[1]) for m in marks(transcript)] == [
        ("Bob", "Speaker A"),
        ("Speaker A", "Bob"),
        ("Bob", "Speaker A"),
    ]
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    start = page.index('id="segment-')
    first = page[start : page.index("</p>", start)]  # A's first segment, 0–2 s
    assert "also talking: Bob, 0:01–0:02</button>" in first
    assert f'class="overlap" data-seek="1.5" style="--spk: {b.colour}"' in first
    assert page.count('class="overlap"') == 3  # one marker per mark left, on its segment


def test_a_reassigned_segment_is_no_longer_talked_over_by_its_new_speaker(alice, analysed):
    transcript = analysed(alice, speakers=2, kinds=("speakers",))
    a, b = speaker(transcript, "SPEAKER_00"), speaker(transcript, "SPEAKER_01")
    services.segment_reassign(segment=transcript.segments.get(index=0), speaker=b)
    assert ("Speaker B", "Speaker A", 1.5, 2.0) not in marks(transcript)
    assert marks(transcript)[0] == ("Speaker A", "Speaker B", 3.5, 4.0)
    assert a.segments.exists()


def test_the_exports_note_who_talks_over_whom_but_subtitles_do_not(
    alice_client, bob_client, alice, analysed
):
    transcript = analysed(alice, speakers=2)

    def export(client, fmt):
        return client.get(reverse("transcripts:export", args=[transcript.pk, fmt]))

    txt = export(alice_client, "txt").content.decode()
    assert txt.startswith(
        "[0:00:00] Speaker A: Segment 0. [also talking: Speaker B, 0:00:01–0:00:02]\n"
    )
    body = json.loads(export(alice_client, "json").content)
    assert body["overlaps"][0] == {
        "speaker": "Speaker B", "over": "Speaker A", "start": 1.5, "end": 2.0
    }  # fmt: skip
    assert len(body["overlaps"]) == 5
    document = docx.Document(io.BytesIO(export(alice_client, "docx").content))
    dialogue = [p.text for p in document.paragraphs if p.text.startswith("[0:00:0")]
    assert dialogue[0] == txt.split("\n")[0]
    for fmt in ("srt", "vtt"):
        assert "also talking" not in export(alice_client, fmt).content.decode()
    assert export(bob_client, "json").status_code == 404
    assert bob_client.get(transcript.get_absolute_url()).status_code == 404


def test_diarized_json_lists_the_overlaps_for_the_openai_client(
    live_server, alice, corpus, settings
):
    settings.SPEECH_TO_TEXT_DEFAULT = "fake"
    key = api_key_create(owner=alice, name="tests")[1]
    client = OpenAI(base_url=f"{live_server.url}/v1", api_key=key, max_retries=0, timeout=60)
    with open(corpus / "jfk.flac", "rb") as f:
        result = client.audio.transcriptions.create(
            model="whisper-1", file=f, response_format="diarized_json"
        )
    assert [s.speaker for s in result.segments][:3] == ["A", "B", "A"]  # the SDK parsed it
    overlaps = result.model_extra["overlaps"]  # as docs/api.md tells users to read it
    assert overlaps[0] == {"speaker": "B", "over": "A", "start": 1.5, "end": 2.0}
    assert [(o["speaker"], o["over"]) for o in overlaps] == [("B", "A"), ("A", "B")] * 2 + [
        ("B", "A")
    ]
    assert Transcript.objects.get().speaker_overlaps.count() == 5


def test_stretches_are_found_by_the_time_they_share_with_a_span():
    long, short, later = (
        SpeakerTurn("A", 0.0, 10.0),
        SpeakerTurn("B", 3.0, 4.0),
        SpeakerTurn("C", 5.0, 6.0),
    )
    during = Stretches([later, short, long])
    assert during(7.0, 8.0) == [long]  # started long before the span
    assert during(3.5, 5.5) == [long, short, later]
    assert during(4.0, 5.0) == [long]  # touching is not sharing
    assert during(10.0, 11.0) == [] and Stretches([])(0.0, 1.0) == []


def test_the_command_line_document_carries_the_marks_to_diarized_json(corpus):
    """`manage.py transcribe --format diarized_json` labels a document without the database."""
    document = TranscriptDocument(
        language="en",
        duration=4.0,
        segments=(
            DocumentSegment(0, 0.0, 2.0, " Hello there."),
            DocumentSegment(1, 2.0, 4.0, " Hi."),
        ),
    )
    diarization = Diarization(
        speakers=(),
        turns=(SpeakerTurn("SPEAKER_00", 0.0, 2.0), SpeakerTurn("SPEAKER_01", 2.0, 4.0)),
        overlaps=(SpeakerTurn("SPEAKER_01", 1.6, 2.0),),
    )
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=document, diarization=diarization
    )
    body = to_diarized_json(labelled)
    assert [s["speaker"] for s in body["segments"]] == ["A", "B"]
    assert body["overlaps"] == [{"speaker": "B", "over": "A", "start": 1.6, "end": 2.0}]
    assert to_dialogue(labelled).startswith(
        "[0:00:00] Speaker A: Hello there. [also talking: Speaker B, 0:00:01–0:00:02]\n"
    )


def test_a_segment_said_under_a_second_voice_names_both_and_its_lost_words_are_marked(corpus):
    """Issues 9 and 10: where the analysis hears B through most of A's segment, diarized_json
    names both speakers there; B's words are not in the text, so the stretch is marked
    "overlap" (some words may be missing) in the API JSON, once even where the engine marked
    it already."""
    words = tuple(
        DocumentWord(w, float(n), n + 0.9) for n, w in enumerate(("Hello", "there", "how", "are"))
    )
    document = TranscriptDocument(
        language="en",
        duration=6.0,
        segments=(
            DocumentSegment(0, 0.0, 4.0, " Hello there how are", words=words),
            DocumentSegment(1, 4.0, 6.0, " Hi.", words=(DocumentWord("Hi.", 4.2, 4.8),)),
        ),
    )
    diarization = Diarization(
        speakers=(),
        turns=(SpeakerTurn("SPEAKER_00", 0.0, 4.0), SpeakerTurn("SPEAKER_01", 4.0, 6.0)),
        overlaps=(SpeakerTurn("SPEAKER_01", 0.5, 3.5), SpeakerTurn("SPEAKER_00", 4.0, 4.2)),
    )
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=document, diarization=diarization
    )
    segments = to_diarized_json(labelled)["segments"]
    assert segments[0]["speakers"] == ["A", "B"]
    assert "speakers" not in segments[1]  # A's 0.2 s: a mark, not a second speaker
    gaps = to_verbose_json(labelled)["gaps"]
    assert gaps == [{"start": 0.5, "end": 3.5, "reason": "overlap", "language": ""}]
    engine_marked = replace(document, gaps=(DocumentGap(0.4, 3.6, "overlap"),))
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=engine_marked, diarization=diarization
    )
    assert [(g.start, g.end) for g in labelled.gaps] == [(0.4, 3.6)]
    assert Gap(reason="overlap").label == "two people at once: some words may be missing"


def test_two_second_voices_over_one_stretch_make_one_overlap_mark(corpus):
    """Three people at once: B and C both heard through A's segment, neither with a word of
    theirs in the text. One stretch, one "two people at once" mark, not one per voice."""
    words = tuple(
        DocumentWord(w, float(n), n + 0.9) for n, w in enumerate(("Hello", "there", "how", "are"))
    )
    document = TranscriptDocument(
        language="en",
        duration=6.0,
        segments=(
            DocumentSegment(0, 0.0, 4.0, " Hello there how are", words=words),
            DocumentSegment(1, 4.0, 5.0, " Hi.", words=(DocumentWord("Hi.", 4.2, 4.8),)),
            DocumentSegment(2, 5.0, 6.0, " Yes.", words=(DocumentWord("Yes.", 5.2, 5.8),)),
        ),
    )
    diarization = Diarization(
        speakers=(),
        turns=(
            SpeakerTurn("SPEAKER_00", 0.0, 4.0),
            SpeakerTurn("SPEAKER_01", 4.0, 5.0),
            SpeakerTurn("SPEAKER_02", 5.0, 6.0),
        ),
        overlaps=(SpeakerTurn("SPEAKER_01", 0.5, 3.0), SpeakerTurn("SPEAKER_02", 1.0, 3.5)),
    )
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=document, diarization=diarization
    )
    assert [(g.start, g.end) for g in labelled.gaps] == [(0.5, 3.5)]


def _words(*said: str) -> tuple[DocumentWord, ...]:
    return tuple(DocumentWord(w, float(n), n + 0.9) for n, w in enumerate(said))


def test_an_engine_mark_on_part_of_a_second_voice_leaves_the_rest_marked(corpus):
    """The engine marked two people at once over parts of the stretch where the analysis hears
    B through A's segment: the analysis marks the rest, not nothing."""
    document = TranscriptDocument(
        language="en",
        duration=6.0,
        segments=(
            DocumentSegment(0, 0.0, 4.0, " Hello there how are", words=_words(*"abcd")),
            DocumentSegment(1, 4.0, 6.0, " Hi.", words=(DocumentWord("Hi.", 4.2, 4.8),)),
        ),
        gaps=(DocumentGap(0.4, 1.0, "overlap"), DocumentGap(1.5, 2.0, "overlap")),
    )
    diarization = Diarization(
        speakers=(),
        turns=(SpeakerTurn("SPEAKER_00", 0.0, 4.0), SpeakerTurn("SPEAKER_01", 4.0, 6.0)),
        overlaps=(SpeakerTurn("SPEAKER_01", 0.5, 3.5),),
    )
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=document, diarization=diarization
    )
    assert [(g.start, g.end) for g in labelled.gaps] == [
        (0.4, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 3.5)
    ]  # fmt: skip
    nearly_all = replace(document, gaps=(DocumentGap(0.4, 3.3, "overlap"),))
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=nearly_all, diarization=diarization
    )
    assert [(g.start, g.end) for g in labelled.gaps] == [(0.4, 3.3)]  # 0.2 s left: no mark


def test_without_word_times_a_second_voice_with_a_segment_there_is_not_marked(corpus):
    """A cloud engine without word times: B's segment shares the stretch where B is heard
    over A, so B's words are likely in the text there; A heard over B's segment has no
    segment of A's there, and is marked."""
    document = TranscriptDocument(
        language="en",
        duration=6.0,
        segments=(
            DocumentSegment(0, 0.0, 2.2, " Hello there."),
            DocumentSegment(1, 2.2, 6.0, " Hi, how are you doing?"),
        ),
    )
    diarization = Diarization(
        speakers=(),
        turns=(SpeakerTurn("SPEAKER_00", 0.0, 2.5), SpeakerTurn("SPEAKER_01", 2.5, 6.0)),
        overlaps=(SpeakerTurn("SPEAKER_01", 1.5, 2.5), SpeakerTurn("SPEAKER_00", 4.5, 5.5)),
    )
    labelled = services.document_diarize(
        path=corpus / "jfk.flac", document=document, diarization=diarization
    )
    assert [s.speaker.label for s in labelled.segments] == ["SPEAKER_00", "SPEAKER_01"]
    assert [(g.start, g.end) for g in labelled.gaps] == [(4.5, 5.5)]


def test_the_page_lists_the_analysis_marks_the_api_lists_and_a_re_run_replaces_them(
    alice_client, alice, analysed
):
    transcript = analysed(alice, speakers=2, kinds=("speakers",))
    api = to_verbose_json(transcript_document(transcript))["gaps"]
    assert len(api) == 5 and api[0] == {
        "start": 1.5, "end": 2.0, "reason": "overlap", "language": ""
    }  # fmt: skip
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    listed = page[page.index('<ul class="gaps"') : page.index("</ul>", page.index('class="gaps"'))]
    assert listed.count('<li class="gap">') == 5
    assert "0:01–0:02</button> two people at once: some words may be missing</li>" in listed
    assert not Gap.objects.filter(transcript=transcript).exists()  # not a stored copy
    services.analyses_start(
        transcript=transcript,
        options=analysis_options_validate(kinds=["speakers"], num_speakers=1),
    )
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    assert 'class="gaps"' not in page  # one voice: nobody talks over anybody


def test_the_page_names_both_speakers_of_a_segment_said_under_a_second_voice(
    alice_client, alice, analysed, settings
):
    """As diarized_json's "speakers": B heard through more than half of A's segment."""
    fake = settings.TRANSCRIPT_ANALYSIS["fake"]
    settings.TRANSCRIPT_ANALYSIS = {
        **settings.TRANSCRIPT_ANALYSIS,
        "fake": {**fake, "OPTIONS": {"talk_over": 1.2}},  # B through 1.2 s of A's 2 s
    }
    transcript = analysed(alice, speakers=2, kinds=("speakers",))
    segments = to_diarized_json(transcript_document(transcript))["segments"]
    both = [s.get("speakers") for s in segments]
    assert both[:2] == [["A", "B"], ["B", "A"]]
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    segments = page.split('<p class="segment')[1:]
    assert len(segments) == len(both)
    named = ["+ Speaker" in s[: s.index("</p>")] for s in segments]
    assert named == [bool(b) for b in both]
    assert 'class="spk-also"' in segments[0] and "+ Speaker B</span>" in segments[0]
