#!/usr/bin/env python3
"""The data path on a corpus of millions of reviews (docs/benchmarks.md, "Corpora of millions of
reviews"): `senti prepare` throughput and peak memory, then `senti train`'s memory and samples/s on
the prepared corpus for one process and for mpirun -np 2.

    python3 benchmarks/big_corpus.py --csv big.csv --out DIR [--senti build/senti] [--limit 20000]

Make the CSV first: python3 benchmarks/make_big_corpus.py --out big.csv --reviews 5000000.
prepare runs under /usr/bin/time -v (peak RSS, wall). Each training process is sampled every 0.2 s
from /proc/<pid>/status: its peak RSS (VmHWM) and the most of it that was private (RssAnon) and
file-backed (RssFile: the memory-mapped token cache, shared between processes in the page cache).
Training: the seed recipe on --limit reviews of the shuffled train split (80 % trained), one
epoch, no test pass. Writes DIR/big_corpus.json and DIR/big_corpus.md.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import sysinfo  # noqa: E402


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def senti_pids(marker):
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if cmd and os.path.basename(cmd[0].decode(errors="replace")) == "senti" and marker.encode() in b" ".join(cmd):
            pids.append(int(p))
    return pids


def run_sampled(cmd, env, marker):
    """Runs cmd; samples every senti process whose command line holds marker. Returns per-pid peaks."""
    peaks = {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in senti_pids(marker):
                hwm, anon, file_ = (status_kb(pid, k) for k in ("VmHWM", "RssAnon", "RssFile"))
                if hwm is None:
                    continue
                p = peaks.setdefault(pid, dict(hwm_kb=0, anon_kb=0, file_kb=0))
                p["hwm_kb"] = max(p["hwm_kb"], hwm)
                p["anon_kb"] = max(p["anon_kb"], anon or 0)
                p["file_kb"] = max(p["file_kb"], file_ or 0)
            time.sleep(0.2)

    t = threading.Thread(target=sample)
    t.start()
    t0 = time.time()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.time() - t0
    done.set()
    t.join()
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout[-3000:]}")
    return list(peaks.values()), wall, r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--senti", default=os.path.join(ROOT, "build", "senti"))
    ap.add_argument("--limit", type=int, default=20000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.csv))) as work:
        cache = os.path.join(work, "cache")
        p = subprocess.run(["/usr/bin/time", "-v", args.senti, "prepare", "--data", args.csv, "--cache-dir", cache],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr[-3000:])
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
        parts = [float(x) for x in wall.split(":")]
        wall_s = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
        tokens = sum(int(m.replace(",", "")) for m in re.findall(r"([\d,]+) word tokens", p.stdout))
        docs = sum(int(m.replace(",", "")) for m in re.findall(r"(?:train|test)\s+([\d,]+) documents", p.stdout))
        text_bytes = os.path.getsize(args.csv)
        cache_bytes = sum(os.path.getsize(os.path.join(cache, f)) for f in os.listdir(cache))
        prepare = dict(documents=docs, tokens=tokens, csv_bytes=text_bytes, cache_bytes=cache_bytes,
                       wall_s=wall_s, mb_per_s=text_bytes / 1e6 / wall_s, peak_rss_gb=peak_kb / 1e6,
                       rss_bytes_per_token=peak_kb * 1e3 / tokens)
        print(json.dumps(prepare), flush=True)
        train = []
        for ranks in (1, 2):
            out = os.path.join(work, f"train-{ranks}")
            cmd = [args.senti, "train", "--device", "cpu", "--no-tensorboard", "--data", args.csv, "--cache-dir", cache,
                   "--preset", "seed", "--limit", str(args.limit), "--epochs", "1", "--test-limit", "0", "--out", out]
            env = dict(os.environ, SENTI_CPU_THREADS=str(2 if ranks == 1 else 1), OMPI_ALLOW_RUN_AS_ROOT="1",
                       OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_btl="self,vader")
            if ranks > 1:
                cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(ranks)] + cmd
            peaks, wall_s, _ = run_sampled(cmd, env, out)
            with open(os.path.join(out, "metrics.jsonl")) as f:
                epoch = [json.loads(line) for line in f if '"epoch"' in line][0]
            rec = dict(ranks=ranks, threads_per_rank=2 if ranks == 1 else 1, wall_s=wall_s,
                       samples_per_s=epoch["samples_per_s"], processes=peaks)
            print(json.dumps(rec), flush=True)
            train.append(rec)
    info = sysinfo.machine_info("cpu", ROOT)
    with open(os.path.join(args.out, "big_corpus.json"), "w") as f:
        json.dump(dict(machine=info, args=vars(args), prepare=prepare, train=train), f, indent=1)
    lines = [f"# senti on {prepare['documents']:,} reviews ({info.get('cpu')}, {info.get('cores')} cores, commit {info.get('commit')})",
             "",
             f"prepare: {prepare['csv_bytes'] / 1e9:.2f} GB of CSV, {prepare['tokens']:,} tokens in {prepare['wall_s']:.0f} s "
             f"= {prepare['mb_per_s']:.1f} MB/s of text; peak RSS {prepare['peak_rss_gb']:.2f} GB "
             f"({prepare['rss_bytes_per_token']:.1f} bytes a token); token cache {prepare['cache_bytes'] / 1e9:.2f} GB.",
             "",
             "| training | samples/s | per process: peak RSS / most private / most file-backed (GB) |",
             "| --- | --- | --- |"]
    for r in train:
        per = "; ".join(f"{p['hwm_kb'] / 1e6:.2f} / {p['anon_kb'] / 1e6:.2f} / {p['file_kb'] / 1e6:.2f}" for p in r["processes"])
        name = "1 process x 2 threads" if r["ranks"] == 1 else f"mpirun -np {r['ranks']} x 1 thread"
        lines.append(f"| {name} | {r['samples_per_s']:.0f} | {per} |")
    with open(os.path.join(args.out, "big_corpus.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
