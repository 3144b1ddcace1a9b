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
#   TRIAL_ARCH (default: this machine's, e.g. amd64): arm64 is a Raspberry Pi's; on an
#              x86-64 machine it runs under qemu user emulation (qemu-user-static and
#              binfmt-support; `make install-trial-arm64`), many times slower
#   TRIAL_CPU (arm64 under emulation): cortex-a72 (default, a Raspberry Pi 4's) or
#              cortex-a76 (a Pi 5's)
#   TRIAL_DIR (default /tmp/shekara-trial, or /tmp/shekara-trial-ARCH for a foreign ARCH)
#   MIRROR (default http://deb.debian.org/debian)
#   TRIAL_FRESH=1 to rebuild the Debian root instead of reusing the clean copy
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
die() { printf 'trial.sh: error: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root: debootstrap and chroot need it"
HOST_ARCH="$(dpkg --print-architecture)"
ARCH="${TRIAL_ARCH:-$HOST_ARCH}"
case "$ARCH" in  # Debian's name, and the kernel's (qemu's) for the same machine
    amd64) QEMU_ARCH=x86_64 ;;
    arm64) QEMU_ARCH=aarch64 ;;
    *) die "TRIAL_ARCH=$ARCH: give amd64 or arm64 (a Raspberry Pi 4 or 5 with 64-bit Raspberry Pi OS)" ;;
esac
if [ "$ARCH" = "$HOST_ARCH" ]; then
    TRIAL_DIR="${TRIAL_DIR:-/tmp/shekara-trial}"
    EMULATED=""
else
    TRIAL_DIR="${TRIAL_DIR:-/tmp/shekara-trial-$ARCH}"
    EMULATED=" under qemu user emulation on $HOST_ARCH"
fi
# The emulated CPU is a Pi's.  qemu's default ("max") has every extension qemu knows, SVE
# included, which no Pi has: one scan then took over 15 minutes under qemu 7.2 (about a
# minute as a Cortex-A72; onnxruntime presumably picks kernels qemu emulates slowly); and
# code needing more than a Pi's CPU would pass here and die of SIGILL on the box.
PI_CPU=""
if [ -n "$EMULATED" ] && [ "$ARCH" = arm64 ]; then
    PI_CPU="${TRIAL_CPU:-cortex-a72}"
    case "$PI_CPU" in  # what the Pi's /proc/cpuinfo says: MIDR variant, part, revision
        cortex-a72) PI_MODEL="Raspberry Pi 4 Model B Rev 1.4" PI_REVISION=c03114
                    PI_MIDR=(0x0 0xd08 3) PI_FEATURES="fp asimd evtstrm crc32 cpuid" ;;
        cortex-a76) PI_MODEL="Raspberry Pi 5 Model B Rev 1.0" PI_REVISION=c04170
                    PI_MIDR=(0x4 0xd0b 1)
                    PI_FEATURES="fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp" ;;
        *) die "TRIAL_CPU=$PI_CPU: give cortex-a72 (Raspberry Pi 4) or cortex-a76 (Raspberry Pi 5)" ;;
    esac
    EMULATED="$EMULATED, CPU $PI_CPU as in a ${PI_MODEL% Model*}"
fi
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
HUB="http://hub.temirbaba.invalid:8080"  # .invalid never resolves (RFC 2606)
INCLUDE="systemd,systemd-sysv,ca-certificates"  # what a Raspberry Pi OS image has anyway
CLEAN="$TRIAL_DIR/bookworm-$ARCH-clean-$(printf '%s' "$INCLUDE" | sha256sum | cut -c1-8).tar"
ROOT="$TRIAL_DIR/root"
REPORT="$TRIAL_DIR/report.txt"

say() { printf '\n### %s\n' "$*" | tee -a "$REPORT"; }

# A foreign root runs its programs through the kernel's binfmt_misc, which hands them to
# qemu.  Without it, debootstrap's second stage fails with "Exec format error" deep in
# its log; say what is missing instead.  The F (fix-binary) flag makes the kernel open
# the interpreter once, at registration, so it also works inside the chroot; without F
# the interpreter must exist inside the root, at the path binfmt names.
BINFMT=/proc/sys/fs/binfmt_misc
QEMU_INTERP=""  # set when the interpreter has to be copied into the root
if [ -n "$EMULATED" ]; then
    need_emulation() {
        die "an $ARCH root on this $HOST_ARCH machine needs qemu user emulation: $1.
  Set it up with:
    apt-get install qemu-user-static binfmt-support
    mount -t binfmt_misc binfmt_misc $BINFMT   # if $BINFMT/status is missing
    update-binfmts --enable qemu-$QEMU_ARCH
  (in a container, binfmt_misc belongs to the host kernel: register it there)"
    }
    [ -e "$BINFMT/status" ] || need_emulation "binfmt_misc is not mounted at $BINFMT"
    [ -e "$BINFMT/qemu-$QEMU_ARCH" ] || need_emulation "no qemu-$QEMU_ARCH in $BINFMT"
    grep -qx enabled "$BINFMT/qemu-$QEMU_ARCH" || need_emulation "qemu-$QEMU_ARCH is disabled in $BINFMT"
    grep -qx enabled "$BINFMT/status" || need_emulation "binfmt_misc is disabled ($BINFMT/status)"
    interp="$(sed -n 's/^interpreter //p' "$BINFMT/qemu-$QEMU_ARCH")"
    if ! grep -q '^flags: .*F' "$BINFMT/qemu-$QEMU_ARCH"; then
        [ -x "$interp" ] || need_emulation "its interpreter $interp is missing"
        if command -v file >/dev/null && ! file -L "$interp" | grep -Eq 'statically linked|static-pie linked'; then
            need_emulation "$interp is not statically linked, so it cannot run inside the root (install qemu-user-static)"
        fi
        QEMU_INTERP="$interp"
    fi
fi
mkdir -p "$TRIAL_DIR"
: > "$REPORT"
timed() {  # timed LABEL CMD...: run, and record how long it took
    local label="$1" start rc=0
    shift
    start=$(date +%s)
    "$@" || rc=$?
    # To stderr: the command's stdout may be redirected to a file that is reported too.
    printf '%-44s %5ss  (exit %s)\n' "$label" "$(( $(date +%s) - start ))" "$rc" | tee -a "$REPORT" >&2
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

say "a fresh Debian bookworm ($ARCH$EMULATED, minbase + systemd) from $MIRROR"
if [ "${TRIAL_FRESH:-0}" = 1 ] || [ ! -f "$CLEAN" ]; then
    rm -rf "$ROOT"
    bootstrap() {  # both stages at once, or (an interpreter to copy in) one after the other
        if [ -z "$QEMU_INTERP" ]; then
            debootstrap --arch="$ARCH" --variant=minbase --include="$INCLUDE" \
                bookworm "$ROOT" "$MIRROR"
        else
            debootstrap --foreign --arch="$ARCH" --variant=minbase --include="$INCLUDE" \
                bookworm "$ROOT" "$MIRROR" &&
            install -D -m 0755 "$QEMU_INTERP" "$ROOT$QEMU_INTERP" &&
            chroot "$ROOT" /debootstrap/debootstrap --second-stage
        fi
    }
    timed "debootstrap" bootstrap > "$TRIAL_DIR/debootstrap.log" 2>&1 ||
        { tail -n 20 "$TRIAL_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $TRIAL_DIR/debootstrap.log)"; }
    tar -C "$ROOT" -cf "$CLEAN" .
else
    rm -rf "$ROOT" && mkdir -p "$ROOT"
    timed "unpack the clean root (TRIAL_FRESH=1 rebuilds)" tar -C "$ROOT" -xf "$CLEAN"
fi
[ -z "$QEMU_INTERP" ] || install -D -m 0755 "$QEMU_INTERP" "$ROOT$QEMU_INTERP"
machine="$(chroot "$ROOT" uname -m 2>&1)" ||
    die "the $ARCH root cannot run its own programs: $machine"
[ -z "$EMULATED" ] || printf 'programs in the root run as %s (qemu-%s)\n' "$machine" "$QEMU_ARCH" | tee -a "$REPORT"
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
[ -z "$PI_CPU" ] || IN_ROOT+=(QEMU_CPU="$PI_CPU")  # read by qemu, inherited by every child
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
if [ -n "$PI_CPU" ]; then
    # qemu 7.2 (bookworm's) shows emulated programs this machine's own /proc/cpuinfo, an
    # x86 one; onnxruntime's cpuinfo library reads it at import and crashes (SIGSEGV at
    # address 0).  Give the root what the emulated Pi's kernel would show.  (Newer qemu
    # releases make one up for Arm themselves.)
    for ((cpu = 0; cpu < $(getconf _NPROCESSORS_ONLN); cpu++)); do
        printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: %s\nCPU implementer\t: 0x41\n' \
            "$cpu" "$PI_FEATURES"
        printf 'CPU architecture: 8\nCPU variant\t: %s\nCPU part\t: %s\nCPU revision\t: %s\n\n' \
            "${PI_MIDR[@]}"
    done > "$TRIAL_DIR/cpuinfo"
    printf 'Revision\t: %s\nSerial\t\t: 10000000d0c0ffee\nModel\t\t: %s\n' \
        "$PI_REVISION" "$PI_MODEL" >> "$TRIAL_DIR/cpuinfo"
    mount --bind "$TRIAL_DIR/cpuinfo" "$ROOT/proc/cpuinfo"
    mounted+=("$ROOT/proc/cpuinfo")
fi

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

say "the compiled packages pip installed for $ARCH (wheel tags)"
# A wheel from PyPI says manylinux/musllinux; one pip built here from an sdist says only
# linux_<machine>.  A lane box has no compiler (install.sh installs none), and compiling
# OpenCV or onnxruntime on a Pi would take hours: any such build is a finding.
chroot "$ROOT" "${IN_ROOT[@]}" /opt/shekara/bin/python -c '
import importlib.metadata as md
built = []
for dist in sorted(md.distributions(), key=lambda d: d.metadata["Name"].lower()):
    tags = [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    if not tags or any(tag.endswith("-any") for tag in tags):
        continue
    name = dist.metadata["Name"]
    print(f"{name} {dist.version}: {tags[-1]}")
    if not any("manylinux" in tag or "musllinux" in tag for tag in tags):
        built.append(name)
if built:
    raise SystemExit("built from source on this machine, no wheel for it on PyPI: " + ", ".join(built))
' 2>&1 | tee -a "$REPORT"
[ "${PIPESTATUS[0]}" -eq 0 ] || die "pip compiled packages from source (above)"

say "the installed agent, inside the root"
timed "shekara-edge config check" \
    chroot "$ROOT" "${IN_ROOT[@]}" /opt/shekara/bin/shekara-edge config check /etc/shekara/device.toml |
    tee -a "$REPORT"
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
