"""Settings for the real stack a streaming test starts (daphne and a speech worker, each its own
process, on the test database): the test settings plus two slowed-down fake engines."""

from tests.settings import *  # noqa: F403
from tests.settings import TEXT_TO_SPEECH

_FAKE = "apps.engines.tts.fake.FakeTextToSpeech"
TEXT_TO_SPEECH = {
    **TEXT_TO_SPEECH,
    # Slow enough that the first audio surely comes before the end.
    "fake": {"BACKEND": _FAKE, "OPTIONS": {"delay": 0.4}},
    # Speaks one sentence, then fails.
    "fakefail": {"BACKEND": _FAKE, "OPTIONS": {"delay": 0.2, "fail_with": "unavailable"}},
}
VOICEPORTAL_WARM_UP = False
