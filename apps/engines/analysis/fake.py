"""A real, deterministic analysis engine for tests: fast, model-free, and able to fail on cue.

Speakers alternate segment by segment (with `talk_over` seconds, each starts that long before
the previous one's segment ends, marked in `overlaps`); chapters are fixed runs of segments;
capitalised words after the first of a sentence are entities; sentences with "good"/"bad" are
positive/negative.
"""

import re
import time
from collections import Counter
from pathlib import Path

from ..errors import ErrorKind, ProviderError
from .base import (
    ALL_LANGUAGES,
    Analysis,
    AnalysisBackend,
    Chapter,
    Diarization,
    DiarizationRequest,
    Entity,
    Keyword,
    Keywords,
    SentenceSentiment,
    Speaker,
    SpeakerTurn,
    Summary,
    SummaryMethod,
    Transcript,
)
from .speakers import label_segments, match_profiles, speaker_figures
from .text import TimedText

_DIMENSIONS = 8


class FakeAnalysis(AnalysisBackend):
    label = "Fake (tests)"
    runs_locally = True
    analyses = frozenset(Analysis)

    def __init__(
        self,
        *,
        alias: str,
        segments_per_chapter: int = 3,
        delay: float = 0.0,
        fail_with: str = "",
        languages: dict | None = None,
        talk_over: float = 0.0,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.segments_per_chapter = segments_per_chapter
        self.delay = delay
        self.fail_with = fail_with  # an ErrorKind value: every analysis fails this way
        self.talk_over = talk_over
        self.languages = {
            Analysis(k): (frozenset(v) if v is not None else ALL_LANGUAGES)
            for k, v in (languages or {}).items()
        }

    def _start(self, analysis: Analysis, language: str = "en") -> None:
        time.sleep(self.delay)
        if self.fail_with:
            raise ProviderError(
                f"The fake engine failed ({self.fail_with}).", kind=ErrorKind(self.fail_with)
            )
        self.check_supported(analysis, language)

    def diarize(self, request: DiarizationRequest) -> Diarization:
        self._start(Analysis.SPEAKERS)
        transcript = request.transcript or Transcript(())
        count = request.num_speakers or 2
        turns = tuple(
            SpeakerTurn(_label(i % count), s.start, s.end)
            for i, s in enumerate(transcript.segments)
        )
        segments = label_segments(transcript, turns)
        vectors = {_label(i): _unit_vector(i) for i in range(count)}
        speakers: list[Speaker] = speaker_figures(turns, segments, vectors)
        speakers = match_profiles(speakers, request.profiles)
        overlaps = tuple(
            SpeakerTurn(turn.speaker, max(before.start, turn.start - self.talk_over), turn.start)
            for before, turn in zip(turns, turns[1:], strict=False)
            if self.talk_over and turn.speaker != before.speaker
        )
        return Diarization(
            speakers=tuple(speakers), turns=turns, segments=segments, overlaps=overlaps
        )

    def voice_embedding(self, audio_path: Path) -> tuple[float, ...]:
        self._start(Analysis.SPEAKERS)
        # Files whose name ends in a digit are that speaker's voice; others speaker 0's.
        match = re.search(r"(\d+)$", Path(audio_path).stem)
        return tuple(float(x) for x in _unit_vector(int(match.group(1)) if match else 0))

    def chapters(self, transcript: Transcript) -> tuple[Chapter, ...]:
        self._start(Analysis.CHAPTERS, transcript.language)
        segments, size = transcript.segments, self.segments_per_chapter
        return tuple(
            Chapter(
                start=run[0].start,
                end=run[-1].end,
                headline=run[0].text.strip(),
                gist=" ".join(run[0].text.split()[:3]),
            )
            for run in (segments[i : i + size] for i in range(0, len(segments), size))
        )

    def entities(self, transcript: Transcript) -> tuple[Entity, ...]:
        self._start(Analysis.ENTITIES, transcript.language)
        timed = TimedText(transcript)
        found = []
        for sentence in timed.sentences:
            for match in re.finditer(r"(?<=\s)[A-Z]\w+", sentence.text):
                a, b = sentence.start_char + match.start(), sentence.start_char + match.end()
                start, end = timed.times(a, b)
                found.append(Entity(match.group(), "PERSON", a, b, start, end))
        return tuple(found)

    def sentiment(self, transcript: Transcript) -> tuple[SentenceSentiment, ...]:
        self._start(Analysis.SENTIMENT, transcript.language)
        results = []
        for s in TimedText(transcript).sentences:
            lower = s.text.lower()
            label = "positive" if "good" in lower else "negative" if "bad" in lower else "neutral"
            results.append(SentenceSentiment(s.text, s.start, s.end, label, 0.9))
        return tuple(results)

    def keywords(self, transcript: Transcript) -> Keywords:
        self._start(Analysis.KEYWORDS, transcript.language)
        words = re.findall(r"\w{5,}", TimedText(transcript).text.lower())
        top = Counter(words).most_common(5)
        return Keywords(
            tuple(Keyword(w, round(1.0 / (i + 1), 4), n) for i, (w, n) in enumerate(top))
        )

    def summarize(self, transcript: Transcript, *, method: SummaryMethod = "auto") -> Summary:
        self._start(Analysis.SUMMARY, transcript.language)
        if method == "abstractive":
            raise ProviderError(
                "No LLM is configured for abstractive summaries.", kind=ErrorKind.INVALID_INPUT
            )
        sentences = TimedText(transcript).sentences
        return Summary(
            text=sentences[0].text if sentences else "", method="extractive", model="fake"
        )


def _label(index: int) -> str:
    return f"SPEAKER_{index:02d}"


def _unit_vector(index: int):
    import numpy as np

    vector = np.zeros(_DIMENSIONS)
    vector[index % _DIMENSIONS] = 1.0
    return vector
