#!/usr/bin/env bash
# A simulated cluster on one machine (docs/distributed.md, "Cost model"): 2..4 "hosts" as network
# namespaces snh0.. joined by veth pairs to a bridge, each link shaped with tc (token bucket) to a
# profile's bandwidth, and mpirun starting one rank in each (Open MPI over TCP between them;
# benchmarks/cluster/netns_rsh.sh stands in for ssh). Per profile and host count it measures
#   * the gradient allreduce alone: `senti bench --allreduce --json` (the seed model's 1.33 M floats)
#   * a real training epoch: `senti train` on the seed recipe, rank 0's time inside the allreduce
#     against its training time (metrics.jsonl)
# and writes DIR/cluster.jsonl (one record each) and DIR/cluster.md.
#
#   sudo benchmarks/simulated_cluster.sh --out DIR [--hosts "2 3 4"] [--profiles "none 25gbe 10gbe"]
#        [--senti build/senti] [--limit 1200] [--steps 30]
#
# Profiles (per direction, both veth ends of every host shaped): 10gbe = 10 Gbit/s, 25gbe = 25 Gbit/s,
# 1gbe = 1 Gbit/s (slow enough to bind on a small machine, whose TCP over veth may not reach 10
# Gbit/s: it checks the shaping and the model's bandwidth term), none = the veth pairs unshaped. Bandwidth only: added latency needs tc's netem, which this
# machine's kernel does not have ("Specified qdisc kind is unknown"); the cost model adds the
# latency term by formula (it is 2 (N-1) x ~25 us, small beside the bandwidth term at 5.3 MB). The
# ranks share this machine's cores, so compute per step is the single-process figure and only the
# communication is simulated. Needs root (ip netns, tc), iproute2 and Open MPI; removes what it made
# on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
out="" hosts_list="2 3 4" profiles="none 25gbe 10gbe" senti="build/senti" limit=1200 steps=30
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --hosts) hosts_list=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --senti) senti=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "simulated_cluster: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "simulated_cluster: --out DIR is required" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "simulated_cluster: needs root (ip netns, tc)" >&2; exit 2; }
for tool in ip tc mpirun; do
  command -v "$tool" >/dev/null || { echo "simulated_cluster: '$tool' not found (iproute2, openmpi-bin)" >&2; exit 2; }
done
senti=$(realpath "$senti")
data=$(realpath ../shared/data/imdb/aclImdb_v1_labeled.tar.gz)
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
max_hosts=0
for n in $hosts_list; do [ "$n" -gt "$max_hosts" ] && max_hosts=$n; done

cleanup() {
  for ((i = 0; i < max_hosts; i++)); do ip netns del "snh$i" 2>/dev/null || true; done
  ip link del snb0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip link add snb0 type bridge
ip addr add 10.77.0.254/24 dev snb0
ip link set snb0 up
for ((i = 0; i < max_hosts; i++)); do
  ip netns add "snh$i"
  ip link add "snv$i" type veth peer name eth0 netns "snh$i"
  ip link set "snv$i" master snb0 up
  ip -n "snh$i" addr add "10.77.0.$((i + 1))/24" dev eth0
  ip -n "snh$i" link set eth0 up
  ip -n "snh$i" link set lo up
done

shape() {  # profile: replaces the root qdisc of both ends of every host's veth pair
  local rate
  case "$1" in
    none) for ((i = 0; i < max_hosts; i++)); do
            tc qdisc del dev "snv$i" root 2>/dev/null || true
            tc -n "snh$i" qdisc del dev eth0 root 2>/dev/null || true
          done; return ;;
    1gbe) rate=1gbit ;;
    10gbe) rate=10gbit ;;
    25gbe) rate=25gbit ;;
    *) echo "simulated_cluster: unknown profile '$1'" >&2; exit 2 ;;
  esac
  for ((i = 0; i < max_hosts; i++)); do
    tc qdisc replace dev "snv$i" root tbf rate "$rate" burst 1mb latency 50ms
    tc -n "snh$i" qdisc replace dev eth0 root tbf rate "$rate" burst 1mb latency 50ms
  done
}

launch() {  # hosts, then the command
  local n=$1; shift
  : > "$work/hostfile"
  for ((i = 0; i < n; i++)); do echo "10.77.0.$((i + 1)) slots=1" >> "$work/hostfile"; done
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 SENTI_CPU_THREADS=1 \
    timeout -k 5 900 mpirun --hostfile "$work/hostfile" --mca plm_rsh_agent "$PWD/benchmarks/cluster/netns_rsh.sh" \
    --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    -x SENTI_CPU_THREADS --bind-to none -np "$n" "$@"
}

"$senti" prepare --data "$data" --cache-dir "$work/cache" >/dev/null 2>&1
train_flags=(train --device cpu --no-tensorboard --data "$data" --cache-dir "$work/cache" --preset seed
             --limit "$limit" --epochs 1 --test-limit 0)
# Compute per step without any communication: one process, one thread.
SENTI_CPU_THREADS=1 "$senti" "${train_flags[@]}" --out "$work/single" >/dev/null
single=$(grep '"epoch"' "$work/single/metrics.jsonl")
echo "{\"single_process\": $single}" >> "$out/cluster.jsonl"
for profile in $profiles; do
  shape "$profile"
  for n in $hosts_list; do
    bench=$(launch "$n" "$senti" bench --allreduce --json --steps "$steps" --warmup 5 | grep '^{')
    launch "$n" "$senti" "${train_flags[@]}" --out "$work/train-$profile-$n" >/dev/null
    epoch=$(grep '"epoch"' "$work/train-$profile-$n/metrics.jsonl")
    echo "{\"profile\": \"$profile\", \"hosts\": $n, \"allreduce\": $bench, \"epoch\": $epoch}" >> "$out/cluster.jsonl"
    echo "$profile, $n hosts: $bench"
  done
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
recs = [json.loads(l) for l in open(f"{out}/cluster.jsonl")]
single = [r["single_process"] for r in recs if "single_process" in r][-1]
step_ms = 1000 * single["train_seconds"] / (single["samples_per_s"] * single["train_seconds"] / 32)
lines = ["| network | hosts | allreduce median ms (min) | bus GB/s | training: allreduce share | samples/s |",
         "| --- | --- | --- | --- | --- | --- |"]
for r in recs:
    if "profile" not in r: continue
    a, e = r["allreduce"], r["epoch"]
    lines.append(f"| {r['profile']} | {r['hosts']} | {a['median_ms']:.2f} ({a['min_ms']:.2f}) | {a['bus_gb_per_s']:.2f} "
                 f"| {100 * e['allreduce_seconds'] / e['train_seconds']:.1f} % | {e['samples_per_s']:.1f} |")
lines.append("")
lines.append(f"One process, one thread, no communication: {single['samples_per_s']:.1f} samples/s = "
             f"{step_ms:.1f} ms per step of 32.")
open(f"{out}/cluster.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
