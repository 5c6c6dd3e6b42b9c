#!/usr/bin/env bash
# Installs every Debian package anvil needs to build, test and run, idempotently.
#   install-deps.sh              install what is missing (root, apt-get)
#   install-deps.sh --if-missing same, silent when everything is present
#   install-deps.sh --list       print the package list
set -eu
PACKAGES=(
    build-essential pkg-config clang libclang-rt-14-dev
    libjansson-dev libyaml-dev libcurl4-openssl-dev libwebsockets-dev libsqlite3-dev
    libcmocka-dev libssl-dev zlib1g-dev liblzma-dev libzstd-dev
    sqlite3 openssl curl ca-certificates iproute2 procps psmisc python3
)
case "${1:-}" in
--list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
esac
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: need root to apt-get install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
elif [ "${1:-}" != "--if-missing" ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
fi
if ! command -v kubectl >/dev/null 2>&1; then
    echo "install-deps: kubectl is not on PATH; the integration tests need the real kubectl" >&2
    echo "install-deps: (Debian 12 does not package it; install it from your Kubernetes vendor)" >&2
fi
