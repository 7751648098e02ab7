#!/usr/bin/env python3
"""Data-parallel scaling of `senti train` on this machine's CPU cores (docs/distributed.md):
samples/s of the training phase for one process with 1 and with 2 threads, and for mpirun with 2
and 3 ranks of 1 thread each, and each run's time inside the gradient allreduce.

    python3 benchmarks/data_parallel_scaling.py --out DIR [--rounds 3] [--limit 3000]
        [--senti build/senti] [--batch 32]

Workload: the seed recipe (Embedding(10000,128) -> LSTM(64) -> Dense(1), maxlen 500, global batch
--batch) on the first --limit reviews of the shuffled IMDB training split (80 % train, 20 %
validation), one epoch, no test pass; ../shared/data/imdb/aclImdb_v1_labeled.tar.gz. The token
cache is built once before the rounds, so every run only reads it.

Each round runs every configuration once, in an order rotated by round (the machine is noisy:
interleave). Figures come from the run's metrics.jsonl: `samples_per_s` (training phase only, global
samples) and `allreduce_seconds` / `train_seconds` (rank 0's time in MPI_Allreduce, waiting for the
slower rank included). Every rank gets SENTI_CPU_THREADS threads; mpirun runs with --bind-to none
(and --oversubscribe for 3 ranks on 2 cores) and shared-memory transport (btl self,vader).

Writes DIR/records.jsonl, DIR/scaling.json and DIR/scaling.md (median over the rounds, min-max).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import sysinfo  # noqa: E402

CONFIGS = [  # (name, ranks (0 = no launcher), threads per process)
    ("1 process x 2 threads", 0, 2),
    ("1 process x 1 thread", 0, 1),
    ("mpirun -np 2 x 1 thread", 2, 1),
    ("mpirun -np 3 x 1 thread (oversubscribed)", 3, 1),
]


def mpirun_prefix(ranks):
    return ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(ranks)]


def run(senti, archive, cache, workdir, name, ranks, threads, args, seed):
    out = os.path.join(workdir, f"run-{int(time.time() * 1e6)}")
    cmd = [senti, "train", "--device", "cpu", "--no-tensorboard", "--data", archive, "--cache-dir", cache,
           "--preset", "seed", "--limit", str(args.limit), "--epochs", "1", "--test-limit", "0",
           "--batch", str(args.batch), "--seed", str(seed), "--out", out]
    if ranks:
        cmd = mpirun_prefix(ranks) + cmd
    env = dict(os.environ, SENTI_CPU_THREADS=str(threads), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_btl="self,vader")
    t0 = time.time()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit(f"{name}: exit {p.returncode}\n{p.stdout[-3000:]}")
    with open(os.path.join(out, "metrics.jsonl")) as f:
        epoch = [json.loads(line) for line in f if '"epoch"' in line][0]
    return dict(config=name, ranks=max(ranks, 1), threads=threads, seed=seed, wall_s=wall,
                samples_per_s=epoch["samples_per_s"], train_seconds=epoch["train_seconds"],
                allreduce_seconds=epoch.get("allreduce_seconds", 0.0), loss=epoch["loss"],
                val_acc=epoch.get("val_acc"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--senti", default=os.path.join(ROOT, "build", "senti"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "imdb", "aclImdb_v1_labeled.tar.gz"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    records_path = os.path.join(args.out, "records.jsonl")
    with tempfile.TemporaryDirectory() as work:
        cache = os.path.join(work, "cache")
        # Build the token cache once, untimed.
        subprocess.run([args.senti, "prepare", "--data", args.data, "--cache-dir", cache], check=True,
                       stdout=subprocess.DEVNULL)
        records = []
        for r in range(args.rounds):
            order = CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]
            for name, ranks, threads in order:
                rec = run(args.senti, args.data, cache, work, name, ranks, threads, args, seed=1337)
                rec["round"] = r + 1
                records.append(rec)
                with open(records_path, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                print(f"round {r + 1}: {name}: {rec['samples_per_s']:.1f} samples/s, allreduce "
                      f"{rec['allreduce_seconds']:.2f} of {rec['train_seconds']:.2f} s", flush=True)
    summary = []
    base = None
    for name, ranks, threads in CONFIGS:
        rs = [x for x in records if x["config"] == name]
        sps = [x["samples_per_s"] for x in rs]
        share = [x["allreduce_seconds"] / x["train_seconds"] for x in rs]
        row = dict(config=name, ranks=max(ranks, 1), threads=threads, samples_per_s=statistics.median(sps),
                   samples_per_s_min=min(sps), samples_per_s_max=max(sps),
                   allreduce_share=statistics.median(share), loss=statistics.median(x["loss"] for x in rs))
        if base is None:
            base = row["samples_per_s"]
        row["vs_1x2"] = row["samples_per_s"] / base
        summary.append(row)
    info = sysinfo.machine_info("cpu", ROOT)
    info["blas"] = sysinfo.senti_blas(args.senti)
    with open(os.path.join(args.out, "scaling.json"), "w") as f:
        json.dump(dict(machine=info, args=vars(args), summary=summary, records=records), f, indent=1)
    blas = info["blas"]
    lines = [f"# senti data-parallel scaling: {info.get('cpu')} ({info.get('cores')} cores), commit {info.get('commit')}",
             "",
             f"BLAS: OpenBLAS {blas.get('openblas')} ({blas.get('parallel')}), kernel core {blas.get('corename')}; "
             "senti's training GEMMs: libxsmm JIT (`senti train` prints it); each process SENTI_CPU_THREADS "
             "threads; Open MPI shared memory (btl self,vader), --bind-to none.",
             "",
             f"Seed recipe, --limit {args.limit} (80 % trained), global batch {args.batch}, 1 epoch, "
             f"{args.rounds} interleaved rounds; median (min-max).",
             "",
             "| configuration | samples/s | vs 1 process x 2 threads | allreduce share of training | train loss |",
             "| --- | --- | --- | --- | --- |"]
    for row in summary:
        lines.append(f"| {row['config']} | {row['samples_per_s']:.1f} ({row['samples_per_s_min']:.1f}-"
                     f"{row['samples_per_s_max']:.1f}) | {row['vs_1x2']:.2f} | {100 * row['allreduce_share']:.1f} % "
                     f"| {row['loss']:.4f} |")
    with open(os.path.join(args.out, "scaling.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
