"""Studio generations kept paragraph by paragraph: one spoken again alone (another take, edited
text, other settings), the whole re-joined; refused where it cannot be; owner only; cancel."""

from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.jobs.runner import job_run
from apps.speech import paragraphs
from apps.speech.models import Generation, ParagraphRegeneration

from .conftest import SECONDS_PER_CHAR, decoded_seconds

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "The first paragraph is here.\n\nA second one follows it.\n\nAnd the third ends it."


def samples(path: Path) -> np.ndarray:
    data = path.read_bytes()
    return np.frombuffer(data[44:], dtype="<i2")


def test_one_paragraph_is_spoken_again_and_the_whole_rejoined(alice, make_generation):
    g = make_generation(alice, TEXT, audio_format="wav", paragraphs=True)
    g.refresh_from_db()
    assert g.status == "done"
    first = [(p.text, p.audio.name, p.duration) for p in g.paragraphs.all()]
    assert [t for t, _, _ in first] == [
        "The first paragraph is here.",
        "A second one follows it.",
        "And the third ends it.",
    ]
    assert sum(d for _, _, d in first) == pytest.approx(g.duration, abs=0.01)
    before = samples(Path(g.audio.path))
    kept = {i: Path(g.paragraphs.get(index=i).audio.path).read_bytes() for i in (0, 2)}

    edited = "  A longer second paragraph\nfollows it now.  "
    r = paragraphs.paragraph_regenerate(
        owner=alice, paragraph=g.paragraphs.get(index=1), text=edited
    )
    r.refresh_from_db()
    assert r.status == "done" and r.progress_total == 2  # one sentence, then the join
    old_audio = Path(g.audio.path)
    g.refresh_from_db()
    assert g.edits == 1 and not old_audio.exists()
    assert g.text == (
        "The first paragraph is here.\n\nA longer second paragraph follows it now.\n\n"
        "And the third ends it."
    )
    p1 = g.paragraphs.get(index=1)
    assert p1.text == "A longer second paragraph follows it now." and p1.takes == 2
    assert p1.duration == pytest.approx(len(p1.text) * SECONDS_PER_CHAR, abs=0.01)
    # The others were not spoken again: their own audio is as it was.
    assert {i: Path(g.paragraphs.get(index=i).audio.path).read_bytes() for i in (0, 2)} == kept
    after = samples(Path(g.audio.path))
    assert g.duration == pytest.approx(first[0][2] + p1.duration + first[2][2], abs=0.01)
    assert decoded_seconds(Path(g.audio.path).read_bytes(), "wav") == pytest.approx(
        g.duration, abs=0.01
    )
    # The first paragraph's audio leads the new file unchanged.
    head = int(first[0][2] * 24_000)
    assert np.array_equal(after[:head], before[:head])
    assert g.audio_size == Path(g.audio.path).stat().st_size


def test_it_is_refused_while_it_cannot_be_done(alice, make_generation, queued):
    g = make_generation(alice, TEXT, paragraphs=True)
    paragraph = g.paragraphs.get(index=0)
    with pytest.raises(ValidationError, match="once the whole text is done"):
        paragraphs.paragraph_regenerate(owner=alice, paragraph=paragraph, text="New.")
    Generation.objects.filter(pk=g.pk).update(status="done")
    g.refresh_from_db()
    paragraph = g.paragraphs.get(index=0)
    with pytest.raises(ValidationError) as caught:
        paragraphs.paragraph_regenerate(owner=alice, paragraph=paragraph, text=" ... ")
    assert "no text to speak" in caught.value.message_dict["text"][0]
    r = paragraphs.paragraph_regenerate(owner=alice, paragraph=paragraph, text="New text.")
    assert r.status == "queued"
    with pytest.raises(ValidationError, match="Another paragraph"):
        paragraphs.paragraph_regenerate(
            owner=alice, paragraph=g.paragraphs.get(index=2), text="Other."
        )
    # Cancelled before it ran: the generation stays as it was, and another may go.
    paragraphs.regeneration_cancel(regeneration=r)
    job_run(model=ParagraphRegeneration, job_id=r.pk)
    r.refresh_from_db()
    g.refresh_from_db()
    assert r.status == "cancelled" and g.edits == 0 and g.paragraphs.get(index=0).takes == 1
    paragraphs.paragraph_regenerate(owner=alice, paragraph=g.paragraphs.get(index=2), text="Ok.")


def test_only_the_studio_keeps_paragraphs(alice, make_generation):
    g = make_generation(alice, TEXT)  # the API's way
    assert not g.paragraphs.exists()
    g.refresh_from_db()
    assert g.duration == pytest.approx(
        sum(len(p) for p in TEXT.split("\n\n")) * SECONDS_PER_CHAR, abs=0.01
    )


def test_another_users_paragraphs_are_not_found(alice, bob_client, make_generation):
    g = make_generation(alice, TEXT, paragraphs=True)
    r = paragraphs.paragraph_regenerate(
        owner=alice, paragraph=g.paragraphs.get(index=0), text="Mine."
    )
    for url in (
        reverse("speech:paragraphs", args=[g.pk]),
        reverse("speech:paragraph_audio", args=[g.pk, 0]),
        reverse("speech:paragraph_form", args=[g.pk, 0]),
        reverse("speech:regeneration_progress", args=[r.pk]),
    ):
        assert bob_client.get(url).status_code == 404
    for url in (
        reverse("speech:paragraph_regenerate", args=[g.pk, 1]),
        reverse("speech:regeneration_cancel", args=[r.pk]),
    ):
        assert bob_client.post(url, {"text": "Bob's."}).status_code == 404
    g.refresh_from_db()
    assert g.edits == 1 and "Bob" not in g.text


def test_the_owner_regenerates_through_the_page(alice_client, alice, make_generation):
    g = make_generation(alice, TEXT, paragraphs=True)
    page = alice_client.get(reverse("speech:studio"), {"g": g.pk})
    assert page.status_code == 200
    assert page.content.decode().count('class="paragraph"') == 3
    form = alice_client.get(reverse("speech:paragraph_form", args=[g.pk, 2]))
    assert (
        'name="text"' in form.content.decode() and "And the third ends it." in form.content.decode()
    )
    url = reverse("speech:paragraph_regenerate", args=[g.pk, 2])
    answer = alice_client.post(url, {"text": ""}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "There is no text to speak" in answer.content.decode()
    answer = alice_client.post(
        url, {"text": "The third, again.", "speed": "1.5"}, headers={"HX-Request": "true"}
    )
    assert answer["HX-Refresh"] == "true"  # spoken inline here: the page shows the new audio
    p = g.paragraphs.get(index=2)
    assert (p.text, p.speed, p.takes) == ("The third, again.", 1.5, 2)
    audio = alice_client.get(reverse("speech:paragraph_audio", args=[g.pk, 2]))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/flac"
    assert decoded_seconds(b"".join(audio.streaming_content), "flac") == pytest.approx(
        p.duration, abs=0.05
    )
    g.refresh_from_db()
    assert g.play_url.endswith("?v=1")
