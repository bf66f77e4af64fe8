#!/usr/bin/env bash
# Install syncd as a hardened systemd service: a venv under /opt/syncd, the config under /etc/syncd, secrets as
# systemd credentials in /etc/syncd/credentials (0600 root), the unit enabled and started. Idempotent: re-run it to
# upgrade (the config and credentials are never overwritten). Run as root from a checkout: sudo deploy/install.sh
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${SYNCD_PREFIX:-/opt/syncd}
ETC=${SYNCD_ETC:-/etc/syncd}
UNIT_DIR=${SYNCD_UNIT_DIR:-/etc/systemd/system}
CREDENTIALS=(strava_client_secret strava_webhook_verify_token web_token email_password database_encryption_key)

die() { echo "install.sh: $1" >&2; exit "${2:-1}"; }

find_python() {
    local p
    for p in "${SYNCD_PYTHON:-}" python3.14 python3.13 python3.12 /usr/bin/python3 python3; do
        [ -n "$p" ] || continue
        if command -v "$p" >/dev/null 2>&1 &&
            "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            command -v "$p"
            return 0
        fi
    done
    return 1
}

py=$(find_python) || die "no Python >= 3.12 found; apt-get install python3 (Debian 13) or set SYNCD_PYTHON" 2
# Debian splits venv's pip bootstrap (ensurepip) into python3-venv: without it `python3 -m venv` fails half-way.
"$py" -c 'import ensurepip' 2>/dev/null ||
    die "$py cannot create virtual environments (no ensurepip); apt-get install python3-venv (or python3.X-venv), then re-run" 2

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0): it writes $PREFIX, $ETC and $UNIT_DIR" 2

echo "install.sh: installing syncd into $PREFIX/venv with $py"
install -d -m 0755 "$PREFIX"
[ -x "$PREFIX/venv/bin/python" ] || "$py" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install --quiet --upgrade pip
"$PREFIX/venv/bin/python" -m pip install --quiet --upgrade "$SRC"
install -d -m 0755 "$PREFIX/src"
cp -r "$SRC/docs" "$PREFIX/src/"

# Config: readable by the service's dynamic user, holds no secrets (those are credentials below).
install -d -m 0755 "$ETC"
if [ ! -e "$ETC/config.toml" ]; then
    install -m 0644 "$SRC/deploy/config.example.toml" "$ETC/config.toml"
    echo "install.sh: wrote $ETC/config.toml; edit it ([strava] client_id, write_back, [web], [email])"
fi

# Credentials: one file per secret, named <section>_<key>; systemd hands them to the service only.
install -d -m 0700 "$ETC/credentials"
for name in "${CREDENTIALS[@]}"; do
    [ -e "$ETC/credentials/$name" ] || install -m 0600 /dev/null "$ETC/credentials/$name"
done
if [ ! -s "$ETC/credentials/strava_webhook_verify_token" ]; then
    "$py" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$ETC/credentials/strava_webhook_verify_token"
fi

install -m 0644 "$SRC/systemd/syncd.service" "$UNIT_DIR/syncd.service"
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable syncd.service
    if [ -s "$ETC/credentials/strava_client_secret" ]; then
        systemctl restart syncd.service
        echo "install.sh: syncd is running; see: systemctl status syncd; journalctl -u syncd"
    else
        echo "install.sh: enabled, not started: put the Strava client secret into $ETC/credentials/strava_client_secret,"
        echo "            set [strava] client_id in $ETC/config.toml, then: systemctl start syncd"
    fi
else
    echo "install.sh: systemd is not running here; the unit is installed at $UNIT_DIR/syncd.service"
fi
cat <<NEXT
Next steps:
  1. Link an athlete (as root, with the service's state directory and credentials):
       systemctl stop syncd
       CREDENTIALS_DIRECTORY=$ETC/credentials STATE_DIRECTORY=/var/lib/syncd \\
           $PREFIX/venv/bin/syncd --config $ETC/config.toml link strava
       systemctl start syncd      # systemd hands the state directory back to the service user
  2. Webhook (optional): expose /webhook/strava over TLS (deploy/Caddyfile), then
       CREDENTIALS_DIRECTORY=$ETC/credentials $PREFIX/venv/bin/syncd --config $ETC/config.toml \\
           webhook subscribe --callback-url https://<host>/webhook/strava
  3. Health:             curl -s http://127.0.0.1:8080/healthz
NEXT
