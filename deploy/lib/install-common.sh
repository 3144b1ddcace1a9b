# shellcheck shell=bash disable=SC2034  # the variables set here are the callers'
# Shared by deploy/edge/install.sh and deploy/hub/install.sh (sourced, not run).
# Every function is idempotent: it looks before it changes, and says which it did.
# The caller sets PROG, ROOT ("" for /), NO_APT, PYTHON ("" to make /opt/shekara),
# SOURCE (what pip installs) and REPO.

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 2; }

# check_root_options: --root needs --no-apt and --python; root privileges are needed.
check_root_options() {
    if [ -n "$ROOT" ]; then
        [ -d "$ROOT" ] || die "--root $ROOT: no such directory"
        ROOT="$(cd "$ROOT" && pwd)"
        [ "$ROOT" != "/" ] || ROOT=""
    fi
    if [ -n "$ROOT" ] && { [ "$NO_APT" -eq 0 ] || [ -z "$PYTHON" ]; }; then
        die "--root needs --no-apt and --python: apt installs into the running system, and a venv made in a folder breaks once that folder is /"
    fi
    [ "$(id -u)" -eq 0 ] || die "run as root (sudo): it creates a system user and writes /etc and /opt"
    command -v systemctl >/dev/null || die "systemctl is missing: this installs a systemd service (apt-get install systemd)"
    if [ -n "$PYTHON" ]; then
        [ -x "$PYTHON" ] || die "--python $PYTHON: not an executable"
        BIN="$(dirname "$PYTHON")"
        PY="$PYTHON"
    else
        BIN="/opt/shekara/bin"
        PY="$BIN/python"
    fi
    ROOT_ARGS=()
    [ -z "$ROOT" ] || ROOT_ARGS=(--root "$ROOT")
}

# apt_ensure PKG...: install the missing ones (not with --no-apt).
apt_ensure() {
    if [ "$NO_APT" -eq 1 ]; then
        say "apt packages: skipped (--no-apt)"
        return
    fi
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "apt packages: all present ($*)"
        return
    fi
    say "apt packages: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_user COMMENT [GROUP...]: the system user shekara (no login, home
# /var/lib/shekara) in the given supplementary groups; sets UID_ and GID_.
ensure_user() {
    local comment="$1" group group_arg
    shift
    if grep -q '^shekara:' "$ROOT/etc/passwd"; then
        say "user shekara: exists"
    else
        say "user shekara: creating (system user, no login, home /var/lib/shekara)"
        group_arg=(--user-group)
        # A group left behind by an earlier removal is reused.
        if grep -q '^shekara:' "$ROOT/etc/group"; then group_arg=(--gid shekara); fi
        useradd "${ROOT_ARGS[@]}" --system "${group_arg[@]}" --no-create-home \
            --home-dir /var/lib/shekara --shell /usr/sbin/nologin --comment "$comment" shekara
    fi
    for group in "$@"; do
        grep -q "^$group:" "$ROOT/etc/group" || groupadd "${ROOT_ARGS[@]}" --system "$group"
        if ! in_group shekara "$group"; then
            usermod "${ROOT_ARGS[@]}" -a -G "$group" shekara
            note "added to group $group"
        fi
    done
    UID_="$(awk -F: '$1 == "shekara" {print $3}' "$ROOT/etc/passwd")"
    GID_="$(awk -F: '$1 == "shekara" {print $3}' "$ROOT/etc/group")"
}

# in_group USER GROUP: whether USER is a listed member of GROUP in the root's /etc/group.
in_group() {
    awk -F: -v u="$1" -v g="$2" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 }
        END { exit !found }' "$ROOT/etc/group"
}

# install_software EXTRA [NO_DEPS_SPEC]: /opt/shekara with shekara[EXTRA], unless --python.
install_software() {
    local extra="$1" no_deps="${2:-}" venv="$ROOT/opt/shekara" stamp spec log
    if [ -n "$PYTHON" ]; then
        say "software: using the environment of $PYTHON (--python)"
        return
    fi
    # What pip would install, summarised: the same checkout twice installs once.
    if [ -d "$SOURCE" ]; then
        stamp=$(cd "$SOURCE" && find pyproject.toml shekara edge hub -type f \
                    \( -name '*.py' -o -name '*.toml' -o -name '*.json' -o -name '*.onnx' \
                       -o -name '*.html' -o -name '*.css' -o -name '*.po' \) \
                    -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum |
                    sha256sum | cut -c1-16)
        spec="${SOURCE}[$extra]"
    else
        stamp=$(printf '%s' "$SOURCE" | sha256sum | cut -c1-16)
        spec="$SOURCE"
    fi
    stamp="$extra-$stamp"
    if [ -f "$venv/.shekara-installed-$stamp" ]; then
        say "software: $venv is up to date"
        return
    fi
    say "software: installing shekara[$extra] into $venv (minutes on a Pi)"
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "Python 3.11 or newer is needed (found $(python3 --version 2>&1))"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    log="$venv/pip.log"
    # Build backends are chatty: keep their output for when something fails.
    if ! { "$venv/bin/python" -m pip install -q --upgrade pip &&
           "$venv/bin/python" -m pip install -q "$spec" &&
           { [ -z "$no_deps" ] || "$venv/bin/python" -m pip install -q --no-deps "$no_deps"; };
         } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip failed (the last lines are above; all of it in $log)"
    fi
    rm -f "$venv"/.shekara-installed-*
    touch "$venv/.shekara-installed-$stamp"
}

# place_unit NAME: deploy/systemd/NAME into the root's /etc/systemd/system, its
# /opt/shekara/bin pointed at BIN; increments UNITS_CHANGED when it wrote the file.
UNITS_CHANGED=0
place_unit() {
    local name="$1" text target="$ROOT/etc/systemd/system/$1"
    [ -r "$REPO/deploy/systemd/$name" ] || die "$REPO/deploy/systemd/$name is missing: run the installer from a Shekara checkout"
    text="$(sed "s|/opt/shekara/bin/|$BIN/|" "$REPO/deploy/systemd/$name")"
    if [ -f "$target" ] && [ "$(cat "$target")" = "$text" ]; then
        say "service: $target unchanged"
        return
    fi
    install -d -m 0755 "$(dirname "$target")"
    printf '%s\n' "$text" > "$target"
    chmod 0644 "$target"
    say "service: wrote $target"
    UNITS_CHANGED=$((UNITS_CHANGED + 1))
}

# systemd_online: whether a running systemd manages the root (not a chroot or a folder).
systemd_online() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

# enable_units NAME...: enabled at boot (offline links when no systemd runs).
enable_units() {
    if systemd_online; then
        [ "$UNITS_CHANGED" -eq 0 ] || systemctl daemon-reload
        systemctl enable --quiet "$@"
    else
        systemctl --root="${ROOT:-/}" enable --quiet "$@"
    fi
    note "enabled at boot: $*"
}

# runtime_copy FILE OUT: FILE with /etc/shekara and /var/lib/shekara moved under the
# root, for running its commands from here (the same file when ROOT is /).
runtime_copy() {
    sed -e "s|\"/etc/shekara/|\"$ROOT/etc/shekara/|g" \
        -e "s|\"/var/lib/shekara/|\"$ROOT/var/lib/shekara/|g" "$1" > "$2"
}
