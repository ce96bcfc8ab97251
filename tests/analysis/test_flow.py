"""The whole flow with the real offline engines on real recordings: upload, transcribe with
tiny.en, then every analysis in the (inline) worker; and voice profiles across recordings."""

import pytest
from django.urls import reverse

from apps.analysis import services
from apps.analysis.models import SpeakerOverlap, VoiceProfile
from apps.analysis.options import analysis_options_validate
from apps.engines.analysis.der import load_rttm
from apps.transcripts.models import Transcript

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_it_transcribes_then_analyses_three_speakers(alice_client, corpus):
    with open(corpus / "falcon_3spk.wav", "rb") as f:
        response = alice_client.post(
            reverse("transcripts:new"),
            {
                "file": f,
                "engine": "local",
                "model": "tiny.en",
                "task": "transcribe",
                "analyses": [
                    "speakers",
                    "summary",
                    "keywords",
                    "chapters",
                    "entities",
                    "sentiment",
                ],
                "speakers": "3",
            },  # fmt: skip
        )
    assert response.status_code == 302
    t = Transcript.objects.get()
    assert t.status == "done" and "crocodile" in t.text.lower()
    runs = {r.kind: r for r in t.analysis_runs.all()}
    assert {k: r.status for k, r in runs.items()} == dict.fromkeys(runs, "done"), {
        k: r.error for k, r in runs.items()
    }
    assert len(runs) == 6 and runs["speakers"].engine == "local"

    # Three speakers, one per line of the reference, each with their own words.
    speakers = list(t.speakers.all())
    assert len(speakers) == 3 and all(s.talk_time > 1.0 and s.embedding for s in speakers)
    by_word = {}
    for segment in t.segments.select_related("speaker"):
        assert segment.speaker is not None
        for w in segment.words:
            assert w["speaker"] == segment.speaker.label
            by_word[w["word"].strip(" .,!?").lower()] = segment.speaker.label
    assert len({by_word["begins"], by_word["crocodile"], by_word["turbulence"]}) == 3

    assert runs["chapters"].result[0]["start"] == pytest.approx(t.segments.first().start, abs=0.5)
    assert runs["summary"].result["method"] == "extractive" and runs["summary"].result["text"]
    assert runs["keywords"].result and len(runs["sentiment"].result) >= 2
    labels = {s["label"] for s in runs["sentiment"].result}
    assert labels <= {"positive", "neutral", "negative"}

    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert "Speaker C" in page and 'class="sentiment-plot"' in page and 'id="chapters"' in page
    srt = alice_client.get(reverse("transcripts:export", args=[t.pk, "srt"])).content.decode()
    assert "Speaker A: " in srt and "Speaker C: " in srt


def upload(analysed, owner, name, **kwargs):
    """The fake speech engine is enough here: speakers are found in the audio."""
    return analysed(owner, name, kinds=("speakers",), engine="fake", model="fake", **kwargs)


def test_a_saved_voice_names_the_same_voice_in_another_recording(
    alice, bob, alice_client, analysed
):
    first = upload(analysed, alice, "eagle_spk1_utt1.wav", speakers=1)
    speaker = first.speakers.get()
    url = reverse("analysis:speaker_profile", args=[speaker.pk])
    assert alice_client.post(url, {"name": "Jo"}).status_code == 302
    profile = VoiceProfile.objects.get(owner=alice)
    assert profile.name == "Jo" and profile.engine == "local" and len(profile.embedding) == 256
    speaker.refresh_from_db()
    assert speaker.name == "Jo" and speaker.profile == profile

    same = upload(analysed, alice, "eagle_spk1_test.wav")
    named = [s for s in same.speakers.all() if s.name == "Jo"]
    assert len(named) == 1 and named[0].profile == profile and named[0].similarity >= 0.84
    page = alice_client.get(same.get_absolute_url()).content.decode()
    assert ">Jo</span>" in page and "voice profile “Jo”" in page

    other = upload(analysed, alice, "eagle_spk2_test.wav")
    assert all(s.name == "" and s.profile is None for s in other.speakers.all())

    # Alice's voices are hers: Bob's recording of the same reader stays unnamed.
    bobs = upload(analysed, bob, "eagle_spk1_test.wav")
    assert all(s.name == "" and s.profile is None for s in bobs.speakers.all())


def test_a_re_run_keeps_a_given_name_on_the_same_voice(alice, analysed):
    t = upload(analysed, alice, "falcon_3spk.wav", speakers=3)
    hers = t.speakers.order_by("label").last()  # the third voice to speak
    services.speaker_rename(speaker=hers, name="Ada")
    her_turns = turns_of(t, hers.label)

    for count in (3, 2, 4, 3):
        services.analyses_start(
            transcript=t,
            options=analysis_options_validate(kinds=["speakers"], num_speakers=count),
        )
        assert t.speakers.count() == count
        ada = t.speakers.get(name="Ada")
        assert t.speakers.filter(name="").count() == count - 1
        # Judged from the turns, not the voices: she speaks when the first run's third voice did.
        mine = turns_of(t, ada.label)
        assert overlap(mine, her_turns) >= 0.9 * sum(end - start for start, end in her_turns), count
        if count >= 3:  # with two, her voice may be the one merged with another: more is hers
            assert overlap(mine, her_turns) >= 0.9 * sum(end - start for start, end in mine), count


def turns_of(transcript, label) -> list[tuple[float, float]]:
    result = transcript.analysis_runs.get(kind="speakers").result
    return [(turn["start"], turn["end"]) for turn in result if turn["speaker"] == label]


def overlap(a, b) -> float:
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def test_the_second_voices_of_a_real_recording_are_kept_and_shown(
    alice, alice_client, analysed, corpus
):
    """pyannote's sample: two people who often start before the other has finished."""
    t = upload(analysed, alice, "sample.wav", speakers=2)
    marks = list(SpeakerOverlap.objects.filter(transcript=t))
    assert len(marks) >= 3 and all(m.over_id and m.over_id != m.speaker_id for m in marks)
    reference = load_rttm(corpus / "sample.rttm")
    both = [
        (max(s1, s2), min(e1, e2))
        for n, (a, s1, e1) in enumerate(reference)
        for b, s2, e2 in reference[n + 1 :]
        if a != b and max(s1, s2) < min(e1, e2)
    ]
    marked = [(m.start, m.end) for m in marks]
    # Most of the marked time is where the reference has both talking (74 % when written).
    assert overlap(marked, both) >= 0.6 * sum(end - start for start, end in marked)
    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert "also talking: Speaker" in page
