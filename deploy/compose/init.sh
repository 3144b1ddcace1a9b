#!/bin/sh
# One-shot setup of the compose stack's volumes (the `init` service, run as root):
# the checkpoint PKI (deploy/pki/README.md), the log and witness keys, the database and
# the broker's first ACL.  Idempotent: what exists is kept.
#   SHEKARA_CHECKPOINT  the checkpoint id (hub.toml's checkpoint)
#   SHEKARA_BROKER_HOSTS  names and addresses the lanes reach the broker by, space-separated
set -eu
cp="${SHEKARA_CHECKPOINT:?set SHEKARA_CHECKPOINT}"
pki=/etc/shekara/pki
keys=/etc/shekara/keys
[ -f "$pki/ca.key" ] || shekara-pki ca --dir "$pki" --name "$cp checkpoint CA"
if [ ! -f "$pki/server.crt" ]; then
    set -- --host mosquitto --host localhost
    for host in ${SHEKARA_BROKER_HOSTS:-}; do set -- "$@" --host "$host"; done
    shekara-pki server --dir "$pki" "$@"
fi
[ -f "$pki/clients/shekara-hub-$cp.crt" ] || shekara-pki hub "shekara-hub-$cp" --dir "$pki"
for which in log witness; do
    [ -f "$keys/$which.key" ] || shekara-hub cert keygen "$keys/$which.key"
done
chown -R shekara:shekara "$pki" "$keys" /etc/shekara/broker
chown shekara:shekara /var/lib/shekara  # not -R: the broker's volume is mounted inside
# The broker container (eclipse-mosquitto, uid 1883) reads its key and the CRL, and
# keeps its queues in its own volume.
chgrp 1883 "$pki/server.key" && chmod 0640 "$pki/server.key"
chown 1883:1883 /var/lib/shekara/mosquitto
chmod 0755 "$pki" /etc/shekara/broker && chmod 0644 "$pki/crl.pem"
# The database and the ACL as the hub's user, so the hub can write both.
setpriv --reuid=shekara --regid=shekara --init-groups \
    shekara-hub broker acl --write --config /etc/shekara/hub.toml
shekara-hub cert keys --config /etc/shekara/hub.toml
