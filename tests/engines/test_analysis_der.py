"""The diarization error rate scorer on hand-made cases."""

import pytest

from apps.engines.analysis.der import diarization_error_rate, load_rttm

REFERENCE = [("alice", 0.0, 4.0), ("bob", 4.0, 10.0)]


def test_it_scores_a_perfect_hypothesis_zero_whatever_the_labels():
    result = diarization_error_rate(REFERENCE, [("B", 0.0, 4.0), ("A", 4.0, 10.0)])
    assert result.der == 0.0
    assert result.mapping == {"B": "alice", "A": "bob"}


def test_it_counts_missed_speech_false_alarm_and_confusion():
    hypothesis = [("A", 0.0, 3.0), ("B", 4.0, 8.0), ("A", 8.0, 10.0), ("B", 10.0, 11.0)]
    result = diarization_error_rate(REFERENCE, hypothesis)
    assert result.total == pytest.approx(10.0)
    assert result.missed == pytest.approx(1.0)  # 3-4 s said by alice, nobody found
    assert result.false_alarm == pytest.approx(1.0)  # 10-11 s, nobody spoke
    assert result.confusion == pytest.approx(2.0)  # 8-10 s given to alice's match
    assert result.der == pytest.approx(0.4)


def test_it_counts_each_speaker_of_overlapping_speech():
    reference = [("alice", 0.0, 2.0), ("bob", 1.0, 2.0)]
    result = diarization_error_rate(reference, [("A", 0.0, 2.0)])
    assert result.total == pytest.approx(3.0)
    assert result.missed == pytest.approx(1.0)
    assert result.der == pytest.approx(1 / 3)


def test_it_leaves_a_collar_around_reference_boundaries_unscored():
    hypothesis = [("A", 0.0, 4.2), ("B", 4.2, 10.0)]
    assert diarization_error_rate(REFERENCE, hypothesis).confusion == pytest.approx(0.2)
    assert diarization_error_rate(REFERENCE, hypothesis, collar=0.25).der == 0.0


def test_it_reads_rttm_files(corpus):
    turns = load_rttm(corpus / "sample.rttm")
    assert turns[0] == ("speaker90", 6.69, pytest.approx(7.12))
    assert {speaker for speaker, _, _ in turns} == {"speaker90", "speaker91"}


def test_it_can_leave_overlapped_reference_speech_unscored():
    reference = [("a", 0.0, 2.0), ("b", 1.0, 3.0)]
    hypothesis = [("x", 0.0, 1.5), ("y", 1.5, 3.0)]
    strict = diarization_error_rate(reference, hypothesis)
    assert strict.missed == pytest.approx(1.0)  # one of the two voices in 1-2 s
    solo = diarization_error_rate(reference, hypothesis, skip_overlap=True)
    assert solo.der == 0.0 and solo.total == pytest.approx(2.0)
