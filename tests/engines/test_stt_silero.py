"""One Silero pass read with several settings finds what a pass per setting finds."""

import pytest
from faster_whisper.vad import VadOptions, get_speech_timestamps

from apps.core.media import decode_all
from apps.engines.stt.regions import VAD_PARAMETERS
from apps.engines.stt.silero import SpeechProbabilities

# The engine's settings (sensitive, the decoder's, the batched clips'), the silence flags', and
# a short longest-speech limit, so speech is also cut mid-region.
SETTINGS = [
    VadOptions(**VAD_PARAMETERS),
    VadOptions(),
    VadOptions(max_speech_duration_s=29),
    VadOptions(min_silence_duration_ms=500, speech_pad_ms=200),
    VadOptions(max_speech_duration_s=4),
]


@pytest.mark.parametrize("name", ["jfk.flac", "ami_trn04.wav"])
def test_each_setting_finds_the_chunks_of_a_pass_of_its_own(corpus, name):
    audio = decode_all(corpus / name)
    probabilities = SpeechProbabilities(audio)
    for options in SETTINGS:
        assert probabilities.chunks(options) == get_speech_timestamps(audio, options)
    assert len(probabilities.chunks(SETTINGS[-1])) > len(probabilities.chunks(SETTINGS[1]))
