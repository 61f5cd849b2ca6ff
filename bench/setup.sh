#!/bin/sh
# Install the comparison tools the benchmarks need (Debian/Ubuntu, run as root).
# bpftrace is the reference; hyperfine is optional (the scripts time runs themselves).
set -eu
need=""
command -v bpftrace >/dev/null 2>&1 || need="$need bpftrace"
command -v hyperfine >/dev/null 2>&1 || need="$need hyperfine"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
if [ -n "$need" ]; then
    apt-get update -qq
    # hyperfine is a convenience only: do not fail when the archive lacks it.
    for pkg in $need; do
        apt-get install -y -qq "$pkg" || [ "$pkg" = hyperfine ]
    done
fi
# tracefs is needed for tracepoint ids (overhead.py's floor measurement).
if [ ! -d /sys/kernel/tracing/events ]; then
    mount -t tracefs nodev /sys/kernel/tracing || true
fi
bpftrace --version
command -v hyperfine >/dev/null 2>&1 && hyperfine --version || echo "hyperfine: not installed"
