#!/usr/bin/env bash
# Install what `make demo` and `make test` need, idempotently:
#   apt packages (mosquitto, libzbar0, ...) when missing, then .venv with the project.
# Usage: deploy/bootstrap.sh [extras]   (default extras: dev = edge + hub + test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
# SHEKARA_APT_PACKAGES overrides the list (the tests use it to name a missing package).
read -r -a APT_PACKAGES <<< "${SHEKARA_APT_PACKAGES:-mosquitto libzbar0 fonts-dejavu-core python3-venv}"
# The page tests drive Debian's chromium through Playwright (no browser download).
# The deploy tests check the shell scripts (shellcheck) and run the services under their
# units' seccomp filters (python3-seccomp); without them those tests skip, naming the package.
if [ "$extras" = dev ] && [ -z "${SHEKARA_APT_PACKAGES:-}" ]; then
    APT_PACKAGES+=(chromium shellcheck python3-seccomp)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv is only needed when the interpreter cannot make a venv by itself
# (Debian splits it out; a pyenv or python.org build has it built in).
if [ ${#missing[@]} -gt 0 ] && python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing=("${missing[@]/python3-venv}")
    read -r -a missing <<< "${missing[*]}"
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"
    else
        echo "bootstrap: missing system packages: ${missing[*]}" >&2
        echo "bootstrap: installing them needs root. Run:  sudo apt-get install -y ${missing[*]}" >&2
        echo "bootstrap: then run this command again." >&2
        exit 1
    fi
    echo "bootstrap: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packaged broker service is not ours: the demo and tests start their own.
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true
    fi
fi

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "bootstrap: Python 3.11 or newer is needed (found $("$PY" --version 2>&1))" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# Installed without dependencies: only its PP-OCRv4 detector model is used, and its
# dependency on the GUI build of OpenCV would clash with the headless one.
NO_DEPS="rapidocr-onnxruntime==1.4.4"
stamp=".venv/.stamp-$extras-$( { cat pyproject.toml; echo "$NO_DEPS"; } | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "bootstrap: installing Python packages ($extras) into .venv"
    # Build backends are chatty; keep their output for when something fails.
    if ! { .venv/bin/python -m pip install -q --upgrade pip &&
           .venv/bin/python -m pip install -q -e ".[$extras]" &&
           { [ "$extras" = hub ] || .venv/bin/python -m pip install -q --no-deps $NO_DEPS; };
         } > .venv/pip.log 2>&1; then
        cat .venv/pip.log >&2
        echo "bootstrap: pip failed (log above, also in .venv/pip.log)" >&2
        exit 1
    fi
    rm -f .venv/.stamp-"$extras"-*
    touch "$stamp"
fi
