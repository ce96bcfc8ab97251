#!/usr/bin/env bash
# Starts the web server (Daphne) and task workers under scripts/supervise.py, which starts a
# process again when it dies (the others keep running); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
WORKERS=${WORKERS:-1}
PY=${PY:-.venv/bin/python}

$PY manage.py migrate --noinput -v0

programs=()
for n in $(seq "$WORKERS"); do
  programs+=(:: "worker-default-$n" -- "$PY" manage.py run_worker --queue-name default)
done
# Speech is interactive: its own worker, polling often, so a long transcription never delays it.
programs+=(:: worker-speech -- "$PY" manage.py run_worker --queue-name speech --interval 0.05)
# Webhook deliveries: their own worker, so a slow receiver holds up no job (retries wait in the queue).
programs+=(:: worker-webhooks -- "$PY" manage.py run_worker --queue-name webhooks --interval 1)
# With Redis, live transcription and conversations run in their own worker (the web server only
# relays the audio).
if [ -n "${REDIS_URL:-}" ] && [ "${VOICEPORTAL_LIVE_INFERENCE:-worker}" = worker ]; then
  programs+=(:: live-worker -- "$PY" manage.py run_live_worker)
fi
programs+=(:: web -- "$PY" -m daphne -b "$HOST" -p "$PORT" voiceportal.asgi:application)

echo "VoicePortal is running at http://$HOST:$PORT/  (Ctrl-C to stop)"
exec "$PY" scripts/supervise.py "${programs[@]:1}"
