#!/usr/bin/env bash
# Open MPI's "remote shell" for the simulated cluster (benchmarks/simulated_cluster.sh): instead of
# ssh-ing to a host, run the command in that host's network namespace on this machine. Open MPI
# calls it as `netns_rsh.sh [options] HOST COMMAND...`; HOST is 10.77.0.<i+1> for namespace snh<i>.
set -euo pipefail
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done  # ssh-style options: none apply here
host=$1
shift
index=$(( ${host##*.} - 1 ))
# Each "host" its own temporary folder: the daemons would otherwise meet in one /tmp under the same
# host name and collide on Open MPI's session directories.
tmp="${TMPDIR:-/tmp}/senti-netns/snh$index"
mkdir -p "$tmp"
exec ip netns exec "snh$index" env TMPDIR="$tmp" /bin/sh -c "$*"
