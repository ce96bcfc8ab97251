"""What the job framework tells the apps above it, which it does not import."""

from django.dispatch import Signal

# A job reached its final state (done, failed — also when the reaper failed it — or cancelled),
# after its row was written. Arguments: job (the instance, with its final fields), status.
# Sent with send_robust: a listener's error is logged, never the job's.
job_finished = Signal()
