"""VoicePortal settings. Every knob is an environment variable, listed in .env.example."""

import os
from contextlib import suppress
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from voiceportal.env import (
    env_bool,
    env_choice,
    env_database,
    env_float,
    env_int,
    env_json_object,
    env_list,
    env_str,
    redis_channel_layer,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("VOICEPORTAL_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# The database, the secret key and everyone's media live here: for the portal's user alone
# (also tightened on an install made before this rule).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
with suppress(PermissionError):  # a mounted folder owned by someone else stays as it is
    DATA_DIR.chmod(0o700)


def _private_file(path: Path) -> str:
    """Create `path` readable by the portal's user alone, before SQLite would create it with
    the umask's (world-readable) mode; its -wal and -shm files take the same mode."""
    if str(path) == ":memory:":
        return str(path)
    path.touch(mode=0o600, exist_ok=True)
    with suppress(PermissionError):
        path.chmod(0o600)
    return str(path)


def _secret_key() -> str:
    """An explicit key wins; otherwise one is generated once and kept in the data folder."""
    explicit = env_str("VOICEPORTAL_SECRET_KEY")
    if explicit:
        return explicit
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # Processes starting together (web and worker on a first run, parallel test processes)
        # must agree on one key: the first whole file linked into place wins, and a reader
        # never sees a half-written one.
        staging = key_file.with_name(f".secret_key.{os.getpid()}")
        _private_file(staging)
        staging.write_text(get_random_secret_key())
        with suppress(FileExistsError):
            os.link(staging, key_file)
        staging.unlink()
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("VOICEPORTAL_DEBUG", False)
ALLOWED_HOSTS = env_list("VOICEPORTAL_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("VOICEPORTAL_CSRF_TRUSTED_ORIGINS", [])

# Behind HTTPS (a reverse proxy that sets X-Forwarded-Proto): HSTS, redirect to https, cookies
# only over https. `manage.py check --deploy` is clean with it (tests/test_deploy_settings.py).
VOICEPORTAL_SECURE = env_bool("VOICEPORTAL_SECURE", False)
if VOICEPORTAL_SECURE:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
    SECURE_HSTS_SECONDS = env_int("VOICEPORTAL_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("VOICEPORTAL_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("VOICEPORTAL_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    # Only where a proxy in front sets the header and strips it from clients.
    if env_bool("VOICEPORTAL_BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "apps.core",
    "apps.engines",
    "apps.jobs",
    "apps.accounts",
    "apps.transcripts",
    "apps.analysis",
    "apps.live",
    "apps.voices",
    "apps.speech",
    "apps.conversation",
    "apps.music",
    "apps.webhooks",
    "apps.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# No inline script anywhere (behaviour lives in static/js); inline style attributes stay (bars
# and speaker colours), which is far less to give away.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],  # recordings played back before upload
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "voiceportal.urls"
WSGI_APPLICATION = "voiceportal.wsgi.application"
ASGI_APPLICATION = "voiceportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL when DATABASE_URL is set (several web servers and workers, on one machine or
# many); otherwise one SQLite file in the data folder.
DATABASES = {
    "default": env_database("DATABASE_URL", pool_size=env_int("VOICEPORTAL_DB_POOL_SIZE", 10))
    or {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _private_file(
            Path(env_str("VOICEPORTAL_SQLITE_PATH", str(DATA_DIR / "db.sqlite3")))
        ),
        # Workers and the web process share the file: wait for locks rather than fail.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": env_str("VOICEPORTAL_TEST_SQLITE_PATH", "") or None},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins, sign-ups, reset mails and API-key failures (apps/core/throttle.py): counts are
# forgotten this long after the last try; the wait between tries grows to at most this.
VOICEPORTAL_THROTTLE_WINDOW_SECONDS = env_int("VOICEPORTAL_THROTTLE_WINDOW_SECONDS", 3600)
VOICEPORTAL_THROTTLE_FIRST_SECONDS = env_float("VOICEPORTAL_THROTTLE_FIRST_SECONDS", 1.0)
VOICEPORTAL_THROTTLE_MAX_SECONDS = env_int("VOICEPORTAL_THROTTLE_MAX_SECONDS", 900)
# Password reset mails: printed to the console unless a mail server is configured.
EMAIL_BACKEND = env_str(
    "VOICEPORTAL_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("VOICEPORTAL_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("VOICEPORTAL_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("VOICEPORTAL_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("VOICEPORTAL_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("VOICEPORTAL_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("VOICEPORTAL_EMAIL_FROM", "voiceportal@localhost")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "transcripts:list"
LOGOUT_REDIRECT_URL = "login"
# The default for new installs; staff can change it later in the admin (Portal settings).
VOICEPORTAL_SIGNUP_OPEN = env_bool("VOICEPORTAL_SIGNUP_OPEN", True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("VOICEPORTAL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("VOICEPORTAL_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the app folders, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(env_str("VOICEPORTAL_MEDIA_ROOT", str(DATA_DIR / "media")))
# Media (uploads, speech, voices, music, recordings) go through this storage only, so web
# servers and workers on other machines can share it: a network volume mounted at MEDIA_ROOT
# everywhere, or an object store (S3 through django-storages: docs/deploy.md).
STORAGES = {
    "default": {
        "BACKEND": env_str("VOICEPORTAL_MEDIA_STORAGE")
        or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": env_json_object("VOICEPORTAL_MEDIA_STORAGE_OPTIONS"),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Media views answer with a redirect to the storage's URL (after checking the owner) instead of
# reading the file through the portal: for an object store whose URLs are signed and expire.
VOICEPORTAL_MEDIA_REDIRECT = env_bool("VOICEPORTAL_MEDIA_REDIRECT", False)

# Uploads: spooled to disk past 2.5 MB by Django; the portal's own handler enforces the cap.
VOICEPORTAL_MAX_UPLOAD_BYTES = env_int("VOICEPORTAL_MAX_UPLOAD_BYTES", 2 * 1024**3)
# The longest recording a transcript is made of, read from the container before decoding.
VOICEPORTAL_MAX_MEDIA_SECONDS = env_float("VOICEPORTAL_MAX_MEDIA_SECONDS", 12 * 3600.0)
# Every other request body is at most this big; uploads need a signed-in user first. Both are
# enforced while the bytes arrive (voiceportal/body_limits.py), before Django reads them.
VOICEPORTAL_MAX_BODY_BYTES = env_int("VOICEPORTAL_MAX_BODY_BYTES", 1024 * 1024)
# A request body that stops arriving for this long is answered with 408.
VOICEPORTAL_BODY_IDLE_SECONDS = env_float("VOICEPORTAL_BODY_IDLE_SECONDS", 30.0)
# A whole body must arrive within this long (an upload within the second), however it trickles.
VOICEPORTAL_BODY_SECONDS = env_float("VOICEPORTAL_BODY_SECONDS", 60.0)
VOICEPORTAL_UPLOAD_BODY_SECONDS = env_float("VOICEPORTAL_UPLOAD_BODY_SECONDS", 3600.0)
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "apps.core.uploads.LimitedSizeUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Background work: Django's Tasks API with a database queue by default, Redis (RQ) when
# REDIS_URL is set. Redis also carries the channel layer then, so live sessions and job
# updates reach every web process. redis://host:6379/0, rediss://… or unix:///path/redis.sock.
REDIS_URL = env_str("REDIS_URL")
JOB_QUEUES = ["default", "speech", "webhooks"]
TASKS = {
    "default": {
        "BACKEND": env_str(
            "VOICEPORTAL_TASKS_BACKEND",
            "django_tasks_rq.RQBackend" if REDIS_URL else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": JOB_QUEUES,
    }
}
if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    # A job runs as long as it needs: its own heartbeat and the reaper tell a dead one.
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1} for name in JOB_QUEUES}
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Queues: "default" for long jobs (transcription, analyses), "speech" for interactive synthesis,
# so a long transcription never delays someone waiting for speech, "webhooks" for deliveries
# (a slow receiver never holds up either). `make run` starts a worker for each.
# A running job whose worker has not reported for this long is taken as dead and re-queued.
VOICEPORTAL_JOB_STALE_SECONDS = env_int("VOICEPORTAL_JOB_STALE_SECONDS", 300)
# A running job reports this often, also in the middle of one long engine call.
VOICEPORTAL_JOB_HEARTBEAT_SECONDS = env_float(
    "VOICEPORTAL_JOB_HEARTBEAT_SECONDS", max(1.0, VOICEPORTAL_JOB_STALE_SECONDS / 10)
)
# Every worker looks for lost jobs this often while it runs (not only when it starts).
VOICEPORTAL_JOB_REAP_SECONDS = env_float(
    "VOICEPORTAL_JOB_REAP_SECONDS", max(1.0, VOICEPORTAL_JOB_STALE_SECONDS / 4)
)
# A job that took its worker down this many times is failed instead of being started again.
VOICEPORTAL_JOB_MAX_ATTEMPTS = env_int("VOICEPORTAL_JOB_MAX_ATTEMPTS", 3)
# With REDIS_URL, pages hear of their jobs' progress over a socket (/ws/jobs/) and poll only
# while it is down; false: they never poll then (the socket alone; a dropped one shows nothing
# new until it is back).
VOICEPORTAL_JOB_POLL_FALLBACK = env_bool("VOICEPORTAL_JOB_POLL_FALLBACK", True)
# Per user (0: no limit; staff set other values per user in the admin, Quotas): jobs running
# at once in each queue (more wait their turn), megabytes of recordings kept, minutes of audio
# uploaded per day (UTC). Uploads past a limit are refused with the reason, before storing.
VOICEPORTAL_QUOTA_CONCURRENT_JOBS = env_int("VOICEPORTAL_QUOTA_CONCURRENT_JOBS", 0)
VOICEPORTAL_QUOTA_STORAGE_MB = env_int("VOICEPORTAL_QUOTA_STORAGE_MB", 0)
VOICEPORTAL_QUOTA_MINUTES_PER_DAY = env_int("VOICEPORTAL_QUOTA_MINUTES_PER_DAY", 0)
# Workers run below the web server's CPU priority (os.nice increment).
VOICEPORTAL_WORKER_NICE = env_int("VOICEPORTAL_WORKER_NICE", 5)
# Sentences a speech worker speaks at once (each TTS engine uses one core): one per core.
VOICEPORTAL_SPEECH_LANES = env_int("VOICEPORTAL_SPEECH_LANES", min(4, os.cpu_count() or 1))

# Webhooks: private, loopback and link-local targets are refused unless this is set (a portal
# and its receivers on one private network).
VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE = env_bool("VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE", False)
VOICEPORTAL_WEBHOOK_TIMEOUT_SECONDS = env_float("VOICEPORTAL_WEBHOOK_TIMEOUT_SECONDS", 10.0)
# An endpoint is disabled (with a notice on its owner's account page) after this many failed
# attempts in a row.
VOICEPORTAL_WEBHOOK_DISABLE_AFTER = env_int("VOICEPORTAL_WEBHOOK_DISABLE_AFTER", 20)

# Engines: one alias dict per capability, like STORAGES. Transcripts store the alias.
VOICEPORTAL_MODEL_CACHE = Path(env_str("VOICEPORTAL_MODEL_CACHE", str(DATA_DIR / "models")))
SPEECH_TO_TEXT_DEFAULT = env_str("VOICEPORTAL_STT_DEFAULT", "local")
SPEECH_TO_TEXT = {
    "local": {
        "BACKEND": "apps.engines.stt.local.LocalWhisperBackend",
        "OPTIONS": {
            "default_model": env_choice("VOICEPORTAL_LOCAL_MODEL", "base", {"base", "tiny.en"}),
            "device": env_str("VOICEPORTAL_DEVICE", "cpu"),
            "compute_type": env_str("VOICEPORTAL_COMPUTE_TYPE", "int8"),
            "cpu_threads": env_int("VOICEPORTAL_CPU_THREADS", 0),
            # Parts of one recording decoded at once on one loaded model, the threads shared
            # out between them (0: two on a CPU with two cores or more, one on CUDA or while
            # another job runs on this machine, TranscriptionRequest.shares_cores). One by
            # default: two still write some recordings otherwise than one (tiny.en: two
            # development recordings worse, held-out better; base: held-out LJ Speech worse), and
            # were not faster through the API (quiet, tiny.en, 3 min: 1.05x one part's wall
            # time; docs/benchmarks.md, issue 9, "Session 29: two parts with base").
            "lanes": env_int("VOICEPORTAL_STT_LANES", 1),
            # 1 (greedy, Whisper's temperature ladder kept) costs 0.65-0.8x the CPU on a few
            # minutes but was less accurate on every recording measured, and wrote a sentence
            # from elsewhere over a passage of 12 minutes (docs/benchmarks.md, fifth pass).
            "beam_size": env_int("VOICEPORTAL_BEAM_SIZE", 5),
            # "greedy_then_beam": each 30 s view decoded greedily first, and with the beam only
            # where that text is doubtful (apps/engines/stt/greedy_first.py). Opt-in: 0.79-0.90x
            # the CPU on 3-minute development recordings, but more on held-out ones, and less
            # accurate on the held-out sonnets with tiny.en and base (docs/benchmarks.md, issue 9,
            # "Session 29: greedy first").
            "decode": env_str("VOICEPORTAL_STT_DECODE", "beam"),
            # Clips of up to 30 s decoded at once (0: from the device and free memory; 1: one
            # at a time, each conditioned on the text before it: the default until batched
            # decoding matches the plain call's accuracy everywhere, docs/benchmarks.md).
            "batch_size": env_int("VOICEPORTAL_STT_BATCH_SIZE", 1),
            # Long files are decoded in windows of this many seconds, so memory stays flat.
            "window_seconds": env_float("VOICEPORTAL_WINDOW_SECONDS", 600.0),
            # Silences of this many ms or more are skipped by the decoder; shorter ones it
            # decodes as a plain call does (2000: faster-whisper's cut, which lost read-speech
            # accuracy but kept more far-field words; docs/benchmarks.md, issue 9, session 28).
            "decoder_silence_ms": env_int("VOICEPORTAL_DECODER_SILENCE_MS", 5000),
            # The silence before the first words is decoded when shorter than this many ms, cut
            # off when longer (docs/benchmarks.md, issue 9, session 29).
            "decoder_lead_in_ms": env_int("VOICEPORTAL_DECODER_LEAD_IN_MS", 2000),
            # Speech left without text is marked only where Silero hears 1 s of speech in it
            # (MARKS_NEED_SPEECH), or that or 0.5 s heard by the second detector,
            # segmentation-3.0 (MARKS_NEED_HEARD_SPEECH): no false "no text" marks on clean
            # readings, but 0.9 points less far-field speech marked on held-out meetings
            # (docs/benchmarks.md, issue 9, sessions 28 and 29). Off by default: without them
            # quiet room and the quiet after the last word still get no mark (session 30).
            "marks_need_speech": env_bool("VOICEPORTAL_STT_MARKS_NEED_SPEECH", False),
            "marks_need_heard_speech": env_bool("VOICEPORTAL_STT_MARKS_NEED_HEARD_SPEECH", False),
            # A stretch without text whose level hardly rises and falls (steady noise, hum) and
            # where Silero hears little speech is not marked: fewer false marks under recorded
            # and synthesised noise, none lost on the AMI excerpts, but one place of speech
            # drowned in dishes' noise loses its mark with faint_over_floor on (without it a
            # noise-only file got a longer "faint" mark instead; docs/benchmarks.md, issue 9,
            # sessions 30 "tails" and 31). Off by default.
            "marks_skip_steady_sound": env_bool("VOICEPORTAL_STT_MARKS_SKIP_STEADY_SOUND", False),
            # Faint speech heard no more than 18 dB over the window's noise floor is taken for
            # the noise and not marked: far fewer false "faint" marks over room and recorded
            # noise, no far-field meeting speech mark lost (docs/benchmarks.md, issue 9,
            # session 31). On by default.
            "faint_over_floor": env_bool("VOICEPORTAL_STT_FAINT_OVER_FLOOR", True),
            # ... the floor measured over 30 s either side of the mark, not the whole window's:
            # no false faint marks where the noise grows louder within a recording, nothing else
            # moved (docs/benchmarks.md, issue 9, session 32). On by default.
            "faint_local_floor": env_bool("VOICEPORTAL_STT_FAINT_LOCAL_FLOOR", True),
            # Faint speech rising 55 dB or more over that floor (a whisper or falsetto up
            # close, Silero deaf to it) has its stretch between segments decoded whole, the text
            # kept where the checks for text found in a gap pass, else marked: the sixth unseen
            # set's voice qualities 79.1 -> 27.9 % WER, no AMI stretch rises so far (docs/
            # benchmarks.md, issue 9, session 33 "whispers transcribed").
            "faint_decoded": env_bool("VOICEPORTAL_STT_FAINT_DECODED", False),
            # Two people talking at once marked "overlap" (some words may be missing) from
            # segmentation-3.0's two-voice probability over the whole recording (stt/overlap.py):
            # overlapped speech lost unseen on AMI held out 14.8 -> 5.8 s, none marked on
            # single-speaker recordings, ~1 CPU s in 4 minutes (docs/benchmarks.md, issue 9,
            # session 33). On by default.
            "overlap_marks": env_bool("VOICEPORTAL_STT_OVERLAP_MARKS", True),
            # A stretch of 3 s or more about to be marked "no text" or "faint" is decoded again
            # with notes of sound allowed; where Whisper writes only "(laughing)", "[Applause]"
            # and the like ("(upbeat music)" over a tonal sound: music) the mark names that
            # sound instead (stt/sounds.py; docs/benchmarks.md, issue 9, sessions 31 "sounds"
            # and 32: no AMI mark moves, tuning or held-out).
            "name_sounds": env_bool("VOICEPORTAL_STT_NAME_SOUNDS", True),
            # ... applause and music from 1 s (the held-out ones were marked 1.1-2.9 s): a
            # decode more for every mark of 1-3 s (docs/benchmarks.md, issue 9, session 32).
            "name_short_sounds": env_bool("VOICEPORTAL_STT_NAME_SHORT_SOUNDS", False),
            # ... laughter from 1 s, for the speakers analysis to give to the one laughing
            # (VOICEPORTAL_LAUGHTER_TO_SPEAKERS; docs/benchmarks.md, issue 10, session 33).
            "name_short_laughter": env_bool("VOICEPORTAL_STT_NAME_SHORT_LAUGHTER", False),
            # Asked to detect, a short unsure segment (0.6-3 s) is detected alone and decoded
            # again in the language surely heard there: a phrase in another language inside a
            # part. No text changed on the AMI or read English sets, but an encoder pass per
            # such segment: 2.5 % more CPU on the AMI tuning excerpts, 9 % on the held-out ones
            # (docs/benchmarks.md, issue 9, session 31). Off by default.
            "short_switches": env_bool("VOICEPORTAL_STT_SHORT_SWITCHES", False),
            "model_cache": str(VOICEPORTAL_MODEL_CACHE),
        },
    },
}
# After a transcription, flag segments with text where a voice detector hears nobody
# (apps/transcripts/flags.py): from what the local engine's detector heard, else (cloud engines,
# a resumed job) by a second decode of the audio.
VOICEPORTAL_FLAG_SILENCE = env_bool("VOICEPORTAL_FLAG_SILENCE", True)
# Live captions: streaming engines, one alias each (apps/engines/stt/streaming).
STREAMING_SPEECH_TO_TEXT_DEFAULT = env_str("VOICEPORTAL_LIVE_ENGINE", "local")
STREAMING_SPEECH_TO_TEXT = {
    "local": {
        "BACKEND": "apps.engines.stt.streaming.local.LocalStreamingBackend",
        "OPTIONS": {
            "default_model": env_choice("VOICEPORTAL_LOCAL_MODEL", "base", {"base", "tiny.en"}),
            "partial_model": "tiny.en",
            "model_cache": str(VOICEPORTAL_MODEL_CACHE),
            "device": env_str("VOICEPORTAL_DEVICE", "cpu"),
            "compute_type": env_str("VOICEPORTAL_COMPUTE_TYPE", "int8"),
            # Model workers shared by every live session of a web process; 0: one per core.
            "workers": env_int("VOICEPORTAL_LIVE_WORKERS", 0),
            "final_beam_size": env_int("VOICEPORTAL_LIVE_BEAM_SIZE", 1),
            "min_silence_ms": env_int("VOICEPORTAL_LIVE_SILENCE_MS", 400),
            # Audio waiting for captions past this is skipped for captions (never recorded less).
            "max_backlog_seconds": env_float("VOICEPORTAL_LIVE_MAX_BACKLOG_SECONDS", 30.0),
            # The encoder runs over the utterance (at least 10 s), not 30 s: 5-10× less work.
            "short_context": env_bool("VOICEPORTAL_LIVE_SHORT_CONTEXT", True),
        },
    },
}
# Where local live inference runs: "web" (threads of each web process: the embedded default) or
# "worker" (inference worker processes, `manage.py run_live_worker`, reached through Redis: the
# default with REDIS_URL, so web processes hold no models). Cloud engines stay in the web process.
VOICEPORTAL_LIVE_INFERENCE = env_choice(
    "VOICEPORTAL_LIVE_INFERENCE", "worker" if REDIS_URL else "web", {"web", "worker"}
)
if VOICEPORTAL_LIVE_INFERENCE == "worker":
    if not REDIS_URL:
        raise ImproperlyConfigured("VOICEPORTAL_LIVE_INFERENCE=worker needs REDIS_URL.")
    STREAMING_SPEECH_TO_TEXT["local"] = {
        "BACKEND": "apps.engines.stt.streaming.remote.RemoteStreamingBackend",
        "OPTIONS": {"engine": STREAMING_SPEECH_TO_TEXT["local"]},
    }
# Web processes and live inference workers each say they are alive five times in this many
# seconds; past it without a word the other end is taken for gone (its sessions end with an
# error, the recording kept).
VOICEPORTAL_LIVE_WORKER_TIMEOUT = env_float("VOICEPORTAL_LIVE_WORKER_TIMEOUT", 10.0)
# Per user: live sessions at once, and the longest session.
VOICEPORTAL_LIVE_MAX_SESSIONS = env_int("VOICEPORTAL_LIVE_MAX_SESSIONS", 2)
VOICEPORTAL_LIVE_MAX_SECONDS = env_int("VOICEPORTAL_LIVE_MAX_SECONDS", 2 * 3600)
# A session that sends no audio for this long is ended (and saved).
VOICEPORTAL_LIVE_IDLE_SECONDS = env_int("VOICEPORTAL_LIVE_IDLE_SECONDS", 60)

if env_str("OPENAI_API_KEY"):
    SPEECH_TO_TEXT["openai"] = {
        "BACKEND": "apps.engines.stt.openai.OpenAISpeechToText",
        "OPTIONS": {
            "api_key": env_str("OPENAI_API_KEY"),
            "base_url": env_str("OPENAI_BASE_URL") or None,
            "timeout": env_float("OPENAI_TIMEOUT", 600.0),
            "max_retries": env_int("OPENAI_MAX_RETRIES", 2),
        },
    }

if env_str("OPENAI_API_KEY"):
    STREAMING_SPEECH_TO_TEXT["openai"] = {
        "BACKEND": "apps.engines.stt.streaming.openai.OpenAIRealtimeStreaming",
        "OPTIONS": {
            "api_key": env_str("OPENAI_API_KEY"),
            "base_url": env_str("OPENAI_BASE_URL") or None,
            "websocket_base_url": env_str("OPENAI_WEBSOCKET_BASE_URL") or None,
        },
    }

if env_str("ASSEMBLYAI_API_KEY"):
    STREAMING_SPEECH_TO_TEXT["assemblyai"] = {
        "BACKEND": "apps.engines.stt.streaming.assemblyai.AssemblyAIStreaming",
        "OPTIONS": {
            "api_key": env_str("ASSEMBLYAI_API_KEY"),
            "api_host": env_str("ASSEMBLYAI_STREAMING_HOST", "streaming.assemblyai.com"),
        },
    }

if env_str("ASSEMBLYAI_API_KEY"):
    SPEECH_TO_TEXT["assemblyai"] = {
        "BACKEND": "apps.engines.stt.assemblyai.AssemblyAISpeechToText",
        "OPTIONS": {
            "api_key": env_str("ASSEMBLYAI_API_KEY"),
            "base_url": env_str("ASSEMBLYAI_BASE_URL") or None,
            "timeout": env_float("ASSEMBLYAI_TIMEOUT", 600.0),
            "polling_interval": env_float("ASSEMBLYAI_POLLING_INTERVAL", 3.0),
            "poll_timeout": env_float("ASSEMBLYAI_POLL_TIMEOUT", 3600.0),
            # Tried in order: the first that knows the audio's language transcribes it.
            "speech_models": env_list(
                "ASSEMBLYAI_SPEECH_MODELS", ["universal-3-pro", "universal-2"]
            ),
            "speaker_labels": env_bool("ASSEMBLYAI_SPEAKER_LABELS", True),
            # 0: AssemblyAI counts the speakers itself.
            "speakers_expected": env_int("ASSEMBLYAI_SPEAKERS_EXPECTED", 0) or None,
            "auto_chapters": env_bool("ASSEMBLYAI_AUTO_CHAPTERS", True),
            "entity_detection": env_bool("ASSEMBLYAI_ENTITY_DETECTION", True),
            "sentiment_analysis": env_bool("ASSEMBLYAI_SENTIMENT_ANALYSIS", True),
            # AssemblyAI runs either chapters or a summary: turn chapters off to get one.
            "summarization": env_bool("ASSEMBLYAI_SUMMARIZATION", False),
            "auto_highlights": env_bool("ASSEMBLYAI_AUTO_HIGHLIGHTS", False),
        },
    }

# OpenAI's transcription model names, as the OpenAI-compatible API takes them (docs/api.md):
# MODEL is the default engine's model each means ("": its default model; an engine that has a
# model of that very name, as the OpenAI engine does, gets the name unchanged), ENDPOINTS where
# OpenAI accepts it (transcriptions, translations, realtime), USAGE how OpenAI reports its usage
# (tokens or duration), SPEAKERS whether it also tells who speaks.
_GPT_TRANSCRIBE = {"MODEL": "", "ENDPOINTS": ["transcriptions", "realtime"], "USAGE": "tokens"}
VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS = {
    "whisper-1": {
        "MODEL": "",
        "ENDPOINTS": ["transcriptions", "translations", "realtime"],
        "USAGE": "duration",
    },
    "gpt-transcribe": _GPT_TRANSCRIBE,
    "gpt-4o-transcribe": _GPT_TRANSCRIBE,
    "gpt-4o-mini-transcribe": _GPT_TRANSCRIBE,
    "gpt-4o-mini-transcribe-2025-03-20": _GPT_TRANSCRIBE,
    "gpt-4o-mini-transcribe-2025-12-15": _GPT_TRANSCRIBE,
    "gpt-4o-transcribe-diarize": {
        "MODEL": "",
        "ENDPOINTS": ["transcriptions"],
        "USAGE": "duration",
        "SPEAKERS": True,
    },
}

# Text-to-speech: one alias per engine, like SPEECH_TO_TEXT. Generations store the alias.
TEXT_TO_SPEECH_DEFAULT = env_str("VOICEPORTAL_TTS_DEFAULT", "piper")
_TTS_THREADS = env_int("VOICEPORTAL_TTS_CPU_THREADS", 1)  # ONNX threads per worker
TEXT_TO_SPEECH = {
    "piper": {
        "BACKEND": "apps.engines.tts.piper.PiperBackend",
        "OPTIONS": {
            "cpu_threads": _TTS_THREADS,
            # A long first sentence in two at its first comma: with many listeners at once,
            # each one's first audio costs a clause, not a sentence (docs/benchmarks.md).
            "first_chunk_chars": env_int("VOICEPORTAL_PIPER_FIRST_CHUNK", 40),
            "first_chunk_clause_only": True,
            # And that first piece's first 0.35 s of audio decoded on their own (0: whole), so
            # eight listeners' first audio fits in the first second on two cores.
            "first_audio_seconds": env_float("VOICEPORTAL_PIPER_FIRST_AUDIO_SECONDS", 0.35),
            "model_cache": str(VOICEPORTAL_MODEL_CACHE),
        },
    },
    "kokoro": {
        "BACKEND": "apps.engines.tts.kokoro.KokoroBackend",
        "OPTIONS": {
            "cpu_threads": _TTS_THREADS,
            "default_voice": "jf_alpha",
            "model_cache": str(VOICEPORTAL_MODEL_CACHE),
            # Each Kokoro call costs ~0.85 s of audio it trims (the pads' silence) besides the
            # words, ~1.1 s CPU on one core for 16 characters, 1.35 s for 24: the first few
            # words go alone (docs/benchmarks.md).
            "first_chunk_chars": env_int("VOICEPORTAL_KOKORO_FIRST_CHUNK", 16),
            # Its network runs in two parts, so only the words' frames are decoded, and that
            # first piece's words up to the space nearest 0.6 s in come first, decoded alone
            # (0: the piece whole). Unlike Piper's, the join is a cross-fade, not the same
            # audio as one decoding (docs/benchmarks.md).
            "first_audio_seconds": env_float("VOICEPORTAL_KOKORO_FIRST_AUDIO_SECONDS", 0.6),
        },
    },
    "espeak": {
        "BACKEND": "apps.engines.tts.espeak.EspeakBackend",
        "OPTIONS": {
            "executable": env_str("VOICEPORTAL_ESPEAK", "espeak-ng"),
            "variants_for": ("en-us",),
        },
    },
    "flite": {
        "BACKEND": "apps.engines.tts.flite.FliteBackend",
        "OPTIONS": {"executable": env_str("VOICEPORTAL_FLITE", "flite")},
    },
}

if env_str("OPENAI_API_KEY"):
    TEXT_TO_SPEECH["openai"] = {
        "BACKEND": "apps.engines.tts.openai.OpenAITextToSpeech",
        "OPTIONS": {
            "api_key": env_str("OPENAI_API_KEY"),
            "base_url": env_str("OPENAI_BASE_URL") or None,
            "timeout": env_float("OPENAI_TTS_TIMEOUT", 60.0),
            "max_retries": env_int("OPENAI_MAX_RETRIES", 2),
            "model": env_str("OPENAI_TTS_MODEL", "gpt-4o-mini-tts"),
            "default_voice": env_str("OPENAI_TTS_VOICE", "marin"),
        },
    }

_ELEVENLABS = {
    "api_key": env_str("ELEVENLABS_API_KEY"),
    "base_url": env_str("ELEVENLABS_BASE_URL") or None,  # the SDK reads no such variable itself
    "max_retries": env_int("ELEVENLABS_MAX_RETRIES", 2),
}
if _ELEVENLABS["api_key"]:
    STREAMING_SPEECH_TO_TEXT["elevenlabs"] = {
        "BACKEND": "apps.engines.stt.streaming.elevenlabs.ElevenLabsRealtimeStreaming",
        "OPTIONS": {"api_key": _ELEVENLABS["api_key"], "base_url": _ELEVENLABS["base_url"]},
    }
if _ELEVENLABS["api_key"]:
    TEXT_TO_SPEECH["elevenlabs"] = {
        "BACKEND": "apps.engines.tts.elevenlabs.ElevenLabsTextToSpeech",
        "OPTIONS": {
            **_ELEVENLABS,
            "timeout": env_float("ELEVENLABS_TIMEOUT", 60.0),
            "model": env_str("ELEVENLABS_TTS_MODEL", "eleven_multilingual_v2"),
            "default_voice": env_str("ELEVENLABS_TTS_VOICE"),  # empty: the account's first voice
            "voices_ttl": env_float("ELEVENLABS_VOICES_TTL", 300.0),
            # Stability, similarity and style (0-1) for every request; unset: each voice's own.
            "voice_settings": {
                key: value
                for key, value in (
                    ("stability", env_float("ELEVENLABS_STABILITY", -1.0)),
                    ("similarity_boost", env_float("ELEVENLABS_SIMILARITY", -1.0)),
                    ("style", env_float("ELEVENLABS_STYLE", -1.0)),
                )
                if value >= 0
            },
        },
    }

# Custom voices are matched against these stock voices: engine aliases (all their voices) or
# single "engine:voice" ids.
VOICEPORTAL_MATCH_CANDIDATES = env_list(
    "VOICEPORTAL_MATCH_CANDIDATES", ["piper", "kokoro", "flite:slt", "flite:rms", "flite:awb"]
)

# How many of the nearest are each reshaped, the closest once reshaped kept (each adds ~10-30 s
# to making a voice on two cores; bench/bench_voice_likeness.py measures the gain).
VOICEPORTAL_MATCH_FITTED = env_int("VOICEPORTAL_MATCH_FITTED", 4)

# Languages none of those speak are matched among this engine's voices of the language.
VOICEPORTAL_MATCH_FALLBACK = env_str("VOICEPORTAL_MATCH_FALLBACK", "espeak")

# Voice cloning at a provider (instant voice cloning); empty when no provider is configured.
VOICE_CLONING_DEFAULT = env_str("VOICEPORTAL_CLONING_DEFAULT")  # empty: the first alias
VOICE_CLONING = {}
if _ELEVENLABS["api_key"]:
    VOICE_CLONING["elevenlabs"] = {
        "BACKEND": "apps.engines.cloning.elevenlabs.ElevenLabsCloning",
        "OPTIONS": {
            **_ELEVENLABS,
            "timeout": env_float("ELEVENLABS_UPLOAD_TIMEOUT", 300.0),
            "tts_engine": "elevenlabs",
        },
    }

# Text to music and sound effects (apps/engines/music): the offline arranger and synthesiser,
# and cloud engines where keyed. Tracks store the alias.
MUSIC_DEFAULT = env_str("VOICEPORTAL_MUSIC_DEFAULT", "local")
MUSIC = {
    "local": {
        "BACKEND": "apps.engines.music.local.LocalArranger",
        # Empty: the General MIDI SoundFont bundled with pretty-midi (TimGM6mb).
        "OPTIONS": {"soundfont": env_str("VOICEPORTAL_SOUNDFONT")},
    },
}
SOUND_EFFECTS_DEFAULT = env_str("VOICEPORTAL_SOUND_EFFECTS_DEFAULT", "local")
SOUND_EFFECTS = {
    "local": {"BACKEND": "apps.engines.music.procedural.ProceduralSoundEffects"},
}
if _ELEVENLABS["api_key"]:
    MUSIC["elevenlabs"] = {
        "BACKEND": "apps.engines.music.elevenlabs.ElevenLabsMusic",
        "OPTIONS": {
            **_ELEVENLABS,
            "timeout": env_float("ELEVENLABS_MUSIC_TIMEOUT", 600.0),
            "model": env_str("ELEVENLABS_MUSIC_MODEL", "music_v1"),
        },
    }
    SOUND_EFFECTS["elevenlabs"] = {
        "BACKEND": "apps.engines.music.elevenlabs.ElevenLabsSoundEffects",
        "OPTIONS": {**_ELEVENLABS, "timeout": env_float("ELEVENLABS_SFX_TIMEOUT", 120.0)},
    }
if env_str("SUNO_BASE_URL"):
    MUSIC["suno"] = {
        "BACKEND": "apps.engines.music.suno.SunoMusic",
        "OPTIONS": {
            "base_url": env_str("SUNO_BASE_URL"),
            "api_key": env_str("SUNO_API_KEY"),
            "model": env_str("SUNO_MODEL", "chirp-v3-5"),
            "poll_interval": env_float("SUNO_POLL_INTERVAL", 5.0),
            "poll_timeout": env_float("SUNO_POLL_TIMEOUT", 600.0),
        },
    }

# Transcript analyses: speakers, chapters, entities, sentiment, keywords, summary.
TRANSCRIPT_ANALYSIS_DEFAULT = env_str("VOICEPORTAL_ANALYSIS_DEFAULT", "local")
TRANSCRIPT_ANALYSIS = {
    "local": {
        "BACKEND": "apps.engines.analysis.local.LocalAnalysisBackend",
        "OPTIONS": {
            "max_speakers": env_int("VOICEPORTAL_MAX_SPEAKERS", 8),
            # Unset: the speaker encoder's calibrated value (apps/engines/analysis/diarization.py).
            "speaker_threshold": env_float("VOICEPORTAL_SPEAKER_THRESHOLD", None),
            # The clustered voice embeddings: "campplus" (CAM++) or "resemblyzer" (benchmarks.md).
            "speaker_encoder": env_str("VOICEPORTAL_SPEAKER_ENCODER", "campplus"),
            # "windows", "local_speakers" (pyannote 3.1's way) or "hybrid" (the windows' turns,
            # the local speakers' second voices); docs/benchmarks.md.
            "speaker_pipeline": env_str("VOICEPORTAL_SPEAKER_PIPELINE", "windows"),
            "profile_threshold": env_float("VOICEPORTAL_PROFILE_THRESHOLD", 0.84),
            # A stretch the transcript names laughter given to the speaker of the turn beside
            # it (analysis/laughter.py; docs/benchmarks.md, issue 10, session 33).
            "laughter_to_speakers": env_bool("VOICEPORTAL_LAUGHTER_TO_SPEAKERS", False),
            "chapter_min_seconds": env_float("VOICEPORTAL_CHAPTER_MIN_SECONDS", 20.0),
            # Abstractive summaries through any OpenAI-compatible chat server; no model, no LLM.
            "llm": {
                # A LANGUAGE_MODELS alias instead ("local": the packaged SmolLM2, weak here).
                "engine": env_str("VOICEPORTAL_SUMMARY_LLM"),
                "model": env_str("VOICEPORTAL_LLM_MODEL"),
                "base_url": env_str("VOICEPORTAL_LLM_BASE_URL") or None,
                "api_key": env_str("VOICEPORTAL_LLM_API_KEY") or env_str("OPENAI_API_KEY"),
                "timeout": env_float("VOICEPORTAL_LLM_TIMEOUT", 120.0),
                "max_retries": env_int("VOICEPORTAL_LLM_MAX_RETRIES", 2),
            },
        },
    },
}

# Language models (chat completions): the local one always; an OpenAI-compatible endpoint when
# VOICEPORTAL_LLM_MODEL names a model there (the same one abstractive summaries use).
LANGUAGE_MODEL_DEFAULT = env_str("VOICEPORTAL_LLM_DEFAULT", "local")
LANGUAGE_MODELS = {
    "local": {
        "BACKEND": "apps.engines.llm.local.LocalLanguageModel",
        # llama.cpp threads: one; two on a busy 2-core machine ran ten times slower.
        "OPTIONS": {"threads": env_int("VOICEPORTAL_LLM_THREADS", 1)},
    },
}
if env_str("VOICEPORTAL_LLM_MODEL"):
    LANGUAGE_MODELS["openai_compatible"] = {
        "BACKEND": "apps.engines.llm.openai_compatible.OpenAICompatibleLanguageModel",
        "OPTIONS": {
            "model": env_str("VOICEPORTAL_LLM_MODEL"),
            "base_url": env_str("VOICEPORTAL_LLM_BASE_URL") or None,
            "api_key": env_str("VOICEPORTAL_LLM_API_KEY") or env_str("OPENAI_API_KEY"),
            "timeout": env_float("VOICEPORTAL_LLM_TIMEOUT", 120.0),
            "max_retries": env_int("VOICEPORTAL_LLM_MAX_RETRIES", 2),
        },
    }

# Voice conversations (apps/engines/conversation): the offline cascade by default; the OpenAI
# Realtime relay when a key is set and VOICEPORTAL_CONVERSATION_ENGINE=openai.
CONVERSATION_ENGINE_DEFAULT = env_str("VOICEPORTAL_CONVERSATION_ENGINE", "cascade")
CONVERSATION_ENGINES = {
    "cascade": {
        "BACKEND": "apps.engines.conversation.cascade.CascadeBackend",
        "OPTIONS": {
            # The live engine hears the user; its fast English model writes each turn.
            "stt": "local",
            "stt_model": env_str("VOICEPORTAL_CONVERSATION_STT_MODEL", "tiny.en"),
            "llm": "",  # LANGUAGE_MODEL_DEFAULT
            "tts": "",  # used only without a voice from the library
            # Spoken replies stay short: the model is cut after this many sentences.
            "max_sentences": env_int("VOICEPORTAL_CONVERSATION_MAX_SENTENCES", 3),
            "max_tokens": env_int("VOICEPORTAL_CONVERSATION_MAX_TOKENS", 120),
            "temperature": env_float("VOICEPORTAL_CONVERSATION_TEMPERATURE", 0.2),
        },
    },
}
if VOICEPORTAL_LIVE_INFERENCE == "worker":  # the whole conversation, as live transcription
    CONVERSATION_ENGINES["cascade"] = {
        "BACKEND": "apps.engines.conversation.remote.RemoteConversationBackend",
        "OPTIONS": {"engine": CONVERSATION_ENGINES["cascade"]},
    }
# Per user, in each web process: conversations open at once.
VOICEPORTAL_CONVERSATION_MAX_SESSIONS = env_int("VOICEPORTAL_CONVERSATION_MAX_SESSIONS", 2)
# A conversation whose client sends nothing (no audio, no text) for this long is ended.
VOICEPORTAL_CONVERSATION_IDLE_SECONDS = env_float("VOICEPORTAL_CONVERSATION_IDLE_SECONDS", 300.0)
if env_str("OPENAI_API_KEY"):
    CONVERSATION_ENGINES["openai"] = {
        "BACKEND": "apps.engines.conversation.openai.OpenAIRealtimeConversation",
        "OPTIONS": {
            "api_key": env_str("OPENAI_API_KEY"),
            "base_url": env_str("OPENAI_BASE_URL") or None,
            "websocket_base_url": env_str("OPENAI_WEBSOCKET_BASE_URL") or None,
            "model": env_str("OPENAI_REALTIME_MODEL", "gpt-realtime"),
        },
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("VOICEPORTAL_LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per poll of a cloud job.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
