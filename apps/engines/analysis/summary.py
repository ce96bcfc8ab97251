"""Summaries: extractive with LexRank (sumy, Apache-2.0) offline; abstractive through an LLM.

sumy's own tokenizer downloads NLTK data on first use, so sentences come from `TimedText` and
words from a regular expression. The LLM is any OpenAI-compatible chat-completions endpoint
(OpenAI, or a server the admin runs), called with the official `openai` SDK.
"""

import math
import re
from dataclasses import dataclass

import numpy as np

from ..cloud import DEFAULT_MAX_RETRIES, openai_client, openai_error
from ..errors import ErrorKind, ProviderError
from .base import Summary, SummarySentence
from .text import Span, TimedText

# sumy's stop-word lists and Snowball stemmers go by language name.
_SUMY_LANGUAGES = {
    "ar": "arabic",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "he": "hebrew",
    "hu": "hungarian",
    "it": "italian",
    "ja": "japanese",
    "ko": "korean",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sk": "slovak",
    "sv": "swedish",
    "th": "thai",
    "uk": "ukrainian",
    "zh": "chinese",
}
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_SENTENCES = 8

SYSTEM_PROMPT = (
    "You summarise transcripts of recordings. Write a concise summary of three to six "
    "sentences in the language of the transcript. Say what was discussed and decided; use only "
    "what the transcript says. Answer with the summary alone."
)


class _Tokenizer:
    """What sumy asks of a tokenizer, without NLTK's downloadable models."""

    def __init__(self, language: str):
        self.language = language

    def to_sentences(self, text: str) -> tuple[str, ...]:
        from .text import sentence_bounds

        return tuple(text[a:b] for a, b in sentence_bounds(text, self.language))

    @staticmethod
    def to_words(sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


def extractive(timed: TimedText, *, sentences: int = 0) -> Summary:
    """The most central sentences, in spoken order; `sentences=0` picks a number by length."""
    picked = key_sentences(timed, count=sentences or _auto_count(len(timed.sentences)))
    return Summary(
        text=" ".join(s.text for s in picked),
        method="extractive",
        model="lexrank",
        sentences=tuple(SummarySentence(s.text, s.start, s.end) for s in picked),
    )


def key_sentences(timed: TimedText, *, count: int) -> list[Span]:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.summarizers.lex_rank import LexRankSummarizer

    spans = timed.sentences
    if len(spans) <= count:
        return list(spans)
    tokenizer = _Tokenizer(timed.language)
    sentences = [Sentence(s.text, tokenizer) for s in spans]
    summarizer = LexRankSummarizer(_stemmer(timed.language))
    summarizer.stop_words = _stop_words(timed.language)
    # Sentences sharing no word leave LexRank's power iteration a zero vector to normalise; it
    # then ranks them evenly, which is the right answer, so numpy need not warn.
    with np.errstate(invalid="ignore", divide="ignore"):
        chosen = summarizer(ObjectDocumentModel([Paragraph(sentences)]), count)
    # sumy hands back sentences in document order; match them to their spans by position.
    index = {id(sentence): i for i, sentence in enumerate(sentences)}
    return [spans[index[id(s)]] for s in chosen]


def _auto_count(n: int) -> int:
    return max(1, min(_MAX_SENTENCES, round(math.sqrt(n))))


def _stemmer(language: str):
    from sumy.nlp.stemmers import Stemmer

    try:
        return Stemmer(_SUMY_LANGUAGES.get(language, language))
    except LookupError:
        return str.lower  # no stemmer for the language: compare words as they are


def _stop_words(language: str) -> frozenset[str]:
    from sumy.utils import get_stop_words

    try:
        return frozenset(get_stop_words(_SUMY_LANGUAGES.get(language, language)))
    except LookupError:
        return frozenset()


@dataclass(frozen=True)
class LLMConfig:
    model: str = ""
    # A LANGUAGE_MODELS alias (apps/engines/llm) writes the summary instead of `model` at
    # `base_url`, e.g. "local" for the packaged SmolLM2 (weak at long inputs).
    engine: str = ""
    base_url: str | None = None  # None: OpenAI itself
    api_key: str = ""
    timeout: float = 120.0
    max_retries: int = DEFAULT_MAX_RETRIES
    # Longer transcripts are summarised from their key sentences, keeping the request bounded.
    max_input_chars: int = 48_000


def abstractive(timed: TimedText, config: LLMConfig) -> Summary:
    if config.engine:
        return _abstractive_with_engine(timed, config)
    import openai  # the SDK is needed only when an LLM is configured

    client = openai_client(
        # Self-hosted OpenAI-compatible servers often want no key, but the SDK insists on one.
        api_key=config.api_key or "no-key",
        base_url=config.base_url,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )
    try:
        reply = client.chat.completions.create(
            model=config.model,
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": _llm_input(timed, config.max_input_chars)},
            ],
            temperature=0.2,
        )
    except openai.OpenAIError as exc:
        raise openai_error(exc) from exc
    text = (reply.choices[0].message.content or "").strip() if reply.choices else ""
    if not text:
        raise ProviderError(
            f"The model {config.model!r} returned an empty summary.", kind=ErrorKind.INTERNAL
        )
    return Summary(text=text, method="abstractive", model=config.model)


def _abstractive_with_engine(timed: TimedText, config: LLMConfig) -> Summary:
    from ..llm import llm_backends
    from ..llm.base import ChatMessage, ChatRequest

    request = ChatRequest(
        messages=(ChatMessage("system", SYSTEM_PROMPT),
                  ChatMessage("user", _llm_input(timed, config.max_input_chars))),
        max_tokens=400,
    )  # fmt: skip
    text = llm_backends[config.engine].complete(request)
    if not text:
        raise ProviderError(
            f"The language model {config.engine!r} returned an empty summary.",
            kind=ErrorKind.INTERNAL,
        )
    return Summary(text=text, method="abstractive", model=config.engine)


def _llm_input(timed: TimedText, max_chars: int) -> str:
    if len(timed.text) <= max_chars:
        return timed.text
    average = max(1, len(timed.text) // max(1, len(timed.sentences)))
    picked = key_sentences(timed, count=max(1, max_chars // average))
    text = " ".join(s.text for s in picked)[:max_chars]
    return "Key sentences of a long transcript, in order:\n" + text
