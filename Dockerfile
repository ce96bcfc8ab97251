# VoicePortal, fully offline by default. Build: docker build -t voiceportal .
# Run:   docker run -p 8000:8000 -v voiceportal-data:/data voiceportal
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VOICEPORTAL_DATA_DIR=/data \
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
RUN python manage.py collectstatic --noinput -v0

VOLUME /data
EXPOSE 8000
# One web server and one worker; scale workers with more containers running `manage.py run_worker`.
CMD ["bash", "scripts/run.sh"]
