"""Search across the library: relevance, scoping to the owner, snippets, links to the moment,
filters, and an index that follows every change (database triggers / indexes)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analysis.models import Speaker, VoiceProfile
from apps.transcripts.models import Segment, Transcript
from apps.transcripts.search import SearchFilters, query_terms, search_segments, search_titles

pytestmark = pytest.mark.django_db


def make(owner, title, *texts, language="en", start=0.0, **fields):
    transcript = Transcript.objects.create(
        owner=owner,
        title=title,
        media="transcripts/none.wav",
        original_filename="none.wav",
        engine="fake",
        model="fake",
        status=Transcript.Status.DONE,
        detected_language=language,
        **fields,
    )
    for i, text in enumerate(texts):
        Segment.objects.create(
            transcript=transcript, index=i, start=start + 5 * i, end=start + 5 * i + 4, text=text
        )
    return transcript


def found(owner, q, **filters):
    return [
        hit.segment.text
        for hit in search_segments(owner=owner, filters=SearchFilters(q=q, **filters))
    ]


def test_the_best_match_comes_first_and_every_word_must_match(alice):
    make(alice, "Weekly", " We talked about the weather, football, and then the budget at length.")
    make(alice, "Finance", " Budget review: the budget, the budget and nothing but the budget.")
    make(alice, "Other", " Nothing to see here.")
    assert found(alice, "budget") == [
        " Budget review: the budget, the budget and nothing but the budget.",
        " We talked about the weather, football, and then the budget at length.",
    ]
    assert found(alice, "budget football") == [
        " We talked about the weather, football, and then the budget at length."
    ]
    assert found(alice, '"the budget at"') == [
        " We talked about the weather, football, and then the budget at length."
    ]
    assert found(alice, "budg") == found(alice, "budget")  # the last word as typed so far
    assert found(alice, "crocodile") == []


def test_it_never_finds_another_users_transcripts(alice, bob, alice_client):
    make(alice, "Mine", " The quarterly budget.")
    make(bob, "Bob's secret plans", " The secret budget of bob.")
    assert found(alice, "budget") == [" The quarterly budget."]
    assert found(alice, "secret") == []
    assert search_titles(owner=alice, filters=SearchFilters(q="secret")) == []
    html = alice_client.get(reverse("transcripts:search"), {"q": "secret budget"}).content.decode()
    assert "secret budget of bob" not in html and "Bob&#x27;s secret" not in html


def test_hits_show_a_marked_snippet_and_open_the_transcript_at_that_moment(alice, alice_client):
    transcript = make(
        alice, "Talk", " Opening words.", " <b>Bold</b> claims about the budget.", start=10.0
    )
    (hit,) = search_segments(owner=alice, filters=SearchFilters(q="budget"))
    assert "<mark>budget</mark>" in hit.snippet
    # The text's own markup is never rendered: only <mark> is ours.
    assert "Bold" in hit.snippet and "<b>" not in hit.snippet
    assert hit.url == f"/transcripts/{transcript.pk}/#t=15.00"
    html = alice_client.get(reverse("transcripts:search"), {"q": "budget"}).content.decode()
    assert f'href="/transcripts/{transcript.pk}/#t=15.00"' in html
    assert "<mark>budget</mark>" in html


def test_titles_are_searched_too(alice, alice_client):
    transcript = make(alice, "Board meeting March", " Hello.")
    (hit,) = search_titles(owner=alice, filters=SearchFilters(q="board"))
    assert hit.transcript == transcript and "<mark>Board</mark>" in hit.title
    html = alice_client.get(reverse("transcripts:search"), {"q": "board"}).content.decode()
    assert transcript.get_absolute_url() in html


def test_filters_by_date_language_and_speaker(alice):
    old = make(alice, "Old", " The budget in English.")
    Transcript.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    make(alice, "Neu", " Das budget auf Deutsch.", language="de")
    named = make(alice, "Named", " Maria on the budget.")
    profile = VoiceProfile.objects.create(owner=alice, name="Maria Lopez", embedding=[0.0])
    speaker = Speaker.objects.create(transcript=named, label="SPEAKER_00", profile=profile)
    named.segments.update(speaker=speaker)

    today = timezone.localdate()
    assert found(alice, "budget", language="de") == [" Das budget auf Deutsch."]
    assert " The budget in English." not in found(alice, "budget", date_from=today)
    assert found(alice, "budget", date_to=today - timedelta(days=30)) == [" The budget in English."]
    assert found(alice, "budget", speaker="maria") == [" Maria on the budget."]
    Speaker.objects.filter(pk=speaker.pk).update(profile=None, name="Chair")
    assert found(alice, "budget", speaker="chair") == [" Maria on the budget."]


def test_the_index_follows_edits_renames_and_deletes(alice):
    transcript = make(alice, "Draft", " The budgte is late.")
    segment = transcript.segments.get()
    segment.text = " The budget is late."
    segment.save()
    assert found(alice, "budget") == [" The budget is late."] and found(alice, "budgte") == []
    Transcript.objects.filter(pk=transcript.pk).update(title="Final")
    assert [h.transcript.pk for h in search_titles(owner=alice, filters=SearchFilters(q="final"))]
    assert search_titles(owner=alice, filters=SearchFilters(q="draft")) == []
    transcript.delete()
    assert found(alice, "budget") == []
    assert search_titles(owner=alice, filters=SearchFilters(q="final")) == []


@pytest.mark.parametrize("q", ['"unclosed', "AND OR NOT", "a*b", "(x", "NEAR(", "-", "'; --", "ü"])
def test_any_input_is_words_not_query_syntax(alice, q):
    make(alice, "T", " Plain words.")
    search_segments(owner=alice, filters=SearchFilters(q=q))  # no error
    search_titles(owner=alice, filters=SearchFilters(q=q))


def test_a_word_in_an_indic_script_is_found_with_its_vowel_signs_and_only_so(alice):
    # Vowel signs are combining marks: cut at each one, "मात्र" (only) and "मित्र" (friend)
    # were the same three pieces, and a search for one found the other.
    make(alice, "Hindi", " मेरा मित्र दिल्ली में रहता है।", language="hi")
    make(alice, "Telugu", " నా పేరు సాయి కృష్ణ", language="te")
    assert found(alice, "मात्र") == []
    assert found(alice, "मित्र") == [" मेरा मित्र दिल्ली में रहता है।"]
    assert found(alice, "मि") == found(alice, "मित्र")  # the last word as typed so far
    assert found(alice, "కృష్ణ") == [" నా పేరు సాయి కృష్ణ"]
    assert found(alice, "కష") == []
    assert query_terms('मित्र "నా పేరు"') == [["मित्र"], ["నా", "పేరు"]]


def test_query_terms():
    assert query_terms('budget "next year" x-ray') == [["budget"], ["next", "year"], ["x", "ray"]]


def test_the_search_page_needs_a_login(client):
    response = client.get(reverse("transcripts:search"), {"q": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_search_box_is_in_the_nav(alice_client):
    html = alice_client.get(reverse("transcripts:list")).content.decode()
    assert f'action="{reverse("transcripts:search")}"' in html


def test_more_hits_than_a_page_are_paged(alice, alice_client):
    make(alice, "Long", *[f" Budget item {i}." for i in range(35)])
    first = alice_client.get(reverse("transcripts:search"), {"q": "budget"})
    second = alice_client.get(reverse("transcripts:search"), {"q": "budget", "page": 2})
    assert first.context["has_next"] and len(first.context["hits"]) == 30
    assert len(second.context["hits"]) == 5 and not second.context["has_next"]


def test_triggers_lost_to_a_table_rebuild_are_made_again_by_migrate(alice):
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps the index by triggers")
    with connection.cursor() as cursor:  # as a later migration that rebuilds the table does
        cursor.execute("DROP TRIGGER transcripts_segment_fts_insert")
    make(alice, "T", " Words said meanwhile.")
    assert found(alice, "meanwhile") == []
    call_command("migrate", verbosity=0)
    assert found(alice, "meanwhile") == [" Words said meanwhile."]
