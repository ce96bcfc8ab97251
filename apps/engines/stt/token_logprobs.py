"""Per-token log probabilities out of faster-whisper, for OpenAI's `include=["logprobs"]`.

faster-whisper already computes the probability of every text token when it places words in
time: ctranslate2's `align` runs the decoder over the decoded text (teacher-forced, on the same
audio window) and returns each token's probability, which faster-whisper then averages per word.
Recording those costs no model work at all, where asking ctranslate2's beam search for them does
not work (`return_logits_vocab` keeps only one step per hypothesis) and scoring the text again
would cost a second decoder pass.

So the model's ctranslate2 object is wrapped once (`TokenLogprobRecorder.for_model`); the wrapper
only passes calls on, except that `align` results are kept while a recorder is active in the
calling thread. Each segment faster-whisper then yields is matched to them by its tokens.
The probabilities are the decoder's, over text tokens, given the window's audio and the text
before the token in that window (the timestamp and prompt tokens of decoding are not part of it).
"""

import logging
import math
import threading
from functools import cache

from .base import TokenLogprob

logger = logging.getLogger(__name__)

# A probability of 0 would be a log of minus infinity, which JSON cannot carry.
_MIN_LOGPROB = -100.0
_active = threading.local()
_wrap_lock = threading.Lock()


class TokenLogprobRecorder:
    """While entered (`with recorder:`), keeps what the model's word alignment computes;
    `for_tokens` then gives a segment's text tokens with their log probabilities."""

    def __init__(self, model):
        """`model` is a faster_whisper.WhisperModel; its word timestamps must be on."""
        _wrap(model)
        self.tokenizer = model.hf_tokenizer
        self.eot = self.tokenizer.token_to_id("<|endoftext|>")
        # Each alignment while entered, newest last: [text tokens, their probabilities, how far
        # the segments matched so far have used them]. Not only the last one: a segment held
        # back (to be checked against the next) is matched after a stretch decoded again.
        self.alignments: list[list] = []

    def __enter__(self) -> "TokenLogprobRecorder":
        _active.recorder = self
        return self

    def __exit__(self, *exc) -> None:
        _active.recorder = None

    def record(self, text_tokens: list[int], probabilities: list[float]) -> None:
        self.alignments.append([list(text_tokens), probabilities, 0])

    def for_tokens(self, tokens: list[int]) -> tuple[TokenLogprob, ...]:
        """The log probabilities of a yielded segment's text tokens (timestamps left out);
        empty if they were not aligned (then none are known, rather than wrong ones)."""
        text = [t for t in tokens if t < self.eot]
        for alignment in reversed(self.alignments):
            aligned, probabilities, cursor = alignment
            start = _find(aligned, text, cursor)
            if start is not None:
                alignment[2] = start + len(text)
                return tuple(
                    self._logprob(token, p)
                    for token, p in zip(text, probabilities[start : start + len(text)], strict=True)
                )
        logger.warning("No aligned probabilities for a segment of %d tokens", len(text))
        return ()

    def _logprob(self, token: int, probability: float) -> TokenLogprob:
        raw = _token_bytes(self.tokenizer.id_to_token(token))
        logprob = math.log(probability) if probability > 0 else _MIN_LOGPROB
        return TokenLogprob(
            token=raw.decode("utf-8", errors="replace"),
            logprob=round(max(logprob, _MIN_LOGPROB), 6),
            bytes=tuple(raw),
        )


def _find(sequence: list[int], part: list[int], start: int) -> int | None:
    """Where `part` next occurs in `sequence` from `start` on (segments faster-whisper drops,
    such as empty ones, leave tokens to skip)."""
    for i in range(start, len(sequence) - len(part) + 1):
        if sequence[i : i + len(part)] == part:
            return i
    return None


class _RecordingAligner:
    """Stands in for the ctranslate2 model: everything passes through; `align` results are also
    handed to the calling thread's active recorder."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def align(self, features, start_sequence, text_tokens, *args, **kwargs):
        results = self._inner.align(features, start_sequence, text_tokens, *args, **kwargs)
        recorder = getattr(_active, "recorder", None)
        if recorder is not None:
            # faster-whisper aligns one window at a time: a batch of one token sequence.
            for tokens, result in zip(text_tokens, results, strict=True):
                recorder.record(tokens, list(result.text_token_probs))
        return results


def _wrap(model) -> None:
    with _wrap_lock:
        if not isinstance(model.model, _RecordingAligner):
            model.model = _RecordingAligner(model.model)


@cache
def _byte_decoder() -> dict[str, int]:
    """Whisper's byte-level BPE writes each byte as a printable character (GPT-2's table);
    this maps them back."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    characters, extra = {}, 0
    for b in range(256):
        if b in printable:
            characters[chr(b)] = b
        else:
            characters[chr(256 + extra)] = b
            extra += 1
    return characters


def _token_bytes(piece: str) -> bytes:
    decoder = _byte_decoder()
    return bytes(decoder[c] for c in piece)
