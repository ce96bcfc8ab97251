"""The segmentation model's local speakers voting for the turns' speakers, on real recordings."""

import numpy as np
import pytest

from apps.core.media import decode_all
from apps.engines.analysis.der import load_rttm
from apps.engines.analysis.local_votes import local_votes
from apps.engines.analysis.segmentation import speech_activity


@pytest.fixture(scope="module")
def sample(corpus):
    """sample.wav's segmentation and, per 10 ms frame, the reference speaker talking alone
    there (-1 where no one or two talk)."""
    found = speech_activity(decode_all(corpus / "sample.wav"))
    reference = load_rttm(corpus / "sample.rttm")
    names = sorted({speaker for speaker, _, _ in reference})
    talking = np.zeros((len(found.speech), len(names)), dtype=bool)
    for speaker, start, end in reference:
        talking[round(start * 100) : round(end * 100), names.index(speaker)] = True
    alone = talking.sum(axis=1) == 1
    return found, np.where(alone, talking.argmax(axis=1), -1)


def test_each_local_speaker_votes_for_the_speaker_the_turns_give_it(sample):
    found, truth = sample
    votes = local_votes(found, truth, 2)
    voted = (votes.sum(axis=1) > 0) & (truth >= 0)
    assert voted.sum() >= 0.7 * (truth >= 0).sum()
    assert (votes[voted].argmax(axis=1) == truth[voted]).mean() >= 0.95
    assert np.allclose(votes[votes.sum(axis=1) > 0].sum(axis=1), 1.0)


def test_a_local_speaker_heard_as_two_of_the_turns_voices_casts_no_vote(sample):
    """Turns that swap speakers every 0.3 s whoever talks: no local speaker hears 70 % of one
    of them, so none stands for a speaker and the re-segmentation gets no votes."""
    found, truth = sample
    swapping = np.where(truth >= 0, (np.arange(len(truth)) // 30) % 2, -1)
    assert not local_votes(found, swapping, 2).any()


def test_with_a_reach_the_votes_stay_near_a_change_of_speaker(sample):
    """So a local speaker that holds two people can move a change, not take a whole turn."""
    found, truth = sample
    everywhere = local_votes(found, truth, 2)
    near = local_votes(found, truth, 2, reach=0.5)
    labelled = np.flatnonzero(truth >= 0)
    changes = labelled[1:][truth[labelled[1:]] != truth[labelled[:-1]]]
    distance = np.abs(np.arange(len(truth))[:, None] - changes[None, :]).min(axis=1)
    assert near.any() and not near[distance > 50].any()
    assert np.array_equal(near[distance < 50], everywhere[distance < 50])
