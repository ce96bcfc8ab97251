"""A stretch left without text is told from quiet room by its loudness against the speech."""

from apps.core.media import decode_all
from apps.engines.stt.loudness import Levels
from apps.engines.stt.regions import VAD_PARAMETERS, speech_heard
from apps.engines.stt.silero import SpeechProbabilities


def levels(path):
    audio = decode_all(path)
    return Levels(audio, speech_heard(SpeechProbabilities(audio), VAD_PARAMETERS))


def test_far_field_speech_without_text_is_as_loud_as_speech_and_quiet_room_is_not(corpus):
    # AMI trn04: the VAD's region at 6.0-7.1 s, where nobody speaks (a murmur it heard for
    # 0.3 s), against 14.0-16.4 s, where two people start talking and the decoder wrote nothing.
    meeting = levels(corpus / "ami_trn04.wav")
    assert meeting.under_speech(6.0, 7.09) > 20
    assert meeting.under_speech(14.03, 16.41) < 0
    # The quiet after the last word of a clean reading.
    assert levels(corpus / "cheetah_en.wav").under_speech(3.42, 4.46) > 40


def test_without_speech_heard_nothing_is_called_quiet(corpus):
    audio = decode_all(corpus / "cheetah_en.wav")
    assert Levels(audio, []).under_speech(3.42, 4.46) == 0.0
