"""Text in a script its language does not use."""

from types import SimpleNamespace

from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend, _segment
from apps.engines.stt.scripts import without_stray_marks, wrong_script
from tests import media_factory
from tests.engines.stand_ins import StandInRun, decoded

# What base wrote over Telugu (unseen set 5): labelled Kannada in Devanagari, labelled Telugu
# in Urdu script.
TELUGU_AS_KANNADA = " प्रधानमंत्री के साथ एक बार फिर से"
TELUGU_AS_URDU = " یہ بات ہے کہ ہم نے"

RIGHT = {
    "en": " Ask not what your country can do for you.",
    "de": " Über die Brücke gehen wir später.",
    "ru": " Привет, как дела? iPhone у меня.",
    "zh": " 我们今天去北京。",
    "ja": " 東京へ行きます。コーヒーを飲みます。",
    "ko": " 안녕하세요, 반갑습니다.",
    "hi": " सिंह ने कहा कि वह आएगा।",
    "te": " తెలుగు భాష చాలా అందమైనది",
    "ar": " مرحبا بكم في البرنامج",
    "vi": " Tôi không biết tiếng Việt.",
}


def test_text_in_a_script_its_language_never_uses_is_wrong():
    assert wrong_script(TELUGU_AS_KANNADA, "kn")
    assert wrong_script(TELUGU_AS_URDU, "te")
    assert wrong_script(" Привет мир", "en")


def test_text_in_its_own_script_is_not_wrong():
    for language, text in RIGHT.items():
        assert not wrong_script(text, language), language
    # Latin words in any language, and a language the table does not know.
    assert not wrong_script(" Windows と Linux", "ja")
    assert not wrong_script(TELUGU_AS_URDU, "xx")


def test_a_mark_glued_to_a_word_in_another_script_is_dropped():
    assert without_stray_marks(" ்mend the cult before you go out.") == (
        " mend the cult before you go out."
    )
    for text in [*RIGHT.values(), " cafe\u0301", " क्षत्रिय"]:
        assert without_stray_marks(text) == text


def test_a_decoded_segment_in_the_wrong_script_is_flagged_for_the_reader():
    seg = SimpleNamespace(
        start=0.0,
        end=2.0,
        text=TELUGU_AS_KANNADA,
        words=[SimpleNamespace(word=" ்mend", start=0.0, end=0.5, probability=0.9)],
        avg_logprob=-0.3,
        no_speech_prob=0.0,
        compression_ratio=1.1,
        temperature=0.0,
        tokens=[],
    )
    assert _segment(seg, 10.0, "kn").flags == ("wrong_script",)
    assert _segment(seg, 10.0, "hi").flags == ()
    assert _segment(seg, 10.0, "hi").words[0].word == " mend"


class JumpingModel:
    """Stands in for faster-whisper: conditioned on the text before, it writes a sentence at 0 s,
    jumps over 20 s and lands at 22 s with `landing`; decoded afresh, a sentence every 2 s."""

    def __init__(self, landing):
        self.landing = landing
        self.calls = []

    def transcribe(self, audio, *, condition_on_previous_text, **options):
        seconds = len(audio) / 16_000
        self.calls.append((condition_on_previous_text, round(seconds)))
        if condition_on_previous_text:
            segments = [decoded(0, "Part 0."), decoded(22, self.landing)]
        else:
            segments = [decoded(t, f"Part {t}.") for t in range(0, int(seconds), 2)]
        return iter(segments), SimpleNamespace(language="te", language_probability=1.0)


def test_a_language_written_in_a_script_it_never_uses_is_not_decoded_again(tmp_path):
    # base wrote en_then_te's Telugu in Urdu letters (unseen set 5); the stretch it jumped over
    # was decoded again up the whole ladder for more of the same, at 2.8x the plain call's CPU.
    path = media_factory.silence(tmp_path / "a.wav", 30)
    backend = LocalWhisperBackend(alias="t", default_model="base", batch_size=1)
    runs = {}
    for landing in (" తెలుగు భాష చాలా అందమైనది", TELUGU_AS_URDU):
        model = JumpingModel(landing)
        events = StandInRun(backend, model, TranscriptionRequest(audio_path=path), "te").events()
        runs[landing] = (model.calls, [e for e in events if isinstance(e, Segment)])
    # Written in its script, the landing is doubted: the stretch before it, and the end, decoded
    # again.
    calls, segments = runs[" తెలుగు భాష చాలా అందమైనది"]
    assert calls == [(True, 30), (False, 22), (False, 6)]
    assert len(segments) > 2
    # In a script Telugu never uses, the decoder cannot write it: nothing is decoded again,
    # and the text stays, flagged for the reader.
    calls, segments = runs[TELUGU_AS_URDU]
    assert calls == [(True, 30)]
    assert [(s.start, s.flags) for s in segments] == [(0.0, ()), (22.0, ("wrong_script",))]
