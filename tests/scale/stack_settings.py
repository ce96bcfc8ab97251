"""What the processes of the scale-out tests run with: the test settings on the deployment's
PostgreSQL and Redis (DATABASE_URL, REDIS_URL), and fake engines that take their time."""

from tests.settings import *  # noqa: F403
from tests.settings import TEXT_TO_SPEECH

TEXT_TO_SPEECH = {
    **TEXT_TO_SPEECH,
    "fake": {"BACKEND": "apps.engines.tts.fake.FakeTextToSpeech", "OPTIONS": {"delay": 0.2}},
}
