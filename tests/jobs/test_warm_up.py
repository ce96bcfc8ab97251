"""The speech worker loads every local engine before its first job: Kokoro's first use costs
seconds (joining and loading its model), which the first studio request used to wait for."""

from django.conf import settings as django_settings

from apps.engines.tts import loading
from apps.jobs.management.commands.run_worker import Command


def test_a_speech_worker_warms_every_local_engine_not_only_the_default(settings):
    kokoro = django_settings.TEXT_TO_SPEECH["kokoro"]
    settings.TEXT_TO_SPEECH = {
        "espeak": django_settings.TEXT_TO_SPEECH["espeak"],
        # Three threads: a key no other test loads, so the load seen here is the warm-up's.
        "kokoro": {**kokoro, "OPTIONS": {**kokoro["OPTIONS"], "cpu_threads": 3}},
        "gone": {
            "BACKEND": "apps.engines.tts.flite.FliteBackend",
            "OPTIONS": {"executable": "/nonexistent/flite"},
        },
    }
    settings.TEXT_TO_SPEECH_DEFAULT = "espeak"
    assert ("kokoro", 3) not in loading._loaded
    try:
        Command()._warm_up({"speech"})  # the engine that is not installed is passed over
        assert ("kokoro", 3) in loading._loaded
    finally:
        loading._loaded.pop(("kokoro", 3), None)  # its memory back for the other tests
