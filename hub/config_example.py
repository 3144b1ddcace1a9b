"""The commented example of the hub's settings that ``shekara-hub init-config`` writes.

Every key in it is a :class:`hub.config.HubSettings` field (tests/hub/test_hub_config.py).
"""

EXAMPLE_TOML = """\
# Shekara hub configuration.  Every key can also be set as SHEKARA_HUB_<KEY>
# (environment variables win over this file).

env = "development"            # "production" refuses plain MQTT and default secrets or keys
# checkpoint = "temirbaba"     # serve one checkpoint only (also names the MQTT client id)
db_path = "hub.db"
sqlite_synchronous = "NORMAL"  # "FULL" to survive power loss, at some throughput cost

mqtt_host = "127.0.0.1"
mqtt_port = 1883
# mqtt_client_id = "shekara-hub-main"   # must stay fixed: the broker keeps its session
mqtt_keepalive = 30
# mqtt_username = "hub"
# mqtt_password = "..."        # better: SHEKARA_HUB_MQTT_PASSWORD in the environment
# Mutual TLS with the broker (deploy/mosquitto, deploy/pki); required in production
# mqtt_port = 8883
# mqtt_tls_ca_file = "/etc/shekara/pki/ca.crt"
# mqtt_tls_cert_file = "/etc/shekara/pki/clients/shekara-hub-temirbaba.crt"
# mqtt_tls_key_file = "/etc/shekara/pki/clients/shekara-hub-temirbaba.key"
# broker_acl_file = "/etc/shekara/broker.acl"            # rewritten on enrolment, revocation
# broker_reload_command = ["systemctl", "reload", "mosquitto"]
# pki_dir = "/etc/shekara/pki"   # enrolment issues certificates, revocation updates crl.pem

http_host = "127.0.0.1"
http_port = 8080

max_payload_bytes = 65536
gap_resend_after_s = 30.0
batch_max = 500
log_level = "INFO"
log_format = "text"            # "json": one JSON object per line (docs/observability.md)
# metrics_token = "..."        # better: SHEKARA_HUB_METRICS_TOKEN; Prometheus's bearer token

# queue_config = "queue.toml"  # the checkpoint's lanes, capacity and rules
# journal_key = "..."          # better: SHEKARA_HUB_JOURNAL_KEY; 32+ characters
# form_secret = "..."          # better: SHEKARA_HUB_FORM_SECRET; signs the forms' CSRF values
session_hours = 12
session_idle_minutes = 30       # a login unused this long must log in again
notify_deadline_hours = 2       # pre-arrival notifications: hours before the ETA

# Operators' alerts (docs/dashboard.md): evaluated every alert_interval_s seconds
alert_interval_s = 30
alert_offline_minutes = 10      # a device offline, or registered and never seen, this long
alert_outbox_reports = 5        # outbox depth rising over this many status reports...
alert_outbox_floor = 100        # ...and at least this deep
alert_wait_minutes = 240        # longest current wait of a direction
alert_dead_letters = 20         # more than this many dead letters...
alert_dead_letter_minutes = 10  # ...in this many minutes
# alert_webhook_url = "https://alerts.example/shekara"  # raised and cleared alerts, as JSON
# alert_webhook_secret = "..."   # better: SHEKARA_HUB_ALERT_WEBHOOK_SECRET; signs each post
# alert_webhook_allow_http = false  # production posts only over https unless this is true
alert_webhook_timeout_s = 5
alert_webhook_backoff_s = 5     # doubles per failed post, up to 10 minutes
alert_webhook_max_attempts = 50

# Certificate log (docs/certificates.md)
# log_origin = "shekara.temirbaba/log"       # checkpoint origin and log key name
# log_key_file = "/etc/shekara/log.key"      # required in production
# witness_key_file = "/etc/shekara/witness.key"
# witness_name = "shekara.temirbaba/log/witness"
# witness_for = ["shekara.garabogaz/log+1a2b3c4d+AR..."]          # logs this hub cosigns
# witnesses = ["shekara.garabogaz/log/witness+5e6f7a8b+BH... https://garabogaz.example/witness"]
checkpoint_interval_s = 1.0
# public_url = "https://temirbaba.example"   # printed in certificate QR codes
"""
