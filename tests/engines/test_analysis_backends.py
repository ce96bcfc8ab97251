"""Analysis engines chosen in settings, and the fake engine other tests use."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.engines.analysis import analysis_backends
from apps.engines.analysis.base import Analysis, DiarizationRequest, Transcript, VoiceProfile
from apps.engines.analysis.fake import FakeAnalysis
from apps.engines.analysis.local import LocalAnalysisBackend
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt.base import Segment, Word


def _sentence(i: int) -> Segment:
    t = i * 2.0
    words = (Word(" Sentence", t, t + 0.5), Word(f" {i}", t + 0.5, t + 1.0),
             Word(" is", t + 1.0, t + 1.2), Word(" good.", t + 1.2, t + 1.5))  # fmt: skip
    return Segment(t, t + 1.5, f" Sentence {i} is good.", words)


TRANSCRIPT = Transcript(tuple(_sentence(i) for i in range(4)))


@pytest.fixture
def engines(settings):
    settings.TRANSCRIPT_ANALYSIS = {
        "local": {
            "BACKEND": "apps.engines.analysis.local.LocalAnalysisBackend",
            "OPTIONS": {"max_speakers": 4, "llm": {"model": ""}},
        },
        "fake": {"BACKEND": "apps.engines.analysis.fake.FakeAnalysis"},
    }
    settings.TRANSCRIPT_ANALYSIS_DEFAULT = "local"
    return analysis_backends


def test_it_builds_engines_from_settings(engines):
    local = engines.default()
    assert isinstance(local, LocalAnalysisBackend) and local.alias == "local"
    assert local.max_speakers == 4 and not local.supports_abstractive_summary
    assert isinstance(engines["fake"], FakeAnalysis)
    assert engines["fake"] is engines["fake"]


def test_it_names_the_choices_for_an_unknown_engine(engines):
    with pytest.raises(ImproperlyConfigured, match="fake"):
        engines["nope"]


def test_it_finds_every_package_the_local_engine_needs(engines):
    assert engines["local"].configuration_problem() is None


def test_it_runs_every_analysis_on_the_fake(engines, tmp_path):
    fake = engines["fake"]
    result = fake.diarize(DiarizationRequest(audio_path=tmp_path / "a.wav", transcript=TRANSCRIPT))
    assert [s.speaker for s in result.segments] == ["SPEAKER_00", "SPEAKER_01"] * 2
    assert [s.words for s in result.speakers] == [8, 8]
    assert len(fake.chapters(TRANSCRIPT)) == 2
    assert {s.label for s in fake.sentiment(TRANSCRIPT)} == {"positive"}
    met = Transcript((Segment(0.0, 2.0, " We met Alice in Paris."),))
    assert [(e.text, e.type) for e in fake.entities(met)] == [
        ("Alice", "PERSON"),
        ("Paris", "PERSON"),
    ]
    assert fake.keywords(TRANSCRIPT).keywords[0].text == "sentence"
    assert fake.summarize(TRANSCRIPT).text == "Sentence 0 is good."


def test_it_names_speakers_from_profiles_on_the_fake(engines, tmp_path):
    fake = engines["fake"]
    profile = VoiceProfile("p1", "Bob", fake.voice_embedding(tmp_path / "bob_1.wav"))
    result = fake.diarize(
        DiarizationRequest(
            audio_path=tmp_path / "a.wav", transcript=TRANSCRIPT, profiles=(profile,)
        )
    )
    assert [(s.label, s.name, s.similarity) for s in result.speakers] == [
        ("SPEAKER_00", None, None),
        ("SPEAKER_01", "Bob", 1.0),
    ]


def test_it_fails_on_cue(settings):
    fake = FakeAnalysis(alias="fake", fail_with="rate_limited")
    with pytest.raises(ProviderError) as caught:
        fake.keywords(TRANSCRIPT)
    assert caught.value.kind == ErrorKind.RATE_LIMITED and not caught.value.permanent


def test_it_limits_analyses_by_language_on_the_fake():
    fake = FakeAnalysis(alias="fake", languages={"sentiment": ["en"]})
    assert fake.supports(Analysis.SENTIMENT, "en-US")
    assert not fake.supports(Analysis.SENTIMENT, "fr")
    assert set(fake.unavailable("fr")) == {Analysis.SENTIMENT}
