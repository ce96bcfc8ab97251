"""Text in a script its language does not use."""

from types import SimpleNamespace

from apps.core.media import decode_all
from apps.engines.stt.base import TranscriptionRequest
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


class TeluguModel:
    """Stands in for faster-whisper: every decode writes one sentence in `text`."""

    def __init__(self, text):
        self.text = text
        self.calls = []

    def transcribe(self, audio, *, condition_on_previous_text, **options):
        self.calls.append(round(len(audio) / 16_000))
        return iter([decoded(0, self.text)]), SimpleNamespace(
            language="te", language_probability=1.0
        )


def test_speech_left_without_text_is_not_decoded_again_in_a_language_written_wrong(tmp_path):
    # base wrote te_six_voices' and en_then_te's Telugu in Urdu letters (unseen set 5); each
    # stretch left without text, decoded on its own, looped or wrote more of them: 7-11 CPU s
    # of the files' ~48, 3x the plain call's.
    audio = decode_all(media_factory.tone(tmp_path / "a.wav", 10))
    backend = LocalWhisperBackend(alias="t", default_model="base", batch_size=1)
    found = {}
    for first in (" తెలుగు భాష చాలా అందమైనది", TELUGU_AS_URDU):
        model = TeluguModel(first)
        run = StandInRun(backend, model, TranscriptionRequest(audio_path=tmp_path / "a.wav"), "te")
        run.hear(audio)
        list(run._decode(audio, 0.0, conditioned=True))  # the window's first pass
        model.text = " తెలుగు"
        events = list(run._gap(audio, 0.0, [], 2.0, 4.0))
        found[first] = (model.calls[1:], events)
    # Where the decoder wrote Telugu in its script, the stretch is decoded on its own.
    calls, events = found[" తెలుగు భాష చాలా అందమైనది"]
    assert calls == [2]
    assert [e.text.strip() for e in events] == ["తెలుగు"]
    # Where it wrote it in Urdu letters, it cannot write Telugu: the stretch is marked at once.
    calls, events = found[TELUGU_AS_URDU]
    assert calls == []
    assert [(e.untranscribed, e.gap) for e in events] == [(True, "no_text")]
