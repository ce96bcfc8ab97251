"""A segment that runs over a long silence, split there into one segment per side.

The decoder is given speech only: the silences its VAD drops are cut out and the speech on
either side joined (collect_chunks), and restore_speech_timestamps puts the words back in time.
Whisper then writes speech from both sides of a dropped silence as one segment: on AMI tst01
" Yeah, take your notes." ran from 9.46 to 27.39 s, "Yeah," alone 17 s before the rest: an
18-second subtitle for four words, a verbose_json segment over 16 s where nobody spoke
(docs/benchmarks.md, issue 9, session 31). Split at the pause, each side is a segment of its
own: the words, their times and the text (joined back, the same) are kept.
"""

import dataclasses
from collections.abc import Callable

from .base import Segment

# The shortest pause between two words of one segment that splits it. Whisper's pauses inside a
# segment stay under 1.3 s on the development recordings; on AMI and the corpus the three of
# 2 s or more lie between sentences or speakers (one over a silence the decoder dropped), the
# longest below (1.5 s) inside one speaker's turn (docs/benchmarks.md, issue 9, session 31).
PAUSE_SECONDS = 2.0
# A word set apart by such a pause is a lone word when no detector hears speech over this share
# of it: the real one on AMI (trn06 "Aren't") is heard over all of it, the invented one (tst01
# "Yeah,", where the reference has nobody) over 28 % (Silero) and 40 % (the faint detector).
LONE_WORD_HEARD_SHARE = 0.5


def split_at_pauses(segment: Segment, model, pause: float = PAUSE_SECONDS) -> list[Segment]:
    """`segment` as one segment per stretch of its words with no pause of `pause` seconds or
    more inside. The pieces share the segment's decoding figures (log probability, compression,
    temperature, flags, language) and divide its tokens between them (every token in one piece,
    in order, so the carried prompt and the token log probabilities read them as before); every
    piece but the last `continues`.
    Unsplit where the words do not spell the text or the tokens cannot be divided at the pause
    (`model`: the faster_whisper model that decoded it, whose tokenizer reads the tokens)."""
    words = segment.words
    cuts = [i for i in range(1, len(words)) if words[i].start - words[i - 1].end >= pause]
    if not cuts or segment.untranscribed or "".join(w.word for w in words) != segment.text:
        return [segment]
    groups = [words[a:b] for a, b in zip([0, *cuts], [*cuts, len(words)], strict=True)]
    texts = ["".join(w.word for w in group) for group in groups]
    tokens = _divided(segment.tokens, texts, model.hf_tokenizer)
    if tokens is None:
        return [segment]
    last = len(groups) - 1
    return [
        dataclasses.replace(
            segment,
            start=segment.start if i == 0 else group[0].start,
            end=segment.end if i == last else group[-1].end,
            text=text,
            words=group,
            tokens=piece,
            continues=i < last,
        )
        for i, (group, text, piece) in enumerate(zip(groups, texts, tokens, strict=True))
    ]


class Pieces:
    """Follows a stream of engine events to tell where a job may stop: not between the pieces
    of one decoded segment (a piece that `continues`, and any mark after it, until the segment's
    last piece), nor between a mark that `continues` and the segment after it. A job resumes
    after the last piece or mark it stored; stopped after a first piece, it decoded again what
    the pieces after it hold, and a word aligned before the pause but said after it came
    twice."""

    def __init__(self):
        self.inside = False

    def stoppable_after(self, event) -> bool:
        """Whether a job may stop after `event`, the next event of the stream."""
        # A mark leaves it as it was, unless held to the segment after it (overlap.py).
        if isinstance(event, Segment) and (not event.gap or event.continues):
            self.inside = event.continues
        return not self.inside


def lone_word(piece: Segment, heard: Callable[[float, float], float]) -> bool:
    """Whether `piece` (split off its segment by a long pause) is one word that no speech
    detector hears over half of (`heard(start, end)`: the largest share of those seconds one of
    them takes for speech): written where nobody was heard, invented or aligned far from where
    it was said. Half, not none: Whisper's times are a few tenths off, and a word put over a
    pause starts or ends over the speech beside it. Flagged, not dropped: of the lone words
    measured one was invented, one a real word placed 14 s early (docs/benchmarks.md, issue 9,
    session 31)."""
    if len(piece.words) != 1:
        return False
    word = piece.words[0]
    return heard(word.start, word.end) < LONE_WORD_HEARD_SHARE


def _divided(tokens: tuple[int, ...], texts: list[str], tokenizer) -> list[tuple] | None:
    """`tokens` cut where their decoded text has spelled each of `texts` in turn; tokens that
    are not text (timestamps) stay where they are. None where no cut falls between tokens."""
    eot = tokenizer.token_to_id("<|endoftext|>")
    pieces: list[tuple] = []
    spelled, first, text_so_far = "", 0, []
    targets = iter(texts[:-1])
    target = next(targets)
    for i, token in enumerate(tokens):
        if token < eot:
            text_so_far.append(token)
            spelled = tokenizer.decode(text_so_far)
        if token < eot and spelled == target:
            pieces.append(tuple(tokens[first : i + 1]))
            first = i + 1
            following = next(targets, None)
            if following is None:
                break
            target += following
    if len(pieces) != len(texts) - 1:
        return None
    return [*pieces, tuple(tokens[first:])]
