# VoicePortal, fully offline by default: one image for every role (web, workers).
# Build: docker build -t voiceportal .
# One container, everything in it (SQLite):  docker run -p 8000:8000 -v voiceportal-data:/data voiceportal
# Several (PostgreSQL, Redis, workers):       docker compose up  (docker-compose.yml, docs/deploy.md)
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=voiceportal.settings \
    VOICEPORTAL_DATA_DIR=/data \
    VOICEPORTAL_MODEL_CACHE=/opt/voiceportal/models \
    VOICEPORTAL_STATIC_ROOT=/opt/voiceportal/static \
    VOICEPORTAL_ALLOWED_HOSTS=* \
    HOST=0.0.0.0 \
    PORT=8000 \
    PY=python

RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md requirements-nodeps.txt ./
COPY voiceportal voiceportal
COPY apps apps
RUN pip install . && pip install --no-deps -r requirements-nodeps.txt
COPY . .
# Models and static files go into the image now, not into the data volume at the first job.
# A throw-away key and data folder: nothing secret is baked into a layer.
RUN VOICEPORTAL_SECRET_KEY=build-only VOICEPORTAL_DATA_DIR=/tmp/build python scripts/prepare_models.py \
    && VOICEPORTAL_SECRET_KEY=build-only VOICEPORTAL_DATA_DIR=/tmp/build \
        python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/build \
    && useradd --system --home-dir /data --uid 10001 portal \
    && mkdir -p /data && chown portal /data

USER portal
VOLUME /data
EXPOSE 8000
# Default: the web server and a worker for each queue in one container (and, with REDIS_URL,
# the live inference worker). docker-compose.yml runs each role in its own container instead
# (web, worker, speech-worker, live-worker).
CMD ["bash", "scripts/run.sh"]
