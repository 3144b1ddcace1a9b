#!/bin/sh
# Mosquitto in the compose stack, on deploy/mosquitto/shekara.conf with three lines
# changed: the ACL is in the shared `broker` volume, the log goes to stdout, and the
# CRL and the ACL are reloaded (SIGHUP) when the hub rewrites them, which a systemd
# path unit does on a host (deploy/systemd/shekara-broker-reload.path).
set -eu
conf="${SHEKARA_CONF_OUT:-/tmp/mosquitto.conf}"
sed -e 's|^acl_file .*|acl_file /etc/shekara/broker/broker.acl|' \
    -e 's|^log_dest .*|log_dest stdout|' \
    /etc/shekara/mosquitto/shekara.conf > "$conf"
"${MOSQUITTO:-mosquitto}" -c "$conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
stamp() { cat /etc/shekara/broker/broker.acl /etc/shekara/pki/crl.pem 2>/dev/null | cksum; }
last="$(stamp)"
while kill -0 "$pid" 2>/dev/null; do
    sleep 5 &
    wait $! || true
    now="$(stamp)"
    if [ "$now" != "$last" ]; then
        kill -HUP "$pid" 2>/dev/null || true
        last="$now"
    fi
done
wait "$pid"
