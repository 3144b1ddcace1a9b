#!/usr/bin/env bash
# Install the Shekara edge agent on a lane box: Raspberry Pi OS bookworm (arm64) or any
# Debian 12.  Idempotent: run it again with the same arguments and nothing changes;
# with other arguments only what differs is rewritten.  deploy/README.md walks through it.
#
#   sudo deploy/edge/install.sh --role entry_lane --device-id tmb-entry-1 --lane entry-1 \
#        --broker hub.temirbaba.local:8883 --hub https://hub.temirbaba.local:8443
#
# Steps: apt packages, the system user `shekara` (group video), /opt/shekara (venv with
# shekara[edge]), /etc/shekara/device.toml from firmware_configs/ (checked with
# `shekara-edge config check`), the systemd unit (enabled), then the device's keys and
# its enrolment code (`shekara-edge enrol`), approved on the hub by an operator.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PROG="install.sh"
# shellcheck source=deploy/lib/install-common.sh
. "$REPO/deploy/lib/install-common.sh"
SEGMENT='^[A-Za-z0-9_-]{1,64}$'  # shekara/wire.py SEGMENT_PATTERN
APT_PACKAGES=(python3-venv libzbar0 ca-certificates mosquitto-clients v4l-utils)
# Installed without dependencies, as deploy/bootstrap.sh does: only its detector model is
# used, and its dependency on the GUI build of OpenCV would clash (edge/ocr_models.py).
NO_DEPS="rapidocr-onnxruntime==1.4.4"

usage() {
    cat <<EOF
Usage: sudo $0 (--role ROLE | --config FILE) --device-id ID --lane LANE [options]

Where the config comes from (one of):
  --role ROLE          entry_lane, exit_lane, waiting_zone or barcode_station: the template in
                       firmware_configs/ with that role
  --config FILE        a device config of your own (TOML)

What to substitute into it:
  --device-id ID       this device's id, e.g. tmb-entry-1 (required)
  --lane LANE          its lane or zone, e.g. entry-1 (required)
  --checkpoint ID      its checkpoint (default: the template's)
  --broker HOST[:PORT] the MQTT broker (default: the template's)
  --camera SOURCE      "0" for /dev/video0, or rtsp://... (default: the template's)

Enrolment:
  --hub URL            the hub, e.g. https://hub.temirbaba.local:8443; without it the
                       keys are made and enrolment is left for later
  --hub-ca FILE        CA file to trust for the hub's HTTPS
  --enrol-wait SECONDS how long to wait for the operator's approval (default 600)

Installation:
  --python PATH        use this existing Python environment (with shekara[edge]) instead
                       of making /opt/shekara: no download
  --source SPEC        what pip installs (default: this checkout, $REPO)
  --no-apt             do not install apt packages
  --root DIR           install into DIR instead of / (tests, image building); needs --no-apt
  -h, --help           this text
EOF
}

ROOT="" ROLE="" CONFIG="" DEVICE_ID="" LANE="" CHECKPOINT="" BROKER="" CAMERA=""
HUB="" HUB_CA="" ENROL_WAIT=600 NO_APT=0 PYTHON="" SOURCE="$REPO"
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --no-apt) NO_APT=1; shift; continue ;;
        --role|--config|--device-id|--lane|--checkpoint|--broker|--camera|--hub|--hub-ca|\
        --enrol-wait|--python|--source|--root)
            [ $# -ge 2 ] || die "$1 needs a value (see --help)" ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    case "$1" in
        --role) ROLE="$2" ;;
        --config) CONFIG="$2" ;;
        --device-id) DEVICE_ID="$2" ;;
        --lane) LANE="$2" ;;
        --checkpoint) CHECKPOINT="$2" ;;
        --broker) BROKER="$2" ;;
        --camera) CAMERA="$2" ;;
        --hub) HUB="$2" ;;
        --hub-ca) HUB_CA="$2" ;;
        --enrol-wait) ENROL_WAIT="$2" ;;
        --python) PYTHON="$2" ;;
        --source) SOURCE="$2" ;;
        --root) ROOT="$2" ;;
    esac
    shift 2
done

# --- check everything before changing anything ----------------------------------------
if [ -n "$ROLE" ] && [ -n "$CONFIG" ]; then die "give --role or --config, not both"; fi
if [ -z "$ROLE" ] && [ -z "$CONFIG" ]; then die "give --role ROLE or --config FILE (see --help)"; fi
[ -n "$DEVICE_ID" ] || die "--device-id is required (e.g. --device-id tmb-entry-1)"
[ -n "$LANE" ] || die "--lane is required (e.g. --lane entry-1)"
for pair in "device id:$DEVICE_ID" "lane:$LANE" "checkpoint:$CHECKPOINT"; do
    value="${pair#*:}"
    if [ -n "$value" ] && ! [[ "$value" =~ $SEGMENT ]]; then
        die "${pair%%:*} '$value' may hold only letters, digits, '-' and '_' (1 to 64)"
    fi
done
BROKER_HOST="" BROKER_PORT=""
if [ -n "$BROKER" ]; then
    BROKER_HOST="${BROKER%:*}"
    [ "$BROKER_HOST" = "$BROKER" ] || BROKER_PORT="${BROKER##*:}"
    [[ "$BROKER_HOST" =~ ^[A-Za-z0-9.-]+$ ]] || die "--broker host '$BROKER_HOST' is not a host name or IPv4 address"
    if [ -n "$BROKER_PORT" ] && { ! [[ "$BROKER_PORT" =~ ^[0-9]{1,5}$ ]] || [ "$BROKER_PORT" -lt 1 ] || [ "$BROKER_PORT" -gt 65535 ]; }; then
        die "--broker port '$BROKER_PORT' is not a port number"
    fi
fi
if [ -n "$CAMERA" ] && [[ "$CAMERA" == *[\"\\]* ]]; then
    die "--camera may not contain quotes or backslashes"
fi
if [ -n "$HUB" ] && ! [[ "$HUB" =~ ^https?://[^[:space:]]+$ ]]; then
    die "--hub must be a URL starting with http:// or https://, not '$HUB'"
fi
if [ -n "$HUB_CA" ] && [ ! -r "$HUB_CA" ]; then die "--hub-ca $HUB_CA: no such readable file"; fi
[[ "$ENROL_WAIT" =~ ^[0-9]+$ ]] || die "--enrol-wait must be a whole number of seconds"

if [ -n "$ROLE" ] && ! [[ "$ROLE" =~ ^[a-z_]{1,32}$ ]]; then
    die "--role '$ROLE' is not a role name (e.g. entry_lane)"
fi
if [ -n "$ROLE" ]; then
    mapfile -t matches < <(grep -l "^role = \"$ROLE\"" "$REPO"/firmware_configs/*.toml 2>/dev/null || true)
    if [ ${#matches[@]} -ne 1 ]; then
        roles=$(sed -n 's/^role = "\(.*\)"/\1/p' "$REPO"/firmware_configs/*.toml | sort -u | tr '\n' ' ')
        if [ ${#matches[@]} -eq 0 ]; then
            die "no template in firmware_configs/ has role '$ROLE'; roles there: ${roles% }"
        fi
        die "several templates have role '$ROLE' (${matches[*]}): pick one with --config"
    fi
    TEMPLATE="${matches[0]}"
else
    [ -r "$CONFIG" ] || die "--config $CONFIG: no such readable file"
    TEMPLATE="$CONFIG"
fi

check_root_options
if [ -n "$PYTHON" ] && [ ! -x "$BIN/shekara-edge" ]; then
    die "--python $PYTHON: no shekara-edge beside it (pip install 'shekara[edge]' there first)"
fi

ETC="$ROOT/etc/shekara"
STATE="$ROOT/var/lib/shekara"

# --- 1. packages -------------------------------------------------------------------------
apt_ensure "${APT_PACKAGES[@]}"

# --- 2. the system user ------------------------------------------------------------------
ensure_user "Shekara edge agent" video

# --- 3. the software -----------------------------------------------------------------------
install_software edge "$NO_DEPS"
EDGE="$BIN/shekara-edge"
[ -n "$PYTHON" ] || ln -sfn "$EDGE" /usr/local/bin/shekara-edge  # for the operator's shell

# --- 4. folders and the config -------------------------------------------------------------
# /etc/shekara itself is root's (systemd's ConfigurationDirectory); the config is
# readable by the agent's group, the keys only by the agent.
install -d -m 0755 -o 0 -g 0 "$ETC"
install -d -m 0700 -o "$UID_" -g "$GID_" "$ETC/keys" "$ETC/tls"
install -d -m 0750 -o "$UID_" -g "$GID_" "$STATE" "$ROOT/var/log/shekara"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rendered="$work/device.toml"
sed -e "s|^device_id = .*|device_id = \"$DEVICE_ID\"|" \
    -e "s|^lane = .*|lane = \"$LANE\"|" \
    -e "s|^key_file = .*|key_file = \"/etc/shekara/keys/device.key\"|" \
    "$TEMPLATE" > "$rendered"
[ -z "$CHECKPOINT" ] || sed -i "s|^checkpoint = .*|checkpoint = \"$CHECKPOINT\"|" "$rendered"
[ -z "$BROKER_HOST" ] || sed -i "/^\[mqtt\]/,/^\[/ s|^host = .*|host = \"$BROKER_HOST\"|" "$rendered"
[ -z "$BROKER_PORT" ] || sed -i "/^\[mqtt\]/,/^\[/ s|^port = .*|port = $BROKER_PORT|" "$rendered"
[ -z "$CAMERA" ] || sed -i "/^\[camera\]/,/^\[/ s|^source = .*|source = \"$CAMERA\"|" "$rendered"
for expect in "device_id = \"$DEVICE_ID\"" "lane = \"$LANE\"" \
              ${CHECKPOINT:+"checkpoint = \"$CHECKPOINT\""} ${BROKER_HOST:+"host = \"$BROKER_HOST\""}; do
    grep -qxF "$expect" "$rendered" ||
        die "$TEMPLATE has no line to set '$expect' on (is it a device config?)"
done
if ! check_out=$("$EDGE" config check "$rendered" 2>&1); then
    printf '%s\n' "$check_out" >&2
    die "the device config made from $TEMPLATE does not validate (above)"
fi
CONF="$ETC/device.toml"
if [ -f "$CONF" ] && cmp -s "$rendered" "$CONF"; then
    say "config: $CONF unchanged; config check: ${check_out#*: }"
else
    if [ -f "$CONF" ]; then
        cp -p "$CONF" "$CONF.previous"
        note "the previous config is kept as $CONF.previous"
    fi
    install -m 0640 -o 0 -g "$GID_" "$rendered" "$CONF"
    say "config: wrote $CONF from ${TEMPLATE#"$REPO"/}; config check: ${check_out#*: }"
fi

# --- 5. the service ---------------------------------------------------------------------------
place_unit shekara-edge.service
enable_units shekara-edge.service

# --- 6. keys and enrolment ------------------------------------------------------------------
# The agent's paths are those it sees at run time; under --root they lie inside the root.
runtime="$work/runtime.toml"
runtime_copy "$CONF" "$runtime"
cert_file="$(sed -n 's/^tls_cert_file = "\(.*\)"/\1/p' "$runtime")"
owned() { chown -R "$UID_:$GID_" "$ETC/keys" "$ETC/tls"; }
enrolled=0
if [ -n "$cert_file" ] && [ -s "$cert_file" ]; then
    say "enrolment: already enrolled (certificate $cert_file)"
    enrolled=1
elif [ -z "$HUB" ]; then
    [ -f "$ETC/keys/device.key" ] || "$EDGE" keygen --out "$ETC/keys/device.key" >/dev/null
    owned
    say "enrolment: skipped (no --hub). The keys are in $ETC/keys; to enrol, run:"
    note "sudo -u shekara $BIN/shekara-edge enrol --config /etc/shekara/device.toml --hub https://HUB"
else
    hostport="${HUB#*://}"; hostport="${hostport%%/*}"
    host="${hostport%:*}"; port="${hostport##*:}"
    if [ "$host" = "$hostport" ]; then
        port=80; [[ "$HUB" != https://* ]] || port=443
    fi
    wait_s="$ENROL_WAIT"
    if ! "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 5).close()' \
            "$host" "$port" 2>/dev/null; then
        reachable=0
        wait_s=0  # make the keys and print the code; the operator can approve it meanwhile
    else
        reachable=1
    fi
    say "enrolment: asking $HUB (the operator approves the code below on the hub)"
    set +e
    "$EDGE" enrol --config "$runtime" --hub "$HUB" ${HUB_CA:+--hub-ca "$HUB_CA"} \
        --wait "$wait_s" --poll 2 2>&1
    rc=$?
    set -e
    owned
    case "$rc" in
        0) enrolled=1; say "enrolment: approved; the certificate is in $ETC/tls" ;;
        1) die "enrolment: the hub rejected this device (reason above). Fix it on the hub, then run this installer again" ;;
        3)
            if [ "$reachable" -eq 0 ]; then
                say "enrolment: the hub at $HUB cannot be reached from here ($host port $port)."
                note "The keys are made and the code above stays the same. Once the network is up,"
                note "run this installer again, or: sudo -u shekara $BIN/shekara-edge enrol --config /etc/shekara/device.toml --hub $HUB"
            else
                say "enrolment: not approved within ${ENROL_WAIT} s. Approve the code above on the hub, then"
                note "run this installer again (the code stays the same), or: sudo -u shekara $BIN/shekara-edge enrol --config /etc/shekara/device.toml --hub $HUB"
            fi ;;
        *) die "shekara-edge enrol failed (exit status $rc; its message is above)" ;;
    esac
fi

if [ "$enrolled" -eq 1 ] && systemd_online; then
    if [ "$UNITS_CHANGED" -gt 0 ] || ! systemctl is-active --quiet shekara-edge.service; then
        # A boot before the enrolment may have left it failed at its start limit.
        systemctl reset-failed shekara-edge.service 2>/dev/null || true
        systemctl restart shekara-edge.service
    fi
    say "service: running (journalctl -u shekara-edge -f)"
elif [ "$enrolled" -eq 1 ]; then
    say "service: starts at the next boot"
else
    say "service: enabled, but it cannot connect before the enrolment; once enrolled, run this installer again (it starts it)"
fi
