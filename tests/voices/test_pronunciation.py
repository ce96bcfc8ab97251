"""Each user's pronunciation dictionary: kept per user, said by whichever engine speaks."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.engines.tts.base import SpeechRequest
from apps.voices import services
from apps.voices.models import Pronunciation
from apps.voices.selectors import voice_resolve

pytestmark = pytest.mark.django_db


def test_words_are_replaced_whole_in_any_case(alice):
    services.pronunciation_set(owner=alice, word="Nevers", say_as="nuh-VAIR")
    services.pronunciation_set(owner=alice, word="SQL", say_as="sequel")
    assert (
        services.pronounce("nevers, NEVERS and Neversland; sql/SQL's", owner_id=alice.pk)
        == "nuh-VAIR, nuh-VAIR and Neversland; sequel/SQL's"
    )


def test_setting_a_word_again_changes_it_and_bad_entries_are_refused(alice):
    services.pronunciation_set(owner=alice, word="gif", say_as="jif")
    services.pronunciation_set(owner=alice, word="GIF", say_as="ghif")
    assert list(alice.pronunciations.values_list("word", "say_as")) == [("GIF", "ghif")]
    with pytest.raises(ValidationError) as error:
        services.pronunciation_set(owner=alice, word="two words", say_as="")
    assert set(error.value.message_dict) == {"word", "say_as"}


def test_every_engine_reads_the_speakers_words_and_no_one_elses(alice, bob):
    services.pronunciation_set(owner=alice, word="Nevers", say_as="nuh-VAIR")
    voice = voice_resolve(user=alice, voice_id="fake:low")
    request = SpeechRequest("We drove to Nevers.", format="pcm")
    said = services.voice_synthesize_pcm(voice=voice, request=request, speaker_id=alice.pk)
    assert [c.text for c in said] == ["We drove to nuh-VAIR."]
    said = services.voice_synthesize_pcm(voice=voice, request=request, speaker_id=bob.pk)
    assert [c.text for c in said] == ["We drove to Nevers."]


def test_the_page_adds_lists_and_removes_the_users_words(alice_client, alice, bob):
    url = reverse("voices:pronunciations")
    response = alice_client.post(url, {"word": "Nevers", "say_as": "nuh-VAIR"})
    assert response.status_code == 302
    theirs = services.pronunciation_set(owner=bob, word="Bobword", say_as="bob")
    html = alice_client.get(url).content.decode()
    assert "nuh-VAIR" in html and "Bobword" not in html
    response = alice_client.post(url, {"word": "two words", "say_as": "x"})
    assert response.status_code == 400 and "Give one word" in response.content.decode()
    delete = reverse("voices:pronunciation_delete", args=[theirs.pk])
    assert alice_client.post(delete).status_code == 404
    mine = alice.pronunciations.get()
    alice_client.post(reverse("voices:pronunciation_delete", args=[mine.pk]))
    assert list(Pronunciation.objects.values_list("word", flat=True)) == ["Bobword"]


def test_the_page_needs_a_login(client):
    response = client.get(reverse("voices:pronunciations"))
    assert response.status_code == 302 and "login" in response.url
