"""Where the engine's pipeline meets itself: window cuts, stretches decoded a second time."""

from types import SimpleNamespace

import numpy as np
from django.conf import settings as django_settings
from faster_whisper.transcribe import get_compression_ratio

from apps.core.media import SAMPLE_RATE, decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import (
    LocalWhisperBackend,
    _from_the_start,
    _quiet_cut,
    _without_echoes,
    load_model,
)
from apps.engines.stt.silero import SpeechProbabilities
from tests import long_recording, media_factory
from tests.engines.stand_ins import StandInRun, decoded
from tests.engines.test_stt_loops import SAMPLED_LOOPS
from tests.wer import normalise


def test_a_window_ends_in_the_middle_of_the_longest_pause():
    rng = np.random.default_rng(0)
    buffer = rng.normal(0, 0.1, 40 * SAMPLE_RATE).astype(np.float32)  # speech-like sound
    size = 30 * SAMPLE_RATE
    # A short pause early in the last 15 s, a long one later; both with a little noise.
    for start, seconds in ((17.0, 0.3), (24.0, 1.2)):
        first = int(start * SAMPLE_RATE)
        buffer[first : first + int(seconds * SAMPLE_RATE)] *= 0.001
    cut = _quiet_cut(buffer, size) / SAMPLE_RATE
    # Both windows keep part of the pause: neither ends or starts on a word.
    assert abs(cut - 24.6) <= 0.1


def said(start, end, text):
    return Segment(start, end, text)


def test_text_decoded_again_that_repeats_its_neighbour_is_dropped():
    before = said(62.4, 67.2, " Unless to be rather cold-hearted and rather selfish.")
    after = said(69.6, 72.5, " Today, only platforms one and three are used.")
    again = said(68.9, 69.5, " Today")
    assert list(_without_echoes(iter([before, again, after]), [again])) == [before, after]
    tail = said(67.2, 67.6, " Selfish.")
    assert list(_without_echoes(iter([before, tail, after]), [tail])) == [before, after]


def test_a_piece_of_the_word_it_touches_decoded_again_is_dropped():
    begins = said(442.7, 444.3, " And so it begins.")
    ends = said(444.3, 444.5, " ends.")
    crocodile = said(447.1, 449.8, " This is what a crocodile sounds like.")
    assert list(_without_echoes(iter([begins, ends, crocodile]), [ends])) == [begins, crocodile]
    americans = said(62.6, 64.7, " And so my fellow Americans.")
    s = said(65.4, 66.0, " S")
    ask = said(66.1, 70.5, " Ask not what your country can do for you.")
    assert list(_without_echoes(iter([americans, s, ask]), [s])) == [americans, ask]


def test_text_decoded_again_that_is_new_is_kept():
    before = said(0.0, 5.0, " And so it begins.")
    new = said(6.0, 11.0, " And Mr. John Dashwood had then leisure to consider")
    after = said(12.0, 14.0, " This is what a crocodile sounds like.")
    mark = Segment(15.0, 17.0, "", untranscribed=True, gap="no_text")
    events = [before, new, after, mark]
    assert list(_without_echoes(iter(events), [new])) == events
    # One word apart from its neighbours.
    apart = said(8.0, 8.5, " Well,")
    assert list(_without_echoes(iter([before, apart, after]), [apart])) == [before, apart, after]


class JumpingModel:
    """Stands in for faster-whisper: conditioned on its text it writes the first 2 s, jumps to
    20 s and writes "Thank you." there (as tiny.en did over the fourth of a sentence said four
    times), then goes on every 2 s; decoded afresh it hears every 2 s."""

    def __init__(self):
        self.calls = []

    def transcribe(self, audio, *, condition_on_previous_text, **options):
        seconds = len(audio) / SAMPLE_RATE
        self.calls.append((condition_on_previous_text, round(seconds, 1)))
        if condition_on_previous_text:
            found = [(0, "Part 0."), (20, "Thank you.")]
            found += [(t, f"Part {t}.") for t in range(22, int(seconds) - 1, 2)]
        else:
            found = [(t, f"Again {t}.") for t in range(0, int(seconds) - 1, 2)]
        segments = [decoded(start, text) for start, text in found]
        return iter(segments), SimpleNamespace(language="en", language_probability=1.0)


def test_where_the_decoder_lands_after_a_jump_is_decoded_again_with_the_jump(tmp_path):
    model = JumpingModel()
    backend = LocalWhisperBackend(alias="t", default_model="tiny.en", faint_marks=False)
    request = TranscriptionRequest(audio_path=media_factory.silence(tmp_path / "a.wav", 30))
    events = list(StandInRun(backend, model, request, "en").events())
    texts = [e.text.strip() for e in events if isinstance(e, Segment)]
    # From the end of the first segment (1.5 s) to the end of the one it landed on (21.5 s).
    assert model.calls == [(True, 30.0), (False, 20.0)]
    assert "Thank you." not in texts
    assert texts[:3] == ["Part 0.", "Again 0.", "Again 2."] and "Part 22." in texts


def development_excerpt(corpus, tmp_path, *, seed: int, start: int, end: int):
    """Seconds [start, end) of a 3-minute development recording (tests/long_recording.py)."""
    built = tmp_path / "dev3.wav"
    long_recording.build(built, corpus, seconds=end, seed=seed, repeat_every=360.0)
    samples = decode_all(built)[start * SAMPLE_RATE : end * SAMPLE_RATE]
    return media_factory.write_wav(tmp_path / "excerpt.wav", samples)


def engine_and_plain_words(path):
    """The words of the engine (defaults, tiny.en) and of a plain call (beam 5) on `path`."""
    engine = LocalWhisperBackend(
        alias="local",
        default_model="tiny.en",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    events = engine.transcribe(TranscriptionRequest(audio_path=path))
    text = "".join(e.text for e in events if isinstance(e, Segment))
    whisper = load_model("tiny.en", device="cpu", compute_type="int8", cpu_threads=2)
    plain, _ = whisper.transcribe(str(path), language="en", beam_size=5, word_timestamps=True)
    return normalise(text), normalise("".join(s.text for s in plain))


def test_pauses_of_a_few_seconds_are_decoded_as_a_plain_call_decodes_them(corpus, tmp_path):
    # Four silences of 2.2-3.5 s. Cut out before decoding (faster-whisper's vad_filter), they
    # joined the speech around them and tiny.en wrote it otherwise than a plain call ("you can
    # do it for your country").
    path = development_excerpt(corpus, tmp_path, seed=3, start=60, end=90)
    engine, plain = engine_and_plain_words(path)
    assert engine == plain


def test_the_silence_before_the_first_words_is_decoded_as_a_plain_call_decodes_it(corpus, tmp_path):
    # The recording's first 80 ms are silent. Cut off, every 30 s view of the decoder moved,
    # and tiny.en wrote "seatbelts" for the plain call's "seat belts" 44 s later.
    path = development_excerpt(corpus, tmp_path, seed=10, start=0, end=60)
    engine, plain = engine_and_plain_words(path)
    assert engine == plain


def test_a_meeting_rooms_quiet_before_the_first_words_is_cut_off_a_short_one_kept(corpus):
    """ami_trn04 from 10 s: 3.9 s of a far-field meeting's quiet room before the first speech
    the decoder's VAD hears. Kept, such a lead-in moved the decoder's 30 s views on AMI trn08
    (4.9 s) so that 3 s of speech got no text; it is cut off. From 13 s the lead-in is 0.9 s,
    as read speech's are (up to 1.4 s on the development recordings): kept, as above."""
    engine = LocalWhisperBackend(alias="t", default_model="tiny.en")
    audio = decode_all(corpus / "ami_trn04.wav")

    def decoder_starts_at(start: float) -> float:
        piece = audio[int(start * SAMPLE_RATE) :]
        chunks = SpeechProbabilities(piece).chunks(engine.decoder_vad)
        return _from_the_start(chunks, engine.decoder_lead_in_ms)[0]["start"] / SAMPLE_RATE

    assert decoder_starts_at(10.0) > 3.0
    assert decoder_starts_at(13.0) == 0.0


def sampled(text, tokens, **scores):
    """A segment the fallback ladder sampled, as faster-whisper yields it."""
    segment = decoded(0.0, text)
    segment.tokens = [400] * tokens
    return SimpleNamespace(**{**vars(segment), **scores})


class GapDecoder:
    """Stands in for faster-whisper on speech left without text, decoded again: it says what
    it is given (`said`, one segment list), and records the token cap of each decode."""

    model = SimpleNamespace(is_multilingual=False)

    def __init__(self, said):
        self.said, self.caps = said, []

    def transcribe(self, audio, *, max_new_tokens=None, **options):
        self.caps.append(max_new_tokens)
        return iter(self.said), SimpleNamespace(language="en", language_probability=1.0)


def gap_of(model, tmp_path, seconds):
    """What stands for `seconds` of speech without text decoded again by `model`."""
    # Only the decode of the stretch for its text: a mark's sound is not asked (sounds.py).
    backend = LocalWhisperBackend(
        alias="t", default_model="tiny.en", faint_marks=False, name_sounds=False
    )
    request = TranscriptionRequest(audio_path=media_factory.silence(tmp_path / "a.wav", 5))
    run = StandInRun(backend, model, request, "en")
    run.announced = True
    audio = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    run.hear(audio)
    return [(s.text, s.gap) for s in run._gap(audio, 0.0, [], 0.0, seconds)]


def test_speech_without_text_decoded_again_as_a_loop_is_marked_not_kept(tmp_path):
    """A loop the ladder sampled that ended by itself passes Whisper's checks (likely enough,
    compressing less than 2.4): it is still no transcript."""
    scores = {"temperature": 0.2, "avg_logprob": -0.68, "no_speech_prob": 0.1}
    for text in SAMPLED_LOOPS:
        loop = sampled(text, 33, compression_ratio=get_compression_ratio(text.strip()), **scores)
        assert loop.compression_ratio < 2.4
        assert gap_of(GapDecoder([loop]), tmp_path, 2.8) == [("", "no_text")]
    # The same loop cut into segments.
    pieces = [sampled(" i'r llwb i'r llwb.", 8, **scores) for _ in range(3)]
    assert gap_of(GapDecoder(pieces), tmp_path, 2.8) == [("", "no_text")]
    # Speech there is kept.
    speech = sampled(" Yeah, yeah, yeah, yeah. Felly it's hard to know.", 16, **scores)
    assert gap_of(GapDecoder([speech]), tmp_path, 2.8) == [(speech.text, "")]


def test_speech_without_text_decoded_again_stops_at_a_cap_for_its_length(tmp_path):
    """A loop costs a decode to Whisper's full length (224 tokens, 2.3 CPU s for 2.8 s of a
    development recording): a short stretch stops far sooner, and a decode that reaches the
    cap is not kept."""
    model = GapDecoder([])
    gap_of(model, tmp_path, 2.8)
    cap = model.caps[0]
    assert 50 < cap < 100
    cut_off = sampled(" And then we'll take a look at how", cap)
    assert gap_of(GapDecoder([cut_off]), tmp_path, 2.8) == [("", "no_text")]
    # A longer stretch may write more; a stretch past one 30 s view is not capped.
    longer = GapDecoder([])
    gap_of(longer, tmp_path, 10.0)
    assert longer.caps[0] > cap
    past = GapDecoder([])
    gap_of(past, tmp_path, 40.0)
    assert past.caps == [None]
