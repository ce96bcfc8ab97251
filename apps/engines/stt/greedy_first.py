"""Greedy first, the beam only where the greedy text is doubtful (issue 9, speed).

faster-whisper decodes audio 30 s view by view (`generate_with_fallback`): beam search at
temperature 0, then Whisper's fallback ladder where the text fails its checks. Beam search is
the largest item of the engine's CPU (5.7 of 10.7 s on a 3-minute development recording, the
encoder 3.4), and on most views it writes exactly what greedy decoding writes. Here each view is
first decoded greedily (beam 1, temperature 0) from the encoder output faster-whisper already
computed; that text is kept where it is sure (`doubtful`), else the view is decoded as before
(the beam and the ladder) from the same encoder output: no view is encoded twice.

`greedy_first(model)` gives a shallow copy of a faster_whisper.WhisperModel that decodes so; the
model itself, shared between the lanes and the jobs of a worker, is left as it is.

Opt-in (`VOICEPORTAL_STT_DECODE=greedy_then_beam`): on tiny.en's 3-minute development
recordings 0.79-0.90x the engine's CPU with the same words or better, but where many views are
doubtful (a 12-minute development recording, the held-out readings: 42-62 %) both decodes are
paid and it costs more, and the held-out sonnets lost 3-4 words with tiny.en and base
(docs/benchmarks.md, issue 9, "Session 29: greedy first").

A doubtful view is decoded again whole: the beam only from the doubtful word on, the greedy
tokens before it as the decoder's prefix, costs as much (CTranslate2 steps its whole beam
through a prefix, one token at a time), and cutting the view before the doubtful word's
segment costs an encoder pass more for no clear gain ("Session 33").
"""

import copy
import logging
import threading
from collections import Counter

import numpy as np
from faster_whisper.transcribe import get_compression_ratio

from .loops import words

logger = logging.getLogger(__name__)

DECODE_MODES = ("beam", "greedy_then_beam")

# Thresholds on the greedy text of one view, chosen on the development recordings only
# (docs/benchmarks.md, issue 9, "Session 29: greedy first").
# Whisper's own fallback threshold is -1.0: greedy text between it and this is taken as unsure.
DOUBT_LOG_PROB = -0.5
# Whisper's loop threshold is 2.4; read speech compresses at 1.4-1.7.
DOUBT_COMPRESSION_RATIO = 2.0
# A word (the product of its tokens' probabilities) the greedy decoder wrote at under this.
DOUBT_WORD_PROBABILITY = 0.25
# Where the model thinks a view may hold no speech, its text may be invented.
DOUBT_NO_SPEECH_PROB = 0.6
# Far too few words for the seconds the text's timestamps span (sparse.py's rate).
DOUBT_SPAN_SECONDS = 8.0
DOUBT_WORDS_PER_SECOND = 1.0
_PUNCTUATION = " .,!?;:-'\"…"
# Seconds per timestamp token.
_TIME_PRECISION = 0.02

# Views decoded in this process, by outcome ("greedy" kept, "beam" decoded again), for the
# benchmarks and the logs.
tally: Counter = Counter()
_tally_lock = threading.Lock()


def greedy_first(model):
    """A copy of `model` (faster_whisper.WhisperModel) whose views are decoded greedily first
    and with the beam only where that text is doubtful."""
    decoder = copy.copy(model)
    decoder.generate_with_fallback = lambda *args: _greedy_then_beam(model, *args)
    return decoder


def _greedy_then_beam(model, encoder_output, prompt, tokenizer, options):
    if options.beam_size <= 1 or options.temperatures[0] > 0:  # no beam to spare
        return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)
    decoded, probabilities = _greedy(model, encoder_output, prompt, tokenizer, options)
    reason = doubtful(
        decoded,
        probabilities,
        tokenizer,
        options,
        room=_max_length(model, prompt, options) - len(prompt),
    )
    with _tally_lock:
        tally["beam" if reason else "greedy"] += 1
    if not reason:
        return decoded
    logger.debug("Greedy text doubtful (%s): decoded again with the beam", reason)
    return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)


def _greedy(model, encoder_output, prompt, tokenizer, options) -> tuple[tuple, np.ndarray]:
    """The view decoded at temperature 0 with beam 1, as faster-whisper's
    `generate_with_fallback` does (its result tuple), and each token's probability (the
    decoder's log probabilities over the vocabulary, returned at no extra model work)."""
    result = model.model.generate(
        encoder_output,
        [prompt],
        beam_size=1,
        length_penalty=options.length_penalty,
        repetition_penalty=options.repetition_penalty,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        max_length=_max_length(model, prompt, options),
        return_scores=True,
        return_no_speech_prob=True,
        return_logits_vocab=True,
        suppress_blank=options.suppress_blank,
        suppress_tokens=options.suppress_tokens,
        max_initial_timestamp_index=int(
            round(options.max_initial_timestamp / model.time_precision)
        ),
    )[0]
    tokens = result.sequences_ids[0]
    # As faster-whisper recovers the average log probability from the score.
    avg_logprob = result.scores[0] * (len(tokens) ** options.length_penalty) / (len(tokens) + 1)
    compression_ratio = get_compression_ratio(tokenizer.decode(tokens).strip())
    return (result, avg_logprob, 0.0, compression_ratio), _probabilities(result, tokens)


def _probabilities(result, tokens: list[int]) -> np.ndarray:
    """The probability the decoder gave each of `tokens` (one step of logits each)."""
    steps = result.logits[0][: len(tokens)]
    if not tokens or len(steps) < len(tokens):
        return np.ones(len(tokens))
    logits = np.stack([np.asarray(step, dtype=np.float32).ravel() for step in steps])
    top = logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    return np.exp(logits[np.arange(len(tokens)), tokens] - log_norm)


def _max_length(model, prompt, options) -> int:
    """The decode's token limit, prompt included, as faster-whisper sets it."""
    if options.max_new_tokens is not None:
        return len(prompt) + options.max_new_tokens
    return model.max_length


def doubtful(decoded, probabilities, tokenizer, options, *, room: int) -> str:
    """Why a view's greedy result (faster-whisper's (result, avg_logprob, temperature,
    compression_ratio), and each token's probability) is doubtful, or "" where it is sure."""
    result, avg_logprob, _, compression_ratio = decoded
    tokens = result.sequences_ids[0]
    text = [t for t in tokens if t < tokenizer.eot]
    if len(tokens) >= room - 1:
        return "ran to the token limit"
    if compression_ratio > min(DOUBT_COMPRESSION_RATIO, options.compression_ratio_threshold):
        return f"compression ratio {compression_ratio:.2f}"
    if avg_logprob < max(DOUBT_LOG_PROB, options.log_prob_threshold or DOUBT_LOG_PROB):
        return f"log probability {avg_logprob:.2f}"
    if result.no_speech_prob > DOUBT_NO_SPEECH_PROB:
        return f"no-speech probability {result.no_speech_prob:.2f}"
    if not text:
        return "no text"
    word, probability = min(_word_probabilities(tokens, probabilities, tokenizer), key=_second)
    if probability < DOUBT_WORD_PROBABILITY:
        return f"{word!r} at probability {probability:.3f}"
    span = _timestamp_span(tokens, tokenizer)
    said = len(words(tokenizer.decode(text)))
    if span >= DOUBT_SPAN_SECONDS and said < DOUBT_WORDS_PER_SECOND * span:
        return f"{said} words over {span:.1f} s"
    return ""


def _word_probabilities(tokens, probabilities, tokenizer) -> list[tuple[str, float]]:
    """Each word of the text with the product of its tokens' probabilities (punctuation left
    out: a comma more or less changes no word)."""
    found: list[tuple[str, float]] = []
    for token, probability in zip(tokens, probabilities, strict=True):
        piece = tokenizer.decode([token]) if token < tokenizer.eot else ""
        if not piece.strip(_PUNCTUATION):
            continue
        if piece.startswith(" ") or not found:
            found.append((piece.strip(), float(probability)))
        else:
            word, so_far = found[-1]
            found[-1] = (word + piece, so_far * float(probability))
    return found or [("", 1.0)]


def _second(pair: tuple) -> float:
    return pair[1]


def _timestamp_span(tokens: list[int], tokenizer) -> float:
    """Seconds between the first and the last timestamp token of a view's text."""
    times = [t - tokenizer.timestamp_begin for t in tokens if t >= tokenizer.timestamp_begin]
    return (max(times) - min(times)) * _TIME_PRECISION if times else 0.0
