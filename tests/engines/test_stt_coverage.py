"""Nothing lost, nothing invented: each language of a mixed recording in its language, speech
without text marked, and the same words as faster-whisper called plainly."""

from types import SimpleNamespace

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.core.media import decode_all
from apps.engines.stt.base import LanguageDetected, Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend, _WindowedRun, load_model
from apps.engines.stt.regions import (
    VAD_PARAMETERS,
    Region,
    ended,
    language_parts,
    speech_heard,
    speech_regions,
    switches,
    uncovered,
    within,
)
from apps.engines.stt.silero import SpeechProbabilities
from tests import long_recording, media_factory
from tests.engines.test_stt_loudness import under_pink_noise
from tests.wer import normalise, wer

MODEL_CACHE = str(django_settings.VOICEPORTAL_MODEL_CACHE)
SR = 16_000


@pytest.fixture(scope="module")
def engine():
    return LocalWhisperBackend(
        alias="local", default_model="base", cpu_threads=2, model_cache=MODEL_CACHE
    )


@pytest.fixture(scope="module")
def mixed(corpus, tmp_path_factory):
    """multilingual.mp3 from 0:19 to 0:42: English read up to 0:29, then German."""
    audio = decode_all(corpus / "multilingual.mp3")[19 * SR : 42 * SR]
    return media_factory.write_wav(tmp_path_factory.mktemp("mixed") / "mixed.wav", audio)


def events_of(engine, path, **kwargs):
    return list(engine.transcribe(TranscriptionRequest(audio_path=path, **kwargs)))


def test_it_transcribes_each_language_in_its_language(engine, mixed):
    events = events_of(engine, mixed)
    segments = [e for e in events if isinstance(e, Segment) and not e.gap]
    by_language = {s.language for s in segments}
    assert by_language == {"en", "de"}
    english = " ".join(s.text for s in segments if s.language == "en").lower()
    german = normalise(" ".join(s.text for s in segments if s.language == "de"))
    assert "copies" in english or "copyright" in english
    assert {"software", "und", "der"} <= set(german)
    # German starts at 10 s of the clip: no English segment after it, no German before.
    assert all(s.start < 11 for s in segments if s.language == "en")
    assert all(s.start > 9 for s in segments if s.language == "de")
    assert isinstance(events[0], LanguageDetected)


def test_with_english_asked_the_german_is_flagged_with_its_language_and_its_words_kept(
    engine, mixed
):
    """Asked for English, Whisper writes the German as English: its segments say what was
    heard there, the English before them gets no such flag."""
    events = events_of(engine, mixed, language="en")
    segments = [e for e in events if isinstance(e, Segment) and not e.gap]
    flagged = [s for s in segments if "other_language" in s.flags]
    assert {s.heard_language for s in flagged} == {"de"}
    assert sum(s.end - s.start for s in flagged) >= 8.0
    # German starts at 12 s of the clip (a pause from 10 s).
    assert all(s.start > 10 for s in flagged)
    assert any(s.end < 10 for s in segments)
    assert all(s.language == "en" for s in segments)  # the words stay in the language asked


def test_the_batched_first_pass_flags_the_german_too(mixed):
    """VOICEPORTAL_STT_BATCH_SIZE > 1 decodes by BatchedInferencePipeline, which set no flag:
    each clip's language is now heard from its encoder output as the one-at-a-time path's is."""
    engine = LocalWhisperBackend(
        alias="t", default_model="base", batch_size=4, model_cache=MODEL_CACHE
    )
    events = events_of(engine, mixed, language="en")
    segments = [e for e in events if isinstance(e, Segment) and not e.gap]
    flagged = [s for s in segments if "other_language" in s.flags]
    assert {s.heard_language for s in flagged} == {"de"}
    assert sum(s.end - s.start for s in flagged) >= 8.0
    assert all(s.start > 9 for s in flagged)  # German starts at 10 s of the clip
    assert any(s.end < 10 for s in segments)


def test_far_field_english_asked_as_english_is_never_flagged_as_another_language(engine, corpus):
    """AMI trn04 is heard as Welsh at up to 0.24 beside English: no sure other language."""
    events = events_of(engine, corpus / "ami_trn04.wav", language="en")
    segments = [e for e in events if isinstance(e, Segment) and not e.gap]
    assert segments
    assert not any("other_language" in s.flags or s.heard_language for s in segments)


@pytest.fixture(scope="module")
def german_between_english(corpus, tmp_path_factory):
    """16 s of English, the German of multilingual.mp3 (29 s), 5 s of French, 11 s of English:
    the first view holds English and German, the French is too short to be sure alone."""
    english = [decode_all(corpus / name) for name in ("jfk.flac", "librivox_sns_0890.wav")]
    german = decode_all(corpus / "multilingual.mp3")[int(31.03 * SR) :]
    pieces = [*english, german, decode_all(corpus / "cheetah_fr.wav"), english[0]]
    pause = np.zeros(int(0.6 * SR), dtype=np.float32)
    audio = np.concatenate([p for piece in pieces for p in (piece, pause)])
    folder = tmp_path_factory.mktemp("edges")
    return media_factory.write_wav(folder / "en_de_fr_en.wav", audio)


def test_with_english_asked_the_edges_of_other_language_speech_are_flagged_and_english_not(
    engine, german_between_english
):
    """The first view ends in German (heard as German 0.93 over its English segments): its
    English stays unflagged; the French after the German is flagged though short; the English
    after it is not."""
    events = events_of(engine, german_between_english, language="en")
    segments = [e for e in events if isinstance(e, Segment) and not e.gap]
    german_from, french_from, french_to = 16.9, 46.4, 51.4
    english = [s for s in segments if s.end <= german_from + 0.5 or s.start >= french_to]
    other = [s for s in segments if german_from - 0.5 <= s.start and s.end <= french_to + 0.5]
    assert english and other
    assert not any("other_language" in s.flags for s in english)
    assert all("other_language" in s.flags for s in other)
    assert {s.heard_language for s in other if s.start >= french_from - 0.5} == {"fr"}


def test_with_short_switches_a_short_phrase_in_another_language_is_written_in_its_language(
    corpus, tmp_path
):
    """French, then 2 s of English: too short to be a part of its own, the English was written
    as French ("Et c'est ça que j'ai fait de l'Amérique !", 0.47 a word); alone it is English."""
    engine = LocalWhisperBackend(
        alias="t", default_model="base", short_switches=True, model_cache=MODEL_CACHE
    )
    french = decode_all(corpus / "cheetah_fr.wav")
    english = decode_all(corpus / "jfk.flac")[: int(2.6 * SR)]
    pause = np.zeros(int(0.6 * SR), dtype=np.float32)
    clip = media_factory.write_wav(tmp_path / "fr_en.wav", np.concatenate([french, pause, english]))
    segments = [e for e in events_of(engine, clip) if isinstance(e, Segment) and not e.gap]
    assert [s.language for s in segments] == ["fr", "en"]
    assert {"fellow", "americans"} <= set(normalise(segments[-1].text))


class DeafModel:
    """Stands in for faster-whisper's model: it hears no words at all."""

    model = SimpleNamespace(is_multilingual=False)

    def transcribe(self, audio, **options):
        return iter(()), SimpleNamespace(language="en", language_probability=1.0)


def test_it_marks_speech_that_got_no_text(corpus):
    # One clip at a time: the model stands in for the one-at-a-time decoder.
    backend = LocalWhisperBackend(alias="t", default_model="tiny.en", batch_size=1)
    request = TranscriptionRequest(audio_path=corpus / "jfk.flac")
    events = list(_WindowedRun(backend, DeafModel(), request, "en").events())
    marks = [e for e in events if isinstance(e, Segment)]
    # The VAD hears JFK from about 0.3 s to 10.6 s: one mark covers it, with no text.
    assert len(marks) == 1 and marks[0].gap == "no_text" and marks[0].text == ""
    assert marks[0].start < 1.0 and marks[0].end > 10.0


def speech(start, end):
    return SimpleNamespace(start=start, end=end, text="words")


def test_a_region_partly_transcribed_is_marked_for_the_rest():
    regions = [Region(0, 4), Region(6, 20), Region(30, 30.5)]
    out = list(uncovered([speech(0, 4), speech(6, 9)], regions, lambda a, b: [(a, b)]))
    # 9–20 s had speech and no text; the half second at 30 s is too short to be worth a mark.
    assert out[-1] == (9, 20) and len(out) == 3


def test_a_translation_is_not_marked_where_it_said_the_speech_in_fewer_words(engine, mixed):
    # The German sentence ends at 22.2 s, its translation's segment at 21.5 s: the rest of
    # the speech region was marked "no text" though it was translated.
    events = events_of(engine, mixed, task="translate")
    segments = [e for e in events if isinstance(e, Segment)]
    assert [(s.start, s.end, s.gap) for s in segments if s.gap] == []
    translated = normalise(" ".join(s.text for s in segments))
    assert {"software", "documentation"} <= set(translated)


def test_for_a_translation_a_region_any_segment_touches_is_covered():
    regions = [Region(0, 4), Region(6, 20), Region(30, 31.5)]
    out = list(uncovered([speech(0, 3), speech(6, 9)], regions, lambda a, b: [(a, b)], whole=True))
    # 9-20 s is the second segment's region; the region at 30 s no segment touches.
    assert out[-1] == (30, 31.5) and len(out) == 3


def test_with_marks_needing_speech_the_quiet_after_the_last_word_is_not_marked(corpus):
    # One Italian sentence, then 1.5 s that the sensitive VAD's region keeps (its padding and
    # a breath: 0.2 s above its threshold), marked "no text" by default though nothing is lost.
    engine = LocalWhisperBackend(
        alias="t", default_model="base", marks_need_speech=True, model_cache=MODEL_CACHE
    )
    events = events_of(engine, corpus / "cheetah_it.wav")
    segments = [e for e in events if isinstance(e, Segment)]
    assert [s.gap for s in segments] == [""]
    assert "cresta" in segments[0].text


@pytest.mark.parametrize("name", ["cheetah_en.wav", "cheetah_it.wav"])
def test_the_quiet_after_the_last_word_of_a_clean_reading_is_not_marked(engine, corpus, name):
    # One sentence each, then 0.9 s (English) and 1.5 s (Italian: a click in its last 0.1 s)
    # that the VAD's region kept as speech; each was marked "no text" though nothing is lost.
    segments = [e for e in events_of(engine, corpus / name) if isinstance(e, Segment)]
    assert [s.gap for s in segments] == [""] and segments[0].text


@pytest.fixture(scope="module")
def far_field_meeting(engine, corpus):
    """The engine's events on AMI trn04 (a far-field meeting, 30 s)."""
    return events_of(engine, corpus / "ami_trn04.wav")


def test_far_field_speech_without_text_keeps_its_mark_and_quiet_room_gets_none(
    far_field_meeting,
):
    """AMI trn04: nobody speaks before 14.0 s, but the VAD hears a murmur for 0.3 s at 6.4 s,
    which its padding made a 1.1 s region, 23 dB under the meeting's speech; it was marked "no
    text". From 14.0 s two people speak and the decoder writes nothing for their first words:
    as faint to the VAD, but as loud as the rest of the meeting's speech, so still marked."""
    events = far_field_meeting
    marks = [(e.start, e.end, e.gap) for e in events if isinstance(e, Segment) and e.gap]
    assert not any(start < 13.5 for start, _, _ in marks), marks
    assert any(gap == "no_text" and start < 14.5 and end > 16.0 for start, end, gap in marks)


def test_a_short_reply_found_only_when_decoded_again_is_kept(far_field_meeting):
    """AMI trn04: the first pass writes nothing for a far-field "Yeah. Yeah." at 23.4 s, right
    after another speaker's "I tick okay again"; decoded again on its own it comes back as
    unsure as the invented " ends." after "begins." (log-probability -1.0, no-speech 0.40), and
    touching the segment before. It is said, so it stays."""
    said = [e for e in far_field_meeting if isinstance(e, Segment) and not e.gap]
    replies = [s for s in said if 23.0 < s.start < 24.5]
    assert "yeah" in normalise(" ".join(s.text for s in replies)), said


@pytest.fixture(scope="module")
def sentence_then_a_pause(corpus, tmp_path_factory):
    """Development recording seed 5 from 30 to 60 s: falcon_3spk's "And so it begins." ends at
    16.3 s, then 2.7 s of pause whose first 0.55 s is the voice of "begins" outlasting the
    word's time. Decoded again on its own, base writes " ends." there (no-speech 0.43,
    log-probability -0.91: Whisper's checks pass it)."""
    folder = tmp_path_factory.mktemp("pause")
    long_recording.build(folder / "dev.wav", corpus, seconds=60, seed=5)
    samples = decode_all(folder / "dev.wav")[30 * SR : 60 * SR]
    return media_factory.write_wav(folder / "excerpt.wav", samples)


def test_the_pause_after_a_sentence_gets_no_word_and_no_mark(engine, sentence_then_a_pause):
    segments = [e for e in events_of(engine, sentence_then_a_pause) if isinstance(e, Segment)]
    begins = next(s for s in segments if s.text.strip().endswith("begins."))
    crocodile = next(s for s in segments if "crocodile" in s.text)
    between = [s for s in segments if begins.end <= s.start < crocodile.start]
    assert between == [], between
    assert "ends" not in normalise(" ".join(s.text for s in segments))


@pytest.fixture(scope="module")
def two_sentences_and_quiet(corpus, tmp_path_factory):
    """rtvc_6829's sentence, 1.1 s of quiet room (noise 60 dB under full scale), rtvc_8230's:
    the sensitive VAD's region runs on from the first sentence's last word into the quiet, a
    stretch of 1.6 s beside the segments."""
    quiet = np.random.default_rng(0).standard_normal(int(1.1 * SR)).astype(np.float32) * 1e-3
    said = [decode_all(corpus / name) for name in ("rtvc_6829.mp3", "rtvc_8230.mp3")]
    audio = np.concatenate([said[0], quiet, said[1]])
    return media_factory.write_wav(tmp_path_factory.mktemp("quiet") / "two.wav", audio)


def test_quiet_room_between_two_sentences_is_not_decoded_on_its_own(
    engine, two_sentences_and_quiet, monkeypatch
):
    """Decoded alone, such a second of quiet between two sentences of a telephone recording
    came back as "All right." (log probability -0.89, no-speech 0.42: Whisper's checks for
    text found in a gap pass it). A stretch too quiet to be marked is not decoded either."""
    decoded_alone = []
    confidently = _WindowedRun._confidently

    def spied(run, audio, offset, language):
        decoded_alone.append((round(offset, 2), round(len(audio) / SR, 2)))
        return confidently(run, audio, offset, language)

    monkeypatch.setattr(_WindowedRun, "_confidently", spied)
    events = events_of(engine, two_sentences_and_quiet)
    segments = [e for e in events if isinstance(e, Segment)]
    assert decoded_alone == []
    assert [s for s in segments if s.gap] == []
    # Both sentences are written: the first before the quiet, the second after it.
    assert segments[0].start < 1.0 and segments[-1].end > 7.0, segments


def test_a_region_left_open_at_the_audio_s_end_ends_where_its_speech_does(corpus):
    audio = decode_all(corpus / "cheetah_en.wav")
    probabilities = SpeechProbabilities(audio)
    regions = speech_regions(probabilities, VAD_PARAMETERS)
    heard = speech_heard(probabilities, VAD_PARAMETERS)
    assert regions[-1].end == pytest.approx(len(audio) / SR)  # 4.46 s: to the last sample
    last = ended(regions, heard, pad=0.4)[-1]
    assert last.start == regions[-1].start and last.end == pytest.approx(heard[-1].end + 0.4)
    assert last.end < 4.0
    # A region the audio's end did not leave open stays as it was.
    assert ended(regions[:-1] + [Region(0.4, 3.0)], heard, pad=0.4)[-1] == Region(0.4, 3.0)


@pytest.fixture(scope="module")
def heard_engine():
    return LocalWhisperBackend(
        alias="t",
        default_model="base",
        cpu_threads=2,
        marks_need_heard_speech=True,
        model_cache=MODEL_CACHE,
    )


def test_with_marks_needing_heard_speech_the_quiet_after_the_last_word_is_not_marked(
    heard_engine, corpus
):
    # The same 1.5 s after cheetah_it's sentence: segmentation-3.0 hears no speech there beyond
    # the sentence's last word either.
    events = events_of(heard_engine, corpus / "cheetah_it.wav")
    segments = [e for e in events if isinstance(e, Segment)]
    assert [s.gap for s in segments] == [""]


def test_with_marks_needing_heard_speech_far_field_speech_is_marked_and_quiet_is_not(
    heard_engine, corpus
):
    """AMI trn04 (far-field meeting): nobody speaks before 14.0 s; two people speak from 14.0 s
    and the decoder writes nothing for their first words, which the VAD hears under 1 s of
    (so `marks_need_speech` leaves them unmarked). They are marked "no text" (segmentation-3.0
    hears them); the VAD's region at 6-7 s, where nobody speaks, is not (it is by default)."""
    events = events_of(heard_engine, corpus / "ami_trn04.wav")
    marks = [(e.start, e.end, e.gap) for e in events if isinstance(e, Segment) and e.gap]
    assert not any(start < 13.5 and gap == "no_text" for start, _, gap in marks), marks
    assert any(gap == "no_text" and start < 14.5 and end > 16.0 for start, end, gap in marks)


def test_a_part_cut_inside_a_speech_region_answers_for_its_own_side_only(engine, corpus, tmp_path):
    # An Italian sentence, 0.3 s, a French one: the VAD bridges the pause, so the part cut
    # between the languages goes through one speech region. Given whole to the Italian part,
    # the region's French side was decoded again in Italian ("Le 2 autres sono situate au
    # bord della mergione") beside the French part's own text of it.
    italian = decode_all(corpus / "cheetah_it.wav")[: int(3.5 * SR)]
    french = decode_all(corpus / "cheetah_fr.wav")[SR // 2 :]
    pause = np.zeros(int(0.3 * SR), dtype=np.float32)
    clip = media_factory.write_wav(tmp_path / "it_fr.wav", np.concatenate([italian, pause, french]))
    segments = [e for e in events_of(engine, clip) if isinstance(e, Segment)]
    texts = [s for s in segments if not s.gap]
    assert [s.language for s in texts] == ["it", "fr"], [(s.language, s.text) for s in texts]
    assert "cresta" in texts[0].text and "mer jaune" in texts[1].text.lower()
    marks = [s for s in segments if s.gap]
    assert all(m.start >= t.end or m.end <= t.start for m in marks for t in texts)


def test_a_block_is_halved_where_its_languages_meet_and_labelled_by_most_speech(
    engine, corpus, tmp_path
):
    # 23 s of English in three readings, then 5 s of German. Detection is unsure of the
    # block, so it is halved; halved at its quietest frame, it was cut in the first pause
    # (4.4 s) and then 7.6 s into the rest, and JFK's sentence went to the German part.
    silence = [np.zeros(int(seconds * SR), dtype=np.float32) for seconds in (0.4, 0.4, 0.6)]
    english = [decode_all(corpus / n) for n in ("cheetah_en.wav", "librivox_sns_0870.wav")]
    german = decode_all(corpus / "multilingual.mp3")[int(29.5 * SR) : 35 * SR]
    pieces = [english[0], silence[0], english[1], silence[1]]
    pieces += [decode_all(corpus / "jfk.flac"), silence[2], german]
    clip = media_factory.write_wav(tmp_path / "en_de.wav", np.concatenate(pieces))
    events = events_of(engine, clip)
    texts = [e for e in events if isinstance(e, Segment) and not e.gap]
    languages = {s.language for s in texts if "country" in s.text or "Americans" in s.text}
    assert languages == {"en"}, [(s.language, s.text) for s in texts]
    assert texts[-1].language == "de" and "Software" in texts[-1].text
    # The recording is labelled with the language of most of its speech (the block alone was
    # heard as German, 0.63).
    assert [e.language for e in events if isinstance(e, LanguageDetected)] == ["en"]


def test_a_sentence_in_another_language_the_block_swallowed_is_decoded_in_its_language(
    engine, corpus, tmp_path
):
    # 23 s of English, then 3.5 s of Italian: both halves of the block are heard as English,
    # so no part is Italian, and the Italian came out as invented English at temperature 1.0
    # ("From now on, you will be on the wall, no cross on the ground.").
    silence = [np.zeros(int(seconds * SR), dtype=np.float32) for seconds in (0.4, 0.4, 0.6)]
    names = ("cheetah_en.wav", "jfk.flac", "librivox_sns_0870.wav")
    english = [decode_all(corpus / name) for name in names]
    italian = decode_all(corpus / "cheetah_it.wav")[: int(3.5 * SR)]
    pieces = [english[0], silence[0], english[1], silence[1], english[2][: 8 * SR], silence[2]]
    clip = media_factory.write_wav(tmp_path / "en_it.wav", np.concatenate([*pieces, italian]))
    texts = [e for e in events_of(engine, clip) if isinstance(e, Segment) and not e.gap]
    assert [s.language for s in texts[:3]] == ["en"] * 3, [(s.language, s.text) for s in texts]
    assert texts[-1].language == "it" and "cresta" in texts[-1].text, texts[-1]


def test_a_region_across_parts_is_split_between_them():
    regions = [Region(0.0, 4.4), Region(5.2, 11.0)]
    assert within(regions, 0.0, 3.05) == [Region(0.0, 3.05)]
    assert within(regions, 3.05, 11.0) == [Region(3.05, 4.4), Region(5.2, 11.0)]


def test_a_short_unsure_block_keeps_the_language_around_it():
    audio = np.zeros(90 * SR, dtype=np.float32)
    regions = [Region(1, 25), Region(40, 41), Region(60, 85)]
    heard = iter([{"en": 0.99, "de": 0.01}, {"de": 0.9, "en": 0.1}, {"de": 0.95, "en": 0.05}])
    found = language_parts(audio, regions, lambda samples: next(heard))
    # The 1 s block (a name, a cough) is not a switch; the 25 s German block is.
    parts = [(p.language, p.start, p.end) for p in found.parts]
    assert parts == [("en", 0, 50.5), ("de", 50.5, 90)]


def test_far_field_english_heard_as_welsh_stays_english():
    """What the base model's detection gave on AMI trn08 (far-field English, speech 4.8-29 s):
    English for the whole block, Welsh for its first 21 s, then halves of that half at 0.55
    each way, and 0.96 English on the last 2 s of speech. Nothing in it is a sure switch: the
    whole window is decoded in English (it was decoded in Welsh, the likelier half's language)."""
    audio = np.zeros(30 * SR, dtype=np.float32)
    regions = [Region(4.8, 12.0), Region(13.0, 20.0), Region(21.0, 25.9), Region(26.0, 29.0)]
    heard = iter(
        [
            {"en": 0.547, "cy": 0.436},  # the block
            {"cy": 0.690, "en": 0.287},  # its first half
            {"en": 0.964, "cy": 0.007},  # its second half
            {"cy": 0.553, "en": 0.414},  # the first half's halves
            {"en": 0.554, "cy": 0.424},
        ]
    )
    found = language_parts(audio, regions, lambda samples: next(heard))
    assert found.main == "en" and found.probability == 0.547
    assert [(p.language, p.start, p.end) for p in found.parts] == [("en", 0, 30)]


def test_a_sure_switch_needs_a_margin_over_the_main_language():
    # German heard at 0.9 is a switch where English is far behind it, not where it is close.
    assert switches({"de": 0.9, "en": 0.05}, "en")
    assert not switches({"de": 0.82, "en": 0.15}, "en")
    assert not switches({"cy": 0.69, "en": 0.29}, "en")
    assert not switches({"en": 0.99}, "en")


@pytest.fixture(scope="module")
def plain_tiny():
    return load_model("tiny.en", device="cpu", compute_type="int8", cpu_threads=2)


@pytest.mark.parametrize("name", ["jfk.flac", "librivox_sns_0870.wav"])
def test_it_is_as_accurate_as_the_plain_call(corpus, plain_tiny, name):
    reference = (corpus / name.rsplit(".", 1)[0]).with_suffix(".txt").read_text()
    plain, _ = plain_tiny.transcribe(str(corpus / name), beam_size=5, word_timestamps=True)
    plain_wer = wer(reference, "".join(s.text for s in plain))
    portal = LocalWhisperBackend(alias="t", default_model="tiny.en", model_cache=MODEL_CACHE)
    events = events_of(portal, corpus / name)
    portal_wer = wer(reference, "".join(e.text for e in events if isinstance(e, Segment)))
    assert portal_wer <= plain_wer + 0.01, (portal_wer, plain_wer)


def test_with_steady_sound_skipped_a_pause_under_noise_gets_no_mark(engine, corpus, tmp_path):
    """JFK's sentence, then 3 s of pause, under pink noise 5 dB under his voice: the VAD hears
    the noise as speech, every word is written, and the stretch after the last one is marked
    "no text" by default. With `marks_skip_steady_sound` it is not; the words stay."""
    audio = under_pink_noise(decode_all(corpus / "jfk.flac"), 3.0)
    path = media_factory.write_wav(tmp_path / "jfk_under_noise.wav", audio)
    steady = LocalWhisperBackend(
        alias="t",
        default_model="base",
        cpu_threads=2,
        marks_skip_steady_sound=True,
        model_cache=MODEL_CACHE,
    )
    by_default, skipped = (
        [e for e in events_of(backend, path) if isinstance(e, Segment)]
        for backend in (engine, steady)
    )
    assert [s.gap for s in by_default if s.gap] == ["no_text"]
    assert [s for s in skipped if s.gap] == []
    words = [normalise(s.text) for s in skipped]
    assert words == [normalise(s.text) for s in by_default if not s.gap]
    assert "country" in words[-1]
