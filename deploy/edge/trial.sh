#!/usr/bin/env bash
# `make install-trial`: install a lane the way a new engineer would, on a fresh machine.
#
# A Debian bookworm root (debootstrap --variant=minbase, plus systemd as on Raspberry Pi
# OS) is made in a folder, this checkout is copied into it, and deploy/edge/install.sh
# runs inside it (chroot) for real: apt, the venv, pip from the copied source, the user,
# the config, the unit.  The hub URL points nowhere, so the installer must explain that
# and still finish.  Then the installed agent checks its config and reads a generated
# label image inside the root.  Times and sizes go to $TRIAL_DIR/report.txt.
#
# Needs root, debootstrap (installed when missing) and the network to deb.debian.org
# and PyPI.  Not part of `make test`: it downloads ~150 MB and takes minutes.
#   TRIAL_DIR (default /tmp/shekara-trial)  MIRROR (default http://deb.debian.org/debian)
#   TRIAL_FRESH=1 to rebuild the Debian root instead of reusing the clean copy
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TRIAL_DIR="${TRIAL_DIR:-/tmp/shekara-trial}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
HUB="http://hub.temirbaba.invalid:8080"  # .invalid never resolves (RFC 2606)
INCLUDE="systemd,systemd-sysv,ca-certificates"  # what a Raspberry Pi OS image has anyway
CLEAN="$TRIAL_DIR/bookworm-clean-$(printf '%s' "$INCLUDE" | sha256sum | cut -c1-8).tar"
ROOT="$TRIAL_DIR/root"
REPORT="$TRIAL_DIR/report.txt"

say() { printf '\n### %s\n' "$*" | tee -a "$REPORT"; }
die() { printf 'trial.sh: error: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root: debootstrap and chroot need it"
mkdir -p "$TRIAL_DIR"
: > "$REPORT"
timed() {  # timed LABEL CMD...: run, and record how long it took
    local label="$1" start rc=0
    shift
    start=$(date +%s)
    "$@" || rc=$?
    printf '%-44s %5ss  (exit %s)\n' "$label" "$(( $(date +%s) - start ))" "$rc" | tee -a "$REPORT"
    return "$rc"
}

mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m="${mounted[$i]}"
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup EXIT
bind() { mkdir -p "$ROOT$1"; mount --bind "$1" "$ROOT$1"; mounted+=("$ROOT$1"); }

if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap on this machine"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

say "a fresh Debian bookworm ($(dpkg --print-architecture), minbase + systemd) from $MIRROR"
if [ "${TRIAL_FRESH:-0}" = 1 ] || [ ! -f "$CLEAN" ]; then
    rm -rf "$ROOT"
    timed "debootstrap" debootstrap --variant=minbase --include="$INCLUDE" \
        bookworm "$ROOT" "$MIRROR" > "$TRIAL_DIR/debootstrap.log" 2>&1 ||
        { tail -n 20 "$TRIAL_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $TRIAL_DIR/debootstrap.log)"; }
    tar -C "$ROOT" -cf "$CLEAN" .
else
    rm -rf "$ROOT" && mkdir -p "$ROOT"
    timed "unpack the clean root (TRIAL_FRESH=1 rebuilds)" tar -C "$ROOT" -xf "$CLEAN"
fi
printf 'clean root: %s\n' "$(du -sh --exclude=proc "$ROOT" | cut -f1)" | tee -a "$REPORT"

say "copy this checkout to /opt/src/shekara in the root (no .git, no venvs)"
mkdir -p "$ROOT/opt/src/shekara"
tar -C "$REPO" --exclude=.git --exclude='.venv*' --exclude=.demo --exclude=.bench \
    --exclude=build --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache \
    --exclude=.ruff_cache --exclude=.pytest_cache -cf - . | tar -C "$ROOT/opt/src/shekara" -xf -
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The chroot gets a clean environment, as a new machine would have: nothing of this
# shell's (PIP_* settings, proxies) leaks in.
IN_ROOT=(env -i HOME=/root LANG=C.UTF-8 TERM=dumb
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
# A network that inspects TLS (this one's egress proxy does) needs its CA on the box:
# the site's local CAs go into the root's store, and pip is told to use that store
# (the pip of bookworm's venv trusts only its own certifi bundle).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" "${IN_ROOT[@]}" update-ca-certificates >/dev/null
    IN_ROOT+=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
    printf 'local CAs copied in (TLS inspection on this network): %s\n' \
        "$(cd /usr/local/share/ca-certificates && echo *.crt)" | tee -a "$REPORT"
fi
bind /proc
bind /sys
bind /dev
bind /dev/pts

say "deploy/edge/install.sh inside the root (the hub $HUB does not exist)"
packages_before=$(grep -c ' install ' "$ROOT/var/log/dpkg.log" || true)
set +e
timed "install.sh (apt, venv, pip, user, config, unit)" \
    chroot "$ROOT" "${IN_ROOT[@]}" /opt/src/shekara/deploy/edge/install.sh --role entry_lane \
        --device-id tmb-trial-1 --lane entry-1 --broker hub.temirbaba.local:8883 \
        --hub "$HUB" --enrol-wait 5 2>&1 | tee "$TRIAL_DIR/install.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "install.sh failed with $rc (log: $TRIAL_DIR/install.log)"
grep -q "cannot be reached" "$TRIAL_DIR/install.log" || die "no clear message about the unreachable hub"

say "run it again: nothing may change"
timed "install.sh, second run" \
    chroot "$ROOT" "${IN_ROOT[@]}" /opt/src/shekara/deploy/edge/install.sh --role entry_lane \
        --device-id tmb-trial-1 --lane entry-1 --broker hub.temirbaba.local:8883 \
        --hub "$HUB" --enrol-wait 5 > "$TRIAL_DIR/install-again.log" 2>&1 ||
    die "the second run failed (log: $TRIAL_DIR/install-again.log)"
grep -E "up to date|unchanged|exists" "$TRIAL_DIR/install-again.log" | tee -a "$REPORT"

say "the installed agent, inside the root"
chroot "$ROOT" "${IN_ROOT[@]}" /opt/shekara/bin/shekara-edge config check /etc/shekara/device.toml | tee -a "$REPORT"
chroot "$ROOT" "${IN_ROOT[@]}" systemctl is-enabled shekara-edge.service | sed 's/^/shekara-edge.service: /' | tee -a "$REPORT"
chroot "$ROOT" "${IN_ROOT[@]}" id shekara | tee -a "$REPORT"
# A label the agent must read, drawn by the installed code itself (OpenCV only); the
# frame is the middle one of the first label's appearance, and its text must come back.
frame_and_text=$(chroot "$ROOT" "${IN_ROOT[@]}" /opt/shekara/bin/python -c '
import json
from pathlib import Path
from edge.synth import write_footage
footage = write_footage(Path("/tmp/trial-frames"), seed=3, n_frames=30)
code = json.loads(Path("/tmp/trial-frames/truth.json").read_text())["codes"][0]
middle = (code["first_frame"] + code["last_frame"]) // 2
print(footage.frames[middle], code["text"])') || die "the installed edge.synth could not draw frames"
frame="${frame_and_text%% *}" text="${frame_and_text#* }"
timed "shekara-edge scan (barcodes and plates)" \
    chroot "$ROOT" "${IN_ROOT[@]}" /opt/shekara/bin/shekara-edge scan "$frame" > "$TRIAL_DIR/scan.txt" ||
    die "shekara-edge scan failed"
tee -a "$REPORT" < "$TRIAL_DIR/scan.txt"
grep -qF "$text" "$TRIAL_DIR/scan.txt" || die "the scan did not read the label $text in $frame"

say "sizes"
{
    printf 'root after install: %s\n' "$(du -sh -x "$ROOT" | cut -f1)"
    printf '/opt/shekara (venv): %s\n' "$(du -sh "$ROOT/opt/shekara" | cut -f1)"
    printf 'apt packages the installer added: %s\n' \
        "$(( $(grep -c ' install ' "$ROOT/var/log/dpkg.log" || true) - packages_before ))"
} | tee -a "$REPORT"
printf '\ntrial passed; report in %s\n' "$REPORT"
