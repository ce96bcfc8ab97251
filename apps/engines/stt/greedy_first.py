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
"""

import copy
import logging
import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np
from faster_whisper.transcribe import get_compression_ratio

from .loops import words

logger = logging.getLogger(__name__)

DECODE_MODES = ("beam", "greedy_then_beam", "greedy_until_doubt")

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


def greedy_first(model, *, until_doubt: bool = False):
    """A copy of `model` (faster_whisper.WhisperModel) whose views are decoded greedily first
    and with the beam only where that text is doubtful. `until_doubt`: a view doubtful only for
    a word keeps its greedy segments before that word's, and the beam decodes the next view,
    which starts where they end (`_cut`)."""
    decoder = copy.copy(model)
    views = _Views(until_doubt)
    decoder.generate_with_fallback = lambda *args: _greedy_then_beam(model, views, *args)
    return decoder


class _Views:
    """One decode's views: whether a doubtful view was cut, the next one then decoded with the
    beam from its start (the doubtful word's segment) without a greedy look."""

    def __init__(self, until_doubt: bool):
        self.until_doubt = until_doubt
        self.beam_next = False


def _greedy_then_beam(model, views, encoder_output, prompt, tokenizer, options):
    if options.beam_size <= 1 or options.temperatures[0] > 0:  # no beam to spare
        return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)
    if views.beam_next:  # the view after a cut starts with the doubtful word's segment
        views.beam_next = False
        with _tally_lock:
            tally["beam"] += 1
        return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)
    decoded, probabilities = _greedy(model, encoder_output, prompt, tokenizer, options)
    room = _max_length(model, prompt, options) - len(prompt)
    whole = _view_doubt(decoded, tokenizer, options, room=room)
    reason = whole or _word_doubt(decoded, probabilities, tokenizer)
    cut = _cut(decoded, probabilities, tokenizer) if views.until_doubt and not whole else None
    with _tally_lock:
        tally["cut" if cut else "beam" if reason else "greedy"] += 1
    if not reason:
        return decoded
    if cut:
        logger.debug("Greedy text doubtful (%s): the beam from its segment on", reason)
        views.beam_next = True
        return cut
    logger.debug("Greedy text doubtful (%s): decoded again with the beam", reason)
    return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)


@dataclass(frozen=True)
class _CutResult:
    """The part of a CTranslate2 WhisperGenerationResult that faster-whisper reads."""

    sequences_ids: list
    scores: list
    no_speech_prob: float


def _cut(decoded, probabilities, tokenizer) -> tuple | None:
    """The greedy result (faster-whisper's tuple) up to the last segment boundary before its
    first doubtful word, or None where there is none or that word is in its first segment. Its
    tokens end with two timestamps (the boundary), so faster-whisper
    keeps the segments before and seeks to the boundary: the next view starts there.

    The beam cannot take over mid-view any cheaper: CTranslate2 runs a prefix given after the
    start of transcript step by step through the whole beam (docs/benchmarks.md, issue 9,
    "Session 33")."""
    result, _, _, _ = decoded
    tokens = result.sequences_ids[0]
    word = _first_doubtful_word(tokens, probabilities, tokenizer)
    end = _boundary_before(tokens, word[0], tokenizer) if word else 0
    if not end:
        return None
    kept = tokens[:end]
    text = tokenizer.decode([t for t in kept if t < tokenizer.eot]).strip()
    if not text:
        return None
    logprob = float(np.log(np.maximum(probabilities[:end], 1e-12)).sum())
    cut = _CutResult([kept], [logprob], result.no_speech_prob)
    return cut, logprob / (len(kept) + 1), 0.0, get_compression_ratio(text)


def _boundary_before(tokens: list[int], index: int, tokenizer) -> int:
    """How many of `tokens` end at the last two timestamps in a row before `index` (0: none)."""
    begin = tokenizer.timestamp_begin
    for i in range(min(index, len(tokens)) - 1, 1, -1):
        if tokens[i] >= begin and tokens[i - 1] >= begin:
            return i + 1
    return 0


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
    return _view_doubt(decoded, tokenizer, options, room=room) or _word_doubt(
        decoded, probabilities, tokenizer
    )


def _view_doubt(decoded, tokenizer, options, *, room: int) -> str:
    """Why the greedy text of the whole view is doubtful (no word of it to blame), or ""."""
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
    span = _timestamp_span(tokens, tokenizer)
    said = len(words(tokenizer.decode(text)))
    if span >= DOUBT_SPAN_SECONDS and said < DOUBT_WORDS_PER_SECOND * span:
        return f"{said} words over {span:.1f} s"
    return ""


def _word_doubt(decoded, probabilities, tokenizer) -> str:
    word = _first_doubtful_word(decoded[0].sequences_ids[0], probabilities, tokenizer)
    return f"{word[1]!r} at probability {word[2]:.3f}" if word else ""


def _first_doubtful_word(tokens, probabilities, tokenizer) -> tuple[int, str, float] | None:
    """The first word under DOUBT_WORD_PROBABILITY: its first token's index, the word and its
    probability; None where there is none."""
    return next(
        (
            w
            for w in _word_probabilities(tokens, probabilities, tokenizer)
            if w[2] < DOUBT_WORD_PROBABILITY
        ),
        None,
    )


def _word_probabilities(tokens, probabilities, tokenizer) -> list[tuple[int, str, float]]:
    """Each word of the text with the index of its first token and the product of its tokens'
    probabilities (punctuation left out: a comma more or less changes no word)."""
    found: list[tuple[int, str, float]] = []
    for index, (token, probability) in enumerate(zip(tokens, probabilities, strict=True)):
        piece = tokenizer.decode([token]) if token < tokenizer.eot else ""
        if not piece.strip(_PUNCTUATION):
            continue
        if piece.startswith(" ") or not found:
            found.append((index, piece.strip(), float(probability)))
        else:
            start, word, so_far = found[-1]
            found[-1] = (start, word + piece, so_far * float(probability))
    return found


def _timestamp_span(tokens: list[int], tokenizer) -> float:
    """Seconds between the first and the last timestamp token of a view's text."""
    times = [t - tokenizer.timestamp_begin for t in tokens if t >= tokenizer.timestamp_begin]
    return (max(times) - min(times)) * _TIME_PRECISION if times else 0.0
