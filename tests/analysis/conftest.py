from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.analysis.options import analysis_options_validate
from apps.core.media import decode_all
from apps.transcripts import services
from apps.transcripts.options import options_validate
from tests.media_factory import write_wav

ALL = ("speakers", "summary", "keywords", "chapters", "entities", "sentiment")


@pytest.fixture
def fake_analysis(settings):
    """Analyses by the fake engine: fast, deterministic, and able to fail on cue."""
    settings.TRANSCRIPT_ANALYSIS_DEFAULT = "fake"


@pytest.fixture
def analysed(corpus):
    """A transcript of `name` for `owner`, transcribed (inline) and then analysed as asked."""

    def make(
        owner,
        name="jfk.flac",
        *,
        path: Path | None = None,
        kinds=ALL,
        speakers=None,
        engine="fake",
        model="fake",
        **options,
    ):
        path = path or corpus / name
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        return services.transcript_create(
            owner=owner,
            upload=upload,
            options=options_validate(engine=engine, model=model, **options),
            analyses=analysis_options_validate(kinds=kinds, num_speakers=speakers),
        )

    return make


@pytest.fixture(scope="session")
def two_voices(corpus, tmp_path_factory) -> Path:
    """Two readers, one after the other: eagle speaker 1 (0–10.9 s), then speaker 2."""
    first = decode_all(corpus / "eagle_spk1_test.wav")
    second = decode_all(corpus / "eagle_spk2_test.wav")
    pause = np.zeros(8_000, dtype=np.float32)
    path = tmp_path_factory.mktemp("audio") / "two_voices.wav"
    return write_wav(path, np.concatenate([first, pause, second]))


SPEAKER_1_ENDS = 10.86 + 0.25  # where the second reader's part begins, about
