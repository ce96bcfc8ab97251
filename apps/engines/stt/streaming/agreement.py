"""LocalAgreement-2 (Macháček et al., "Turning Whisper into Real-Time Transcription System",
2023): of two successive hypotheses over the growing utterance, the longest common prefix of
words is committed; committed words never change, later ones may."""

import re


def _key(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


class LocalAgreement:
    def __init__(self):
        self.committed: list[str] = []
        self.previous: list[str] = []

    def update(self, hypothesis: list[str]) -> tuple[str, str]:
        """Take a new hypothesis (words); returns (stable text, whole text)."""
        agreed = 0
        for a, b in zip(self.previous, hypothesis, strict=False):
            if _key(a) != _key(b):
                break
            agreed += 1
        if agreed > len(self.committed):
            self.committed = hypothesis[:agreed]
        self.previous = hypothesis
        # Committed words stay even when this hypothesis disagrees with them.
        rest = hypothesis[len(self.committed) :]
        stable = " ".join(self.committed)
        return stable, " ".join([*self.committed, *rest])

    def reset(self) -> None:
        self.committed, self.previous = [], []
