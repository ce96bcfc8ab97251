#!/usr/bin/env bash
# Starts the web server (Daphne) and task workers; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
WORKERS=${WORKERS:-1}
PY=${PY:-.venv/bin/python}

$PY manage.py migrate --noinput -v0

pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

for _ in $(seq "$WORKERS"); do
  $PY manage.py run_worker --queue-name default &
  pids+=($!)
done
# Speech is interactive: its own worker, polling often, so a long transcription never delays it.
$PY manage.py run_worker --queue-name speech --interval 0.05 &
pids+=($!)
$PY -m daphne -b "$HOST" -p "$PORT" voiceportal.asgi:application &
pids+=($!)

echo "VoicePortal is running at http://$HOST:$PORT/  (Ctrl-C to stop)"
wait -n "${pids[@]}"
