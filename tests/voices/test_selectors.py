"""voice_options and voice_resolve: every configured engine's stock voices, the user's own and
shared custom voices, and nothing of anyone else's."""

import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.voices.models import VoiceShare
from apps.voices.selectors import voice_options, voice_resolve

pytestmark = pytest.mark.django_db


def resolve_error(user, voice_id) -> ProviderError:
    with pytest.raises(ProviderError) as error:
        voice_resolve(user=user, voice_id=voice_id)
    assert error.value.kind == ErrorKind.INVALID_INPUT
    return error.value


def test_it_lists_stock_voices_of_every_configured_engine(alice):
    options = {o.id: o for o in voice_options(user=alice)}
    for voice_id in ("piper:joe", "kokoro:jf_alpha", "espeak:de", "fake:low"):
        assert options[voice_id].kind == "stock"
    joe = options["piper:joe"]
    assert (joe.engine, joe.gender, joe.languages) == ("piper", "male", ("en-us",))
    assert joe.preview_url is None  # none made yet


@pytest.mark.parametrize(
    "voice_id,engine,engine_voice",
    [
        ("piper:joe", "piper", "joe"),
        ("kokoro:jf_alpha", "kokoro", "jf_alpha"),
        ("espeak:de", "espeak", "de"),
        ("espeak:en-us+klatt", "espeak", "en-us+klatt"),
        ("kokoro:jf_alpha:0.6+jm_kumo:0.4", "kokoro", "jf_alpha:0.6+jm_kumo:0.4"),
    ],
)
def test_it_resolves_stock_voices(alice, voice_id, engine, engine_voice):
    voice = voice_resolve(user=alice, voice_id=voice_id)
    assert (voice.id, voice.engine, voice.engine_voice) == (voice_id, engine, engine_voice)
    assert voice.method == "stock" and voice.match is None and voice.custom_voice_id is None


def test_an_empty_id_is_the_default_voice(alice, settings):
    settings.TEXT_TO_SPEECH_DEFAULT = "piper"
    assert voice_resolve(user=alice, voice_id="").id == "piper:joe"


@pytest.mark.parametrize(
    "voice_id",
    ["joe", "nope:joe", "piper:", "piper:nobody", "voice_zz", "voice_" + "0" * 32, "voice_"],
)
def test_it_refuses_unknown_ids(alice, voice_id):
    assert "Unknown voice" in str(resolve_error(alice, voice_id))


def test_it_resolves_the_owners_custom_voice(alice, ready_voice):
    voice = ready_voice(alice)
    resolved = voice_resolve(user=alice, voice_id=voice.public_id)
    assert resolved.id == voice.public_id and resolved.id == f"voice_{voice.pk.hex}"
    assert (resolved.engine, resolved.engine_voice, resolved.method) == ("fake", "low", "match")
    assert resolved.match.target_f0 == 180.0 and resolved.custom_voice_id == voice.pk
    option = next(o for o in voice_options(user=alice) if o.id == voice.public_id)
    assert option.kind == "custom" and "not a clone" in option.description


def test_a_voice_not_ready_is_refused_with_its_state(alice, ready_voice):
    voice = ready_voice(alice, status="matching", match=None)
    assert "not ready" in str(resolve_error(alice, voice.public_id))
    assert voice.public_id not in {o.id for o in voice_options(user=alice)}


def test_another_users_private_voice_looks_like_an_unknown_one(alice, bob, ready_voice):
    voice = ready_voice(alice)
    private = str(resolve_error(bob, voice.public_id))
    unknown = str(resolve_error(bob, "voice_" + "1" * 32))
    assert private.replace(voice.pk.hex, "X") == unknown.replace("1" * 32, "X")
    assert voice.public_id not in {o.id for o in voice_options(user=bob)}


def test_a_shared_voice_can_be_used_by_whom_it_is_shared_with(alice, bob, ready_voice):
    voice = ready_voice(alice)
    VoiceShare.objects.create(voice=voice, user=bob)
    assert voice_resolve(user=bob, voice_id=voice.public_id).method == "match"
    option = next(o for o in voice_options(user=bob) if o.id == voice.public_id)
    assert option.kind == "shared" and "Shared by alice" in option.description


def test_a_cloned_voice_speaks_with_the_clone(alice, ready_voice, cloning):
    cloning()
    voice = ready_voice(
        alice, cloud_engine="fake", cloud_tts_engine="fake", cloud_voice_id="high",
        cloud_status="done",
    )  # fmt: skip
    resolved = voice_resolve(user=alice, voice_id=voice.public_id)
    assert (resolved.engine, resolved.engine_voice, resolved.method) == ("fake", "high", "clone")
    assert resolved.cloud_voice_id == "high" and resolved.match is not None
    # The provider lists the clone with its stock voices: it is nobody's stock voice here.
    assert "fake:high" not in {o.id for o in voice_options(user=alice)}
    resolve_error(alice, "fake:high")


def test_a_clone_waiting_for_verification_leaves_the_match_speaking(alice, ready_voice):
    voice = ready_voice(
        alice, cloud_engine="fake", cloud_tts_engine="fake", cloud_voice_id="high",
        cloud_status="done", cloud_requires_verification=True,
    )  # fmt: skip
    resolved = voice_resolve(user=alice, voice_id=voice.public_id)
    assert (resolved.method, resolved.engine_voice, resolved.cloud_voice_id) == (
        "match",
        "low",
        "high",
    )
