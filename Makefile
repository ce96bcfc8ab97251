.PHONY: setup run web worker test lint format bench bench-scale

PORT ?= 8000

setup:
	@scripts/setup.sh

run: setup
	@PORT=$(PORT) scripts/run.sh

# For deployments with several processes: one web server, any number of workers.
web: setup
	@.venv/bin/python manage.py migrate --noinput -v0
	@.venv/bin/daphne -b $${HOST:-127.0.0.1} -p $(PORT) voiceportal.asgi:application

worker: setup
	@.venv/bin/python manage.py run_worker --queue-name $${QUEUES:-speech,default,webhooks}

# Two test processes by default; a module's tests stay in one process, so its fixtures (a
# matched voice, a started server) are made once. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2

# The scale-out tests start PostgreSQL and Redis and point this process's database at them for
# the session: they run in a session of their own, after the rest.
test: setup
	@.venv/bin/python -m pytest -n $(TEST_WORKERS) --dist loadscope --ignore=tests/scale
	@.venv/bin/python -m pytest tests/scale

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

format: setup
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench: setup
	@.venv/bin/python bench/bench_transcribe.py

# Jobs per hour with 1, 2 and 4 workers on PostgreSQL + Redis, and a second user's wait.
bench-scale: setup
	@.venv/bin/python bench/bench_scale.py
