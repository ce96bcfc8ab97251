"""Speakers on the page and in every export: rename, merge, reassign; segments split at the word
where the speaker changes, and joined again for a re-run."""

import io
import json
from dataclasses import replace

import docx
import pytest
from django.urls import reverse

from apps.analysis import selectors, services
from apps.analysis.models import Speaker, VoiceProfile
from apps.analysis.options import analysis_options_validate
from apps.engines.analysis.base import Diarization, SpeakerSegment, SpeakerTurn
from apps.engines.analysis.base import Speaker as EngineSpeaker
from apps.engines.stt.base import Segment, Word

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_analysis")]


@pytest.fixture
def transcript(alice, analysed):
    """jfk.flac "heard" by the fake engines: six segments, speakers A and B taking turns."""
    return analysed(alice, speakers=2)


def exports(client, transcript) -> dict[str, str]:
    def get(fmt):
        return client.get(reverse("transcripts:export", args=[transcript.pk, fmt]))

    found = {fmt: get(fmt).content.decode() for fmt in ("txt", "srt", "vtt", "json")}
    document = docx.Document(io.BytesIO(get("docx").content))
    found["docx"] = "\n".join(p.text for p in document.paragraphs)
    return found


def speaker(transcript, label) -> Speaker:
    return transcript.speakers.get(label=label)


def test_it_labels_segments_and_words_and_counts_talk_time(transcript):
    a, b = transcript.speakers.order_by("label")
    assert (a.display_name, b.display_name) == ("Speaker A", "Speaker B")
    labels = [s.speaker.label for s in transcript.segments.select_related("speaker")]
    assert labels == ["SPEAKER_00", "SPEAKER_01"] * 3
    for segment in transcript.segments.all():
        assert {w["speaker"] for w in segment.words} == {segment.speaker.label}
    assert a.talk_time == pytest.approx(6.0) and b.talk_time == pytest.approx(5.0)
    assert a.words == 6 and a.words_per_minute == pytest.approx(60.0)


def test_every_export_carries_the_speakers(alice_client, transcript):
    found = exports(alice_client, transcript)
    assert found["txt"].startswith("[0:00:00] Speaker A: Segment 0.\n\n[0:00:02] Speaker B:")
    assert "00:00:00,000 --> 00:00:02,000\nSpeaker A: Segment 0." in found["srt"]
    assert "00:00:02.000 --> 00:00:04.000\n<v Speaker B>Segment 1." in found["vtt"]
    body = json.loads(found["json"])
    assert [u["speaker"] for u in body["utterances"]][:3] == ["Speaker A", "Speaker B", "Speaker A"]
    assert body["segments"][0]["speaker"] == "Speaker A"
    assert {s["display_name"] for s in body["speakers"]} == {"Speaker A", "Speaker B"}
    assert body["chapters"] and body["sentiment"] and body["summary"]["text"]
    assert "Speaker A: Segment 0." in found["docx"]


def test_a_rename_shows_on_the_page_and_in_every_export(alice_client, transcript):
    a = speaker(transcript, "SPEAKER_00")
    response = alice_client.post(reverse("analysis:speaker_rename", args=[a.pk]), {"name": "Ada"})
    assert response.status_code == 302
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    assert page.count(">Ada</button>") == 3  # each of Ada's turns
    found = exports(alice_client, transcript)
    assert found["txt"].startswith("[0:00:00] Ada: Segment 0.")
    assert "Ada: Segment 2." in found["srt"] and "<v Ada>Segment 4." in found["vtt"]
    assert json.loads(found["json"])["utterances"][0]["speaker"] == "Ada"
    assert "Ada: Segment 0." in found["docx"] and "Speaker A" not in found["docx"]


def test_a_merge_gives_every_segment_to_one_speaker(alice_client, transcript):
    a, b = speaker(transcript, "SPEAKER_00"), speaker(transcript, "SPEAKER_01")
    services.speaker_rename(speaker=a, name="Ada")
    alice_client.post(reverse("analysis:speaker_merge", args=[b.pk]), {"into": a.pk})
    assert list(transcript.speakers.all()) == [a]
    a.refresh_from_db()
    assert a.talk_time == pytest.approx(11.0) and a.words == 12
    assert {w["speaker"] for s in transcript.segments.all() for w in s.words} == {"SPEAKER_00"}
    found = exports(alice_client, transcript)
    assert (
        found["txt"]
        == "[0:00:00] Ada: Segment 0. Segment 1. Segment 2. Segment 3. Segment 4. Segment 5.\n"
    )
    assert "Speaker B" not in found["srt"] + found["vtt"] + found["json"] + found["docx"]
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    assert "Speaker B" not in page


def test_a_reassigned_segment_moves_with_its_time_and_words(alice_client, transcript):
    a, b = speaker(transcript, "SPEAKER_00"), speaker(transcript, "SPEAKER_01")
    second = transcript.segments.get(index=1)
    url = reverse("analysis:segment_reassign", args=[second.pk])
    assert alice_client.post(url, {"speaker": a.pk}).status_code == 302
    second.refresh_from_db()
    assert second.speaker == a and {w["speaker"] for w in second.words} == {"SPEAKER_00"}
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.talk_time, b.talk_time) == (pytest.approx(8.0), pytest.approx(3.0))
    assert (a.words, b.words) == (8, 4)
    found = exports(alice_client, transcript)
    # Segments 0–2 are now one turn of A.
    assert found["txt"].startswith(
        "[0:00:00] Speaker A: Segment 0. Segment 1. Segment 2.\n\n[0:00:06] Speaker B: Segment 3."
    )
    assert "Speaker A: Segment 1." in found["srt"] and "<v Speaker A>Segment 1." in found["vtt"]
    assert json.loads(found["json"])["segments"][1]["speaker"] == "Speaker A"
    assert "Speaker A: Segment 0. Segment 1. Segment 2." in found["docx"]


def test_reassigning_the_last_segment_of_a_speaker_removes_the_speaker(transcript):
    a, b = speaker(transcript, "SPEAKER_00"), speaker(transcript, "SPEAKER_01")
    for segment in b.segments.all():
        services.segment_reassign(segment=segment, speaker=a)
    assert list(transcript.speakers.all()) == [a]


def test_the_docx_has_title_summary_chapters_and_the_dialogue(alice_client, transcript):
    response = alice_client.get(reverse("transcripts:export", args=[transcript.pk, "docx"]))
    assert response["Content-Disposition"].endswith('.docx"')
    document = docx.Document(io.BytesIO(response.content))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "jfk" and document.core_properties.title == "jfk"
    assert {"Summary", "Chapters", "Speakers", "Transcript"} <= set(texts)
    dialogue = texts[texts.index("Transcript") + 1 :]
    assert dialogue[0] == "[0:00:00] Speaker A: Segment 0."
    assert dialogue[1] == "[0:00:02] Speaker B: Segment 1."
    assert len(dialogue) == 6


def test_it_splits_a_segment_at_the_word_where_the_speaker_changes(alice, analysed):
    t = analysed(alice, kinds=())
    source = selectors.analysis_transcript(t)
    first = source.segments[0]  # " Segment 0." with two words
    pieces = (
        SpeakerSegment("SPEAKER_00", Segment(0.0, 1.0, " Segment", (first.words[0],))),
        SpeakerSegment("SPEAKER_01", Segment(1.0, 2.0, " 0.", (first.words[1],))),
        *(SpeakerSegment("SPEAKER_01", s) for s in source.segments[1:]),
    )
    services.speakers_store(transcript=t, diarization=_one_then_other(pieces), source=source)
    rows = list(t.segments.select_related("speaker"))
    assert [(r.text, r.speaker.label, r.source_index) for r in rows[:3]] == [
        (" Segment", "SPEAKER_00", 0),
        (" 0.", "SPEAKER_01", 0),
        (" Segment 1.", "SPEAKER_01", 1),
    ]
    # A re-run starts from the segments as transcribed.
    again = selectors.analysis_transcript(t)
    assert len(again.segments) == len(source.segments) == 6
    assert again.segments[0].text == " Segment 0." and again.segments[0].words == first.words


def test_a_piece_whose_time_runs_over_the_next_segment_stays_with_its_own(alice, analysed):
    """The labelling lets a piece end where its speaker's turn does, past the start of the next
    segment as transcribed: its words, not its time, say which segment it was cut from."""
    t = analysed(alice, kinds=())
    source = selectors.analysis_transcript(t)
    first, second = source.segments[:2]
    assert first.words[1].end <= second.start < 3.0
    pieces = (
        SpeakerSegment("SPEAKER_00", Segment(0.0, 1.0, " Segment", (first.words[0],))),
        SpeakerSegment("SPEAKER_01", Segment(1.0, 3.0, " 0.", (first.words[1],))),
        SpeakerSegment("SPEAKER_01", replace(second, start=3.0)),
        *(SpeakerSegment("SPEAKER_01", s) for s in source.segments[2:]),
    )
    services.speakers_store(transcript=t, diarization=_one_then_other(pieces), source=source)
    rows = list(t.segments.order_by("index"))
    assert [(r.text, r.source_index) for r in rows[:3]] == [
        (" Segment", 0),
        (" 0.", 0),
        (" Segment 1.", 1),
    ]
    assert (rows[1].start, rows[1].end) == (1.0, 3.0)


def test_a_speaker_without_a_name_cannot_be_saved_as_a_voice(transcript):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.voice_profile_save(speaker=speaker(transcript, "SPEAKER_00"))


def test_it_cannot_merge_speakers_of_two_transcripts(alice, analysed, transcript):
    other = analysed(alice, speakers=2)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.speaker_merge(
            speaker=speaker(transcript, "SPEAKER_00"), into=speaker(other, "SPEAKER_01")
        )


def test_it_keeps_a_words_speaker_with_word_objects(transcript):
    words = transcript.segments.first().words
    assert set(words[0]) == {"word", "start", "end", "probability", "speaker"}
    assert Word(words[0]["word"], words[0]["start"], words[0]["end"]).word == " Segment"


def rerun(transcript, speakers=None) -> dict[str, str]:
    services.analyses_start(
        transcript=transcript,
        options=analysis_options_validate(kinds=["speakers"], num_speakers=speakers),
    )
    return dict(transcript.speakers.values_list("label", "name"))


def test_a_re_run_keeps_the_names_of_the_same_voices(transcript):
    # The fake engine gives each label its own voice: SPEAKER_01 sounds the same in every run.
    services.speaker_rename(speaker=speaker(transcript, "SPEAKER_01"), name="Ada")
    assert rerun(transcript, 3) == {"SPEAKER_00": "", "SPEAKER_01": "Ada", "SPEAKER_02": ""}
    assert rerun(transcript, 2) == {"SPEAKER_00": "", "SPEAKER_01": "Ada"}
    assert rerun(transcript, 1) == {"SPEAKER_00": ""}  # no voice like hers any more


def test_a_voice_profile_names_a_speaker_before_an_earlier_name(alice, transcript):
    services.speaker_rename(speaker=speaker(transcript, "SPEAKER_00"), name="Bo")
    services.speaker_rename(speaker=speaker(transcript, "SPEAKER_01"), name="Ada")
    voice = speaker(transcript, "SPEAKER_01").embedding
    profile = VoiceProfile.objects.create(owner=alice, name="Jo", embedding=voice, engine="fake")
    assert rerun(transcript, 2) == {"SPEAKER_00": "Bo", "SPEAKER_01": "Jo"}
    assert speaker(transcript, "SPEAKER_01").profile == profile
    assert speaker(transcript, "SPEAKER_00").profile is None


def test_names_do_not_pass_between_engines(transcript):
    named = speaker(transcript, "SPEAKER_01")
    named.name, named.embedding = "Ada", [1.0, 0.0]  # another engine's voice: another size
    named.save()
    assert rerun(transcript, 2) == {"SPEAKER_00": "", "SPEAKER_01": ""}


def test_splitting_by_speaker_keeps_flags_corrections_and_their_history(alice, analysed):
    from apps.transcripts.models import Segment as Row
    from apps.transcripts.models import SegmentEdit

    t = analysed(alice, kinds=())
    rows = list(t.segments.order_by("index"))
    Row.objects.filter(pk=rows[0].pk).update(flags=["stock_phrase"])
    Row.objects.filter(pk=rows[2].pk).update(text=" Fixed.", machine_text=" Segment 2.")
    SegmentEdit.objects.create(
        segment=rows[2], editor=alice, text_before=" Segment 2.", text_after=" Fixed."
    )
    source = selectors.analysis_transcript(t)
    first = source.segments[0]
    pieces = (
        SpeakerSegment("SPEAKER_00", Segment(0.0, 1.0, " Segment", (first.words[0],))),
        SpeakerSegment("SPEAKER_01", Segment(1.0, 2.0, " 0.", (first.words[1],))),
        *(SpeakerSegment("SPEAKER_01", s) for s in source.segments[1:]),
    )
    services.speakers_store(transcript=t, diarization=_one_then_other(pieces), source=source)
    after = list(t.segments.order_by("index"))
    assert [r.flags for r in after[:3]] == [["stock_phrase"], ["stock_phrase"], []]
    fixed = after[3]
    assert (fixed.text, fixed.machine_text) == (" Fixed.", " Segment 2.")
    assert [e.text_after for e in fixed.edits.all()] == [" Fixed."]


def _one_then_other(pieces) -> Diarization:
    """SPEAKER_00 for the first second, SPEAKER_01 for the next ten, labelling `pieces`."""
    return Diarization(
        speakers=(
            EngineSpeaker("SPEAKER_00", 1.0, 1, 60.0, ()),
            EngineSpeaker("SPEAKER_01", 10.0, 11, 66.0, ()),
        ),
        turns=(SpeakerTurn("SPEAKER_00", 0.0, 1.0), SpeakerTurn("SPEAKER_01", 1.0, 11.0)),
        segments=pieces,
    )


def test_the_speakers_analysis_reads_the_transcripts_marks_with_their_sounds(alice, analysed):
    t = analysed(alice, kinds=())
    t.gaps.create(start=14.0, end=16.4, reason="sound", sound="laughter")
    t.gaps.create(start=20.0, end=21.0, reason="no_text")
    marks = selectors.analysis_transcript(t).marks
    assert [(m.start, m.end, m.gap, m.sound, m.text) for m in marks] == [
        (14.0, 16.4, "sound", "laughter", ""),
        (20.0, 21.0, "no_text", "", ""),
    ]
