#!/usr/bin/env bash
# Prepare this host for pydtrace and its tests. Idempotent and quick when
# everything is already in place; safe to run as non-root (it only warns).
#
#  - mounts tracefs at /sys/kernel/tracing (and debugfs) when not mounted;
#  - installs the Debian packages the tests use when a command is missing:
#    gcc and cpp (USDT test programs, -C), PostgreSQL 15 and python3.11
#    (real USDT targets).
set -euo pipefail

log() { printf 'setup-host: %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

mount_fs() { # TYPE DIR
    local type=$1 dir=$2
    [ -d "$dir" ] || return 0
    mountpoint -q "$dir" && return 0
    if ! is_root; then
        log "not root: cannot mount $type at $dir"
        return 0
    fi
    mount -t "$type" nodev "$dir" || log "could not mount $type at $dir"
}

missing_packages() {
    command -v gcc >/dev/null 2>&1 || echo gcc
    command -v cpp >/dev/null 2>&1 || echo cpp
    [ -e /usr/include/x86_64-linux-gnu/asm/unistd_64.h ] || [ -e /usr/include/asm/unistd_64.h ] \
        || [ "$(uname -m)" != x86_64 ] || echo linux-libc-dev
    command -v mountpoint >/dev/null 2>&1 || echo util-linux
    [ -x /usr/lib/postgresql/15/bin/postgres ] || echo postgresql-15
    [ -x /usr/bin/python3.11 ] || echo python3.11
}

install_packages() {
    local -a need
    mapfile -t need < <(missing_packages)
    [ "${#need[@]}" -eq 0 ] && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        log "missing packages (install them by hand): ${need[*]}"
        return 0
    fi
    log "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

install_packages
mount_fs tracefs /sys/kernel/tracing
mount_fs debugfs /sys/kernel/debug
