"""Chapters, entities, sentiment, keywords and the extractive summary on real transcripts."""

import pytest

from apps.engines.analysis.base import Analysis, Transcript
from apps.engines.analysis.local import LocalAnalysisBackend
from apps.engines.analysis.text import TimedText
from apps.engines.errors import ProviderError
from apps.engines.stt.base import Segment, TranscriptionRequest, Word
from apps.engines.stt.local import LocalWhisperBackend


@pytest.fixture(scope="module")
def backend():
    return LocalAnalysisBackend(alias="local")


@pytest.fixture(scope="module")
def jfk(corpus):
    """JFK's inaugural line, transcribed here by the offline engine with word timestamps."""
    stt = LocalWhisperBackend(alias="stt", default_model="tiny.en", beam_size=1, cpu_threads=1)
    events = stt.transcribe(TranscriptionRequest(audio_path=corpus / "jfk.flac"))
    return Transcript(tuple(e for e in events if isinstance(e, Segment)), language="en")


def spoken(texts, words_per_second=2.5):
    """A transcript of reference texts read one after another, one segment each, with word
    timestamps at an even pace."""
    segments, t = [], 0.0
    for text in texts:
        words, start = [], t
        for word in text.split():
            words.append(Word(" " + word, round(t, 2), round(t + 0.8 / words_per_second, 2)))
            t += 1 / words_per_second
        segments.append(Segment(round(start, 2), words[-1].end, " " + text, tuple(words)))
        t += 0.6
    return Transcript(tuple(segments), language="en")


@pytest.fixture(scope="module")
def two_topics(corpus):
    """The MIT licence as read in multilingual.mp3, then six short sentences about places and
    travel from other recordings of the corpus: the topic changes at sentence 4."""
    licence = (corpus / "multilingual.en.txt").read_text().split("\n")
    licence_sentences = [s.strip() + "." for line in licence for s in line.split(".") if s.strip()]
    travel = [
        (corpus / name).read_text().strip()
        for name in (
            "cheetah_fr.en.txt",
            "cheetah_it.en.txt",
            "cheetah_pt.en.txt",
            "cheetah_en.txt",
        )
    ]
    travel += [
        "Ladies and gentlemen, please fasten your seat belts, we are expecting some turbulence.",
        (corpus / "stereo_diarization.txt").read_text().split("\n")[1],
    ]
    return spoken(licence_sentences + travel), len(licence_sentences)


def test_it_finds_the_chapter_boundary_at_the_topic_change(backend, two_topics):
    transcript, change = two_topics
    sentences = TimedText(transcript).sentences
    assert len(sentences) == change + 6
    chapters = backend.chapters(transcript)
    assert len(chapters) == 2
    boundary = min(range(len(sentences)), key=lambda i: abs(sentences[i].start - chapters[1].start))
    assert abs(boundary - change) <= 1
    assert chapters[0].start == transcript.segments[0].start
    assert chapters[-1].end == transcript.segments[-1].end
    assert "software" in chapters[0].gist.lower() or "software" in chapters[0].headline.lower()
    assert "software" not in chapters[1].headline.lower()
    assert chapters[1].gist and len(chapters[1].gist.split()) <= 8


def test_it_keeps_one_chapter_for_one_topic(backend, jfk):
    (chapter,) = backend.chapters(jfk)
    assert "Americans" in chapter.headline or "country" in chapter.headline


def test_it_finds_known_entities_with_their_timestamps(backend, jfk):
    entities = backend.entities(jfk)
    americans = next(e for e in entities if e.text == "Americans")
    assert americans.type == "NORP"
    text = TimedText(jfk).text
    assert text[americans.start_char : americans.end_char] == "Americans"
    word = next(w for s in jfk.segments for w in s.words if "Americans" in w.word)
    assert (americans.start, americans.end) == (word.start, word.end)


def test_it_finds_people_places_dates_and_money(backend):
    transcript = spoken(
        [
            "John Kennedy spoke in Washington on January 20, 1961.",
            "Congress later approved five million dollars for the Apollo programme at NASA.",
        ]
    )
    found = {(e.text, e.type) for e in backend.entities(transcript)}
    assert {
        ("John Kennedy", "PERSON"),
        ("Washington", "GPE"),
        ("January 20, 1961", "DATE"),
        ("NASA", "ORG"),
    } <= found
    assert any(kind == "MONEY" for _, kind in found)


def test_it_scores_sentiment_per_sentence(backend, corpus):
    transcript = spoken(
        [
            (corpus / "libri_2412-153948-0000.txt").read_text().strip().capitalize() + ".",
            (corpus / "cheetah_en.txt").read_text().strip(),
            "Ladies and gentlemen, thank you, we are glad to welcome you on board.",
        ]
    )
    results = backend.sentiment(transcript)
    assert [r.label for r in results] == ["negative", "neutral", "positive"]
    assert all(0.5 <= r.confidence <= 1.0 for r in results)
    assert results[1].confidence == 1.0  # nothing polar at all
    assert results[0].start == 0.0 and results[1].start == transcript.segments[1].start
    assert results[2].end == transcript.segments[2].end


def test_it_extracts_keywords_with_where_they_are_said(backend, two_topics):
    transcript, _ = two_topics
    keywords = backend.keywords(transcript).keywords
    assert keywords[0].text.lower() == "software" and keywords[0].score == 1.0
    assert keywords[0].count == len(keywords[0].timestamps) >= 5
    assert all(0 < k.score <= 1 for k in keywords)
    assert [k.score for k in keywords] == sorted((k.score for k in keywords), reverse=True)


def test_it_summarises_with_central_sentences_in_spoken_order(backend, two_topics):
    transcript, _ = two_topics
    summary = backend.summarize(transcript)
    assert (summary.method, summary.model) == ("extractive", "lexrank")
    assert 1 <= len(summary.sentences) <= 4
    assert [s.start for s in summary.sentences] == sorted(s.start for s in summary.sentences)
    assert summary.text == " ".join(s.text for s in summary.sentences)


def test_it_maps_text_to_time_without_word_timestamps():
    transcript = Transcript((Segment(10.0, 14.0, " Hello there. General Kenobi."),))
    timed = TimedText(transcript)
    first, second = timed.sentences
    assert (first.text, first.start) == ("Hello there.", 10.0)
    assert second.text == "General Kenobi." and 11.0 < second.start < 13.0
    assert second.end == 14.0


def test_it_says_which_analyses_a_language_cannot_have(backend):
    german = Transcript(
        (Segment(0.0, 3.0, " Guten Tag, wie geht es Ihnen in Berlin?"),), language="de"
    )
    unavailable = backend.unavailable("de")
    assert set(unavailable) == {Analysis.CHAPTERS, Analysis.ENTITIES, Analysis.SENTIMENT}
    assert "not available for language 'de'" in unavailable[Analysis.ENTITIES]
    with pytest.raises(ProviderError) as caught:
        backend.entities(german)
    assert caught.value.http_status == 400
    assert backend.keywords(german).keywords
    assert backend.summarize(german).text
    assert backend.unavailable("en") == {}
