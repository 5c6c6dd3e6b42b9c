#!/usr/bin/env bash
# Installs every Debian package anvil needs to build, test and run, idempotently.
#   install-deps.sh              install what is missing (root, apt-get)
#   install-deps.sh --if-missing same, silent when everything is present
#   install-deps.sh --list       print the package list
set -eu
PACKAGES=(
    build-essential pkg-config clang libclang-rt-14-dev
    libjansson-dev libyaml-dev libcurl4-openssl-dev libwebsockets-dev libsqlite3-dev
    libev-dev libwebsockets-evlib-ev
    libcmocka-dev libssl-dev zlib1g-dev liblzma-dev libzstd-dev libbz2-dev
    sqlite3 openssl curl ca-certificates iproute2 procps psmisc python3
    ipxe busybox kea-admin kea-dhcp4-server dnsmasq-base tftpd-hpa atftp util-linux
    cpio zstd qemu-system-x86 ipxe-qemu ovmf
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
    # Packages that ship daemons (kea-dhcp4-server, tftpd-hpa) must not
    # start them: the benchmarks start their own in namespaces.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
    # Nor run them at the next boot.
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now kea-dhcp4-server tftpd-hpa >/dev/null 2>&1 || true
    fi
elif [ "${1:-}" != "--if-missing" ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
fi
if ! command -v kubectl >/dev/null 2>&1; then
    echo "install-deps: kubectl is not on PATH; the integration tests need the real kubectl" >&2
    echo "install-deps: (Debian 12 does not package it; install it from your Kubernetes vendor)" >&2
fi
