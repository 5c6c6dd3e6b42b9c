#!/usr/bin/env bash
# Installs OpenStack sushy-tools (the Redfish emulator the BMC tests and
# bench/bmc run against) into a private Python venv, idempotently, and prints
# the path of its sushy-emulator.
#   hack/sushy.sh            install when missing; print the emulator's path
#   hack/sushy.sh --path     print the path only when installed (exit 1 if not)
# The venv lives in $ANVIL_SUSHY_VENV, else ~/.cache/anvil/sushy-venv. Needs
# python3 with venv and network access to PyPI (CI has both).
set -eu
SUSHY_VERSION=${ANVIL_SUSHY_VERSION:-2.2.0}
venv=${ANVIL_SUSHY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/anvil/sushy-venv}
emu=$venv/bin/sushy-emulator
stamp=$venv/.anvil-sushy-$SUSHY_VERSION

if [ "${1:-}" = --path ]; then
    [ -x "$emu" ] && [ -e "$stamp" ] && { echo "$emu"; exit 0; }
    exit 1
fi
if [ ! -x "$emu" ] || [ ! -e "$stamp" ]; then
    mkdir -p "$(dirname "$venv")"
    if ! python3 -m venv "$venv" >&2; then
        # Debian's python3 ships venv (ensurepip) separately.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            rm -rf "$venv"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2 ||
                { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2; }
        fi
        python3 -m venv "$venv" >&2 ||
            { echo "sushy.sh: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "sushy-tools==$SUSHY_VERSION" >&2 ||
        { echo "sushy.sh: pip install sushy-tools==$SUSHY_VERSION failed" >&2; exit 1; }
    touch "$stamp"
fi
echo "$emu"
