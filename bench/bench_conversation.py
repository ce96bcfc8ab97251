"""Benchmark: voice-to-voice latency of the offline conversation cascade.

Prints figures; asserts nothing (it is a benchmark, not a test).

Spoken questions (synthesised by Piper, so the run needs no corpus) are streamed in real time
(100 ms PCM16 24 kHz frames, as the conversation page sends them) into one cascade session, in
this process, as the web process runs it. For each question, from the end of the user's speech
(the last frame above the speech level, on the wall clock, which runs with the audio because it
is sent in real time) to the first byte of the assistant's audio, split by stage:

- end-pointing: from the end of speech until the utterance's final transcription starts (the
  silence the VAD waits for, `min_silence_ms`, plus the wait for a model worker);
- STT: the final transcription of the utterance;
- LLM first sentence: from the request to the language model until its first sentence is
  complete (prompt processing and the first sentence's tokens);
- TTS first chunk: from the first sentence to its first audio.

    .venv/bin/python bench/bench_conversation.py [--stt-model tiny.en] [--threads 1] [--runs 2]
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAME = 2400 * 2  # 100 ms
QUESTIONS = [
    "What is the capital of France?",
    "How many legs does a dog have?",
    "What colour is the sky on a clear day?",
    "Can you recommend a good book?",
    "What is the weather usually like in summer?",
]


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def speech_end(pcm: bytes, level: int = 300) -> float:
    """Seconds into `pcm` where the last 10 ms above `level` ends."""
    import numpy as np

    samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
    blocks = samples[: len(samples) // 240 * 240].reshape(-1, 240).max(axis=1)
    loud = np.nonzero(blocks > level)[0]
    return (loud[-1] + 1) * 0.01 if len(loud) else 0.0


def timed_transcription(marks: list) -> None:
    """Record when each utterance's final transcription starts and ends (the local engine's
    `_final`), so end-pointing and STT can be told apart."""
    from apps.engines.stt.streaming.local import WhisperRecognizer

    original = WhisperRecognizer._final

    def _final(self, *args, **kwargs):
        started = time.monotonic()
        result = original(self, *args, **kwargs)
        marks.append((started, time.monotonic()))
        return result

    WhisperRecognizer._final = _final


async def ask(session, pcm: bytes) -> dict:
    from apps.engines.conversation.base import AudioDelta, ResponseDone

    end = speech_end(pcm)
    started = time.monotonic()
    for i in range(0, len(pcm) + 48_000, FRAME):  # and a second of silence
        frame = pcm[i : i + FRAME] or bytes(FRAME)
        await session.send(frame)
        await asyncio.sleep(max(0.0, started + (i + FRAME) / 48_000 - time.monotonic()))
    first_audio = None
    async for event in session.events():
        if isinstance(event, AudioDelta) and first_audio is None:
            first_audio = time.monotonic()
        if isinstance(event, ResponseDone):
            return {"speech_end": started + end, "first_audio": first_audio,
                    "text": event.text, **session.last_timings}  # fmt: skip
    raise RuntimeError("the session ended")


async def run(args) -> list[dict]:
    from apps.engines.conversation.base import ConversationConfig
    from apps.engines.conversation.cascade import CascadeBackend
    from apps.engines.llm.local import LocalLanguageModel
    from tests.conftest import spoken

    marks: list = []
    timed_transcription(marks)
    backend = CascadeBackend(alias="bench", stt="local", stt_model=args.stt_model, llm="local",
                             tts="piper", temperature=0.0, max_tokens=60)  # fmt: skip
    LocalLanguageModel(alias="local", threads=args.threads).server()  # loaded before the clock
    session = await backend.open(ConversationConfig())
    await ask(session, spoken("Hello."))  # warm-up: every model loaded
    results = []
    for _ in range(args.runs):
        for question in QUESTIONS:
            marks.clear()
            r = await ask(session, spoken(question))
            r["stt_start"], r["stt_end"] = marks[-1]
            r["question"] = question
            results.append(r)
            # A fresh conversation each time: history would lengthen the prompt.
            session.history.clear()
    await session.close()
    return results


def report(results: list[dict]) -> None:
    stages = {
        "end-pointing": lambda r: r["stt_start"] - r["speech_end"],
        "STT (final)": lambda r: r["stt_end"] - r["stt_start"],
        "LLM first sentence": lambda r: r["first_sentence"] - r["requested"],
        "TTS first chunk": lambda r: r["first_audio"] - r["first_sentence"],
        "voice-to-voice": lambda r: r["first_audio"] - r["speech_end"],
    }
    print(f"{len(results)} questions, seconds")
    print(f"{'stage':<22}{'median':>8}{'p90':>8}{'max':>8}")
    for name, figure in stages.items():
        values = sorted(figure(r) for r in results)
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        print(f"{name:<22}{statistics.median(values):8.2f}{p90:8.2f}{values[-1]:8.2f}")
    print()
    for r in results[: len(QUESTIONS)]:
        print(f"  {r['question']!r} -> {r['text']!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stt-model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=1, help="language model threads")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ["VOICEPORTAL_LLM_THREADS"] = str(args.threads)
    setup()
    report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
