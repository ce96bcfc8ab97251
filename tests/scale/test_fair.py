"""Fair scheduling across real workers: one user's batch does not keep another's single
upload waiting behind it."""

import pytest

from apps.transcripts.models import Transcript
from tests.scale.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.scale]


def test_a_second_users_upload_runs_before_the_first_users_batch(
    workers, make_user, make_transcript
):
    alice, bob = make_user("alice"), make_user("bob")
    assert len(workers.alive()) == 2
    batch = [make_transcript(alice) for _ in range(5)]
    single = make_transcript(bob)  # queued after all of alice's
    jobs = Transcript.objects.filter(pk__in=[t.pk for t in [*batch, single]])
    wait_until(
        lambda: jobs.filter(status="done").count() == 6, workers=workers, what="all six jobs"
    )
    single.refresh_from_db()
    before = jobs.filter(started_at__lt=single.started_at).exclude(pk=single.pk)
    # At most the two workers were busy with alice's first two; the next free one took bob's
    # (in the order of the queue it would have waited for all five).
    assert before.count() <= 2
    assert all(t.attempts == 1 for t in jobs)
