"""Each user's pronunciation dictionary: kept per user, said by whichever engine speaks."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
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
    for name in ("pronunciations", "pronunciations_export"):
        response = client.get(reverse(f"voices:{name}"))
        assert response.status_code == 302 and "login" in response.url
    response = client.post(reverse("voices:pronunciations_import"))
    assert response.status_code == 302 and "login" in response.url


def test_a_phoneme_entry_is_checked_and_given_a_respelling(alice):
    entry = services.pronunciation_set(owner=alice, word="Nevers", phonemes="/nəˈvɛʁ/")
    assert (entry.phonemes, entry.say_as) == ("nəˈvɛʁ", "nuh-VAIR")
    entry = services.pronunciation_set(owner=alice, word="Nevers", phonemes="nəˈvɛʁ", say_as="nev")
    assert (entry.phonemes, entry.say_as) == ("nəˈvɛʁ", "nev")
    with pytest.raises(ValidationError) as error:
        services.pronunciation_set(owner=alice, word="Nevers", phonemes="nəʘ")
    assert "“ʘ”" in error.value.message_dict["phonemes"][0]
    assert alice.pronunciations.get().say_as == "nev"  # the entry before is kept


def test_engines_with_phoneme_input_get_the_phonemes_the_others_the_respelling(
    alice, bob, settings
):
    settings.TEXT_TO_SPEECH = {
        **settings.TEXT_TO_SPEECH,
        "phon": {
            "BACKEND": "apps.engines.tts.fake.FakeTextToSpeech",
            "OPTIONS": {"phonemes": True},
        },
    }
    services.pronunciation_set(owner=alice, word="Nevers", phonemes="nəˈvɛʁ")
    services.pronunciation_set(owner=alice, word="SQL", say_as="sequel")
    request = SpeechRequest("SQL in Nevers.", format="pcm")

    def said(voice_id, speaker):
        voice = voice_resolve(user=alice, voice_id=voice_id)
        chunks = services.voice_synthesize_pcm(voice=voice, request=request, speaker_id=speaker)
        return [c.text for c in chunks]

    assert said("phon:low", alice.pk) == ["sequel in /nəˈvɛʁ/."]
    assert said("fake:low", alice.pk) == ["sequel in nuh-VAIR."]
    assert said("phon:low", bob.pk) == ["SQL in Nevers."]


def test_the_dictionary_goes_out_and_comes_back_as_pls(alice, bob):
    services.pronunciation_set(owner=alice, word="Nevers", phonemes="nəˈvɛʁ")
    services.pronunciation_set(owner=alice, word="SQL", say_as="sequel")
    exported = services.pls_export(owner=alice)
    assert b'alphabet="ipa"' in exported and "<phoneme>nəˈvɛʁ</phoneme>".encode() in exported
    assert services.pls_import(owner=bob, data=exported) == (2, [])
    rows = ("word", "say_as", "phonemes")
    assert list(bob.pronunciations.values_list(*rows)) == list(
        alice.pronunciations.values_list(*rows)
    )


def test_an_elevenlabs_pls_with_arpabet_is_imported_and_bad_lexemes_are_listed(alice):
    pls = b"""<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
  alphabet="cmu-arpabet" xml:lang="en-US">
  <lexeme><grapheme>tomato</grapheme><grapheme>Tomato</grapheme>
    <phoneme>T AH0 M EY1 T OW2</phoneme></lexeme>
  <lexeme><grapheme>Thailand</grapheme><alias>tie-land</alias></lexeme>
  <lexeme><grapheme>Zed</grapheme><phoneme>Q Q1</phoneme></lexeme>
</lexicon>"""
    saved, problems = services.pls_import(owner=alice, data=pls)
    assert saved == 3 and problems == ["Zed: Unknown Arpabet symbol 'Q'."]
    assert dict(alice.pronunciations.values_list("word", "phonemes")) == {
        "Tomato": "təmˈeɪtˌoʊ",
        "Thailand": "",
    }
    with pytest.raises(ValidationError):
        services.pls_import(owner=alice, data=b"<!DOCTYPE x [<!ENTITY a 'b'>]><lexicon/>")


def test_the_page_takes_phonemes_imports_and_exports_the_users_own(alice_client, alice, bob):
    url = reverse("voices:pronunciations")
    page = alice_client.get(url).content.decode()
    assert "Piper (neural, offline)" in page and "read the respelling instead" in page
    data = {"word": "Nevers", "kind": "phonemes", "phonemes": "nəˈvɛ☃"}
    response = alice_client.post(url, data)
    assert response.status_code == 400 and "“☃”" in response.content.decode()
    alice_client.post(url, {**data, "phonemes": "nəˈvɛʁ"})
    assert "/nəˈvɛʁ/" in alice_client.get(url).content.decode()
    services.pronunciation_set(owner=bob, word="Bobword", say_as="bob")
    exported = alice_client.get(reverse("voices:pronunciations_export"))
    assert exported["Content-Disposition"].endswith('"pronunciations.pls"')
    assert b"Nevers" in exported.content and b"Bobword" not in exported.content
    pls = SimpleUploadedFile("words.pls", exported.content.replace(b"Nevers", b"Auxerre"))
    response = alice_client.post(reverse("voices:pronunciations_import"), {"file": pls})
    assert response.status_code == 302
    assert sorted(alice.pronunciations.values_list("word", flat=True)) == ["Auxerre", "Nevers"]
    assert list(bob.pronunciations.values_list("word", flat=True)) == ["Bobword"]
