#!/usr/bin/env bash
# Install a Shekara checkpoint hub with its Mosquitto broker on one Debian 12 server
# (or Raspberry Pi OS bookworm).  Idempotent: a second run changes nothing, and it never
# overwrites the hub's config, keys or PKI once made.  deploy/README.md walks through it.
#
#   sudo deploy/hub/install.sh --checkpoint temirbaba \
#        --broker-host hub.temirbaba.local --broker-host 10.20.0.2
#
# Steps: apt packages, the system user `shekara`, /opt/shekara (venv with shekara[hub]),
# /etc/shekara/hub.toml (production, from `shekara-hub init-config`, secrets generated),
# the log and witness keys, the checkpoint PKI (deploy/pki/README.md), Mosquitto's
# config (deploy/mosquitto/shekara.conf) and the ACL, the database, nginx for HTTPS in
# front of the hub (deploy/hub/nginx-shekara.conf), then the systemd units: the hub, the
# broker reload on ACL/CRL changes, the weekly CRL.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PROG="install.sh"
# shellcheck source=deploy/lib/install-common.sh
. "$REPO/deploy/lib/install-common.sh"
SEGMENT='^[A-Za-z0-9_-]{1,64}$'  # shekara/wire.py SEGMENT_PATTERN
APT_PACKAGES=(python3-venv ca-certificates sqlite3)
UNITS=(shekara-hub.service shekara-broker-reload.path shekara-broker-reload.service
       shekara-crl.service shekara-crl.timer)

usage() {
    cat <<EOF
Usage: sudo $0 --checkpoint ID --broker-host NAME [--broker-host NAME...] [options]

  --checkpoint ID      this hub's checkpoint, e.g. temirbaba (required)
  --broker-host NAME   a name or IP address the lane boxes reach the broker by; goes into
                       the broker's TLS certificate (required, repeatable)
  --listen HOST:PORT   where the hub's plain HTTP listens (default 127.0.0.1:8080: behind
                       nginx, which serves HTTPS on 8443)
  --public-url URL     the hub's public base URL, printed in certificate QR codes
                       (default https://<first broker host>:8443)
  --ca-name NAME       common name of the checkpoint CA (default "<ID> checkpoint CA")
  --no-mosquitto       leave Mosquitto alone (a broker on another machine)
  --no-proxy           leave nginx alone (HTTPS is terminated elsewhere)

Installation:
  --python PATH        use this existing Python environment (with shekara[hub]) instead of
                       making /opt/shekara: no download
  --source SPEC        what pip installs (default: this checkout, $REPO)
  --no-apt             do not install apt packages
  --root DIR           install into DIR instead of / (tests, image building); needs --no-apt
                       and --python
  -h, --help           this text
EOF
}

ROOT="" CHECKPOINT="" LISTEN="127.0.0.1:8080" PUBLIC_URL="" CA_NAME="" NO_MOSQUITTO=0 NO_PROXY=0
NO_APT=0 PYTHON="" SOURCE="$REPO"
BROKER_HOSTS=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --no-apt) NO_APT=1; shift; continue ;;
        --no-mosquitto) NO_MOSQUITTO=1; shift; continue ;;
        --no-proxy) NO_PROXY=1; shift; continue ;;
        --checkpoint|--broker-host|--listen|--public-url|--ca-name|--python|--source|--root)
            [ $# -ge 2 ] || die "$1 needs a value (see --help)" ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    case "$1" in
        --checkpoint) CHECKPOINT="$2" ;;
        --broker-host) BROKER_HOSTS+=("$2") ;;
        --listen) LISTEN="$2" ;;
        --public-url) PUBLIC_URL="$2" ;;
        --ca-name) CA_NAME="$2" ;;
        --python) PYTHON="$2" ;;
        --source) SOURCE="$2" ;;
        --root) ROOT="$2" ;;
    esac
    shift 2
done

# --- check everything before changing anything ----------------------------------------
[ -n "$CHECKPOINT" ] || die "--checkpoint is required (e.g. --checkpoint temirbaba)"
[[ "$CHECKPOINT" =~ $SEGMENT ]] || die "checkpoint '$CHECKPOINT' may hold only letters, digits, '-' and '_' (1 to 64)"
[ ${#BROKER_HOSTS[@]} -gt 0 ] || die "give at least one --broker-host (the name the lane boxes use for the broker)"
for host in "${BROKER_HOSTS[@]}"; do
    [[ "$host" =~ ^[A-Za-z0-9.:-]+$ ]] || die "--broker-host '$host' is not a host name or IP address"
done
HTTP_HOST="${LISTEN%:*}" HTTP_PORT="${LISTEN##*:}"
if [ "$HTTP_HOST" = "$LISTEN" ] || ! [[ "$HTTP_PORT" =~ ^[0-9]{1,5}$ ]] || [ "$HTTP_PORT" -lt 1 ] || [ "$HTTP_PORT" -gt 65535 ]; then
    die "--listen must be HOST:PORT, e.g. 0.0.0.0:8080, not '$LISTEN'"
fi
[[ "$HTTP_HOST" =~ ^[A-Za-z0-9.:-]+$ ]] || die "--listen host '$HTTP_HOST' is not an address"
[ -n "$PUBLIC_URL" ] || PUBLIC_URL="https://${BROKER_HOSTS[0]}:8443"
[[ "$PUBLIC_URL" =~ ^https?://[^[:space:]\"]+$ ]] || die "--public-url must start with http:// or https://, not '$PUBLIC_URL'"
[ -n "$CA_NAME" ] || CA_NAME="$CHECKPOINT checkpoint CA"
[[ "$CA_NAME" != *[\"\\]* ]] || die "--ca-name may not contain quotes or backslashes"
check_root_options
if [ -n "$PYTHON" ] && [ ! -x "$BIN/shekara-hub" ]; then
    die "--python $PYTHON: no shekara-hub beside it (pip install 'shekara[hub]' there first)"
fi
[ "$NO_MOSQUITTO" -eq 1 ] || APT_PACKAGES+=(mosquitto)
[ "$NO_PROXY" -eq 1 ] || APT_PACKAGES+=(nginx-light)

ETC="$ROOT/etc/shekara"
STATE="$ROOT/var/lib/shekara"
HUB_ID="shekara-hub-$CHECKPOINT"

# --- 1. packages, the user, the software ---------------------------------------------------
apt_ensure "${APT_PACKAGES[@]}"
ensure_user "Shekara hub"
install_software hub
[ -n "$PYTHON" ] || for tool in shekara-hub shekara-pki; do
    ln -sfn "$BIN/$tool" "/usr/local/bin/$tool"  # for the operator's shell
done
MOSQUITTO_UID="$(awk -F: '$1 == "mosquitto" {print $3}' "$ROOT/etc/passwd")"
MOSQUITTO_GID="$(awk -F: '$1 == "mosquitto" {print $3}' "$ROOT/etc/group")"
if [ "$NO_MOSQUITTO" -eq 0 ] && [ -n "$MOSQUITTO_UID" ] && ! in_group mosquitto shekara; then
    # Mosquitto reads the ACL, the CRL and its key in the hub's folders through the group.
    usermod "${ROOT_ARGS[@]}" -a -G shekara mosquitto
    note "user mosquitto added to group shekara"
fi

# --- 2. folders -----------------------------------------------------------------------------------
install -d -m 0755 -o 0 -g 0 "$ETC"
install -d -m 0700 -o "$UID_" -g "$GID_" "$ETC/keys"
install -d -m 0750 -o "$UID_" -g "$GID_" "$ETC/pki" "$ETC/broker" "$STATE"
install -d -m 0770 -o "$UID_" -g "$GID_" "$ROOT/var/log/shekara"
if [ -n "$MOSQUITTO_UID" ] && [ "$NO_MOSQUITTO" -eq 0 ]; then
    install -d -m 0750 -o "$MOSQUITTO_UID" -g "$MOSQUITTO_GID" "$STATE/mosquitto"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 3. keys --------------------------------------------------------------------------------------
for which in log witness; do
    if [ -f "$ETC/keys/$which.key" ]; then
        say "keys: $which key exists (/etc/shekara/keys/$which.key)"
    else
        "$BIN/shekara-hub" cert keygen "$ETC/keys/$which.key" >/dev/null
        chown "$UID_:$GID_" "$ETC/keys/$which.key" "$ETC/keys/$which.key.pub"
        say "keys: made the $which key (/etc/shekara/keys/$which.key)"
    fi
done

# --- 4. hub.toml --------------------------------------------------------------------------------
# set_key FILE KEY VALUE: the first line setting KEY (commented or not) becomes
# `KEY = VALUE`; later live lines of KEY go; a key the file lacks is appended.
set_key() {
    awk -v k="$2" -v v="$3" '
        $0 ~ ("^#? *" k " *=") {
            if (!done) { print k " = " v; done = 1; next }
            if ($0 !~ /^#/) next
        }
        { print }
        END { if (!done) print k " = " v }' "$1" > "$1.new"
    mv "$1.new" "$1"
}
CONF="$ETC/hub.toml"
if [ -f "$CONF" ]; then
    say "config: $CONF exists and is yours: left as it is"
else
    secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(36))'; }
    draft="$work/hub.toml"
    "$BIN/shekara-hub" init-config "$draft" >/dev/null
    pki=/etc/shekara/pki
    while read -r key value; do set_key "$draft" "$key" "$value"; done <<EOF
env "production"
checkpoint "$CHECKPOINT"
db_path "/var/lib/shekara/hub.db"
sqlite_synchronous "FULL"
mqtt_host "127.0.0.1"
mqtt_port 8883
mqtt_tls_ca_file "$pki/ca.crt"
mqtt_tls_cert_file "$pki/clients/$HUB_ID.crt"
mqtt_tls_key_file "$pki/clients/$HUB_ID.key"
broker_acl_file "/etc/shekara/broker/broker.acl"
broker_reload_command []
pki_dir "$pki"
http_host "$HTTP_HOST"
http_port $HTTP_PORT
journal_key "$(secret)"
form_secret "$(secret)"
log_key_file "/etc/shekara/keys/log.key"
witness_key_file "/etc/shekara/keys/witness.key"
public_url "$PUBLIC_URL"
EOF
    {
        echo
        echo "# Written by deploy/hub/install.sh.  The two secrets above are this hub's own:"
        echo "# this file is readable by root and the hub only.  The broker's ACL is reloaded by"
        echo "# shekara-broker-reload.path, hence the empty broker_reload_command."
    } >> "$draft"
    install -m 0640 -o 0 -g "$GID_" "$draft" "$CONF"
    say "config: wrote $CONF (production; secrets generated)"
fi
runtime="$work/runtime.toml"
runtime_copy "$CONF" "$runtime"
hub() { "$BIN/shekara-hub" "$@" --config "$runtime"; }

# --- 5. the checkpoint PKI (deploy/pki/README.md) ------------------------------------------
PKI="$ETC/pki"
if [ -f "$PKI/ca.key" ]; then
    say "pki: the CA exists ($PKI/ca.crt)"
else
    "$BIN/shekara-pki" ca --dir "$PKI" --name "$CA_NAME" >/dev/null
    say "pki: made the checkpoint CA '$CA_NAME' ($PKI/ca.crt)"
fi
if [ -f "$PKI/server.crt" ]; then
    say "pki: the broker's certificate exists"
else
    # The hub itself connects to 127.0.0.1 (mqtt_host), so that name is in it too.
    host_args=()
    for host in "${BROKER_HOSTS[@]}" 127.0.0.1 localhost; do
        [[ " ${host_args[*]} " == *" $host "* ]] || host_args+=(--host "$host")
    done
    "$BIN/shekara-pki" server --dir "$PKI" "${host_args[@]}" >/dev/null
    say "pki: made the broker's certificate for ${BROKER_HOSTS[*]}"
fi
if [ -f "$PKI/clients/$HUB_ID.crt" ]; then
    say "pki: the hub's client certificate exists ($HUB_ID)"
else
    "$BIN/shekara-pki" hub "$HUB_ID" --dir "$PKI" >/dev/null
    say "pki: made the hub's client certificate ($HUB_ID)"
fi
# The hub writes here (enrolment, revocation); Mosquitto reads its key and the CRL.
chown -R "$UID_:$GID_" "$PKI"
chmod 0640 "$PKI/crl.pem"
if [ -n "$MOSQUITTO_UID" ] && [ "$NO_MOSQUITTO" -eq 0 ]; then
    chgrp "$MOSQUITTO_GID" "$PKI/server.key"
    chmod 0640 "$PKI/server.key"
fi

# --- 6. the database and the broker's ACL ------------------------------------------------------
if [ -f "$STATE/hub.db" ]; then
    say "database: $STATE/hub.db exists"
else
    hub device list >/dev/null  # opening it creates it and applies the schema
    say "database: created $STATE/hub.db"
fi
chown "$UID_:$GID_" "$STATE/hub.db"
chmod 0640 "$STATE/hub.db"
if [ -f "$ETC/broker/broker.acl" ]; then
    say "broker ACL: exists (the hub rewrites it on every enrolment and revocation)"
else
    hub broker acl --write >/dev/null
    say "broker ACL: wrote /etc/shekara/broker/broker.acl"
fi
chown "$UID_:$GID_" "$ETC/broker/broker.acl"
chmod 0640 "$ETC/broker/broker.acl"

# --- 7. Mosquitto ------------------------------------------------------------------------------------
MOSQ_CONF="$ROOT/etc/mosquitto/conf.d/shekara.conf"
mosquitto_changed=0
if [ "$NO_MOSQUITTO" -eq 1 ]; then
    say "mosquitto: left alone (--no-mosquitto); its config is deploy/mosquitto/shekara.conf"
else
    # The ACL lives in /etc/shekara/broker/, a folder the hub may write (ReadWritePaths).
    text="$(sed 's|^acl_file .*|acl_file /etc/shekara/broker/broker.acl|' "$REPO/deploy/mosquitto/shekara.conf")"
    if [ -f "$MOSQ_CONF" ] && [ "$(cat "$MOSQ_CONF")" = "$text" ]; then
        say "mosquitto: $MOSQ_CONF unchanged"
    else
        install -d -m 0755 "$(dirname "$MOSQ_CONF")"
        printf '%s\n' "$text" > "$MOSQ_CONF"
        chmod 0644 "$MOSQ_CONF"
        say "mosquitto: wrote $MOSQ_CONF"
        mosquitto_changed=1
    fi
fi

# --- 8. nginx: HTTPS in front of the hub ----------------------------------------------------
SITE="$ROOT/etc/nginx/sites-available/shekara"
proxy_changed=0
if [ "$NO_PROXY" -eq 1 ]; then
    say "nginx: left alone (--no-proxy); the site is deploy/hub/nginx-shekara.conf"
else
    text="$(sed "s|proxy_pass http://127.0.0.1:8080;|proxy_pass http://$HTTP_HOST:$HTTP_PORT;|" \
                "$HERE/nginx-shekara.conf")"
    if [ -f "$SITE" ] && [ "$(cat "$SITE")" = "$text" ]; then
        say "nginx: $SITE unchanged"
    else
        install -d -m 0755 "$(dirname "$SITE")" "$ROOT/etc/nginx/sites-enabled"
        printf '%s\n' "$text" > "$SITE"
        chmod 0644 "$SITE"
        say "nginx: wrote $SITE (HTTPS on 8443 with the broker's certificate)"
        proxy_changed=1
    fi
    ln -sfn /etc/nginx/sites-available/shekara "$ROOT/etc/nginx/sites-enabled/shekara"
fi

# --- 9. the services ------------------------------------------------------------------------------
for unit in "${UNITS[@]}"; do place_unit "$unit"; done
enable_units shekara-hub.service shekara-broker-reload.path shekara-crl.timer
if systemd_online; then
    if [ "$NO_MOSQUITTO" -eq 0 ]; then
        # Debian starts the packaged broker on its default listener: ours replaces it.
        if [ "$mosquitto_changed" -eq 1 ] || ! systemctl is-active --quiet mosquitto; then
            systemctl restart mosquitto
        fi
    fi
    if [ "$NO_PROXY" -eq 0 ] && { [ "$proxy_changed" -eq 1 ] || ! systemctl is-active --quiet nginx; }; then
        nginx -t -q && systemctl reload-or-restart nginx
    fi
    systemctl start shekara-broker-reload.path shekara-crl.timer
    if [ "$UNITS_CHANGED" -gt 0 ] || ! systemctl is-active --quiet shekara-hub; then
        systemctl restart shekara-hub
    fi
    say "services: running (journalctl -u shekara-hub -f)"
else
    say "services: start at the next boot (no running systemd here)"
fi

say "done.  Next:"
note "an admin login:   sudo -u shekara $BIN/shekara-hub user add admin --role admin --config /etc/shekara/hub.toml"
note "this hub's keys (give the log key to the neighbour's witness_for and to verifiers):"
hub cert keys | sed 's/^/      /'
note "lanes: deploy/edge/install.sh ... --broker ${BROKER_HOSTS[0]}:8883 --hub https://${BROKER_HOSTS[0]}:8443 --hub-ca ca.crt"
note "      (ca.crt is /etc/shekara/pki/ca.crt: copy it to the lane box)"
