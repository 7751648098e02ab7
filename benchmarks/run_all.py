#!/usr/bin/env python3
"""senti against every framework baseline on this machine, interleaved, in one table.

    python3 benchmarks/run_all.py --out benchmarks/results/today        # speed: seed and B256
    python3 benchmarks/run_all.py --full --epochs 20 --out DIR            # time to accuracy

Speed mode runs, for each configuration and for R rounds, senti bench, then the PyTorch baseline
(padded and pack_padded_sequence variants; fp32 with TF32 off, and `pytorch-tf32` with PyTorch's
defaults as a second row), then Keras, all on the same device with the same
thread count and the same timing method (benchmarks/baselines/common.py), one process at a time.
Rounds are interleaved (one run of each framework per round), so drifting load on the machine hits
every framework alike; the table gives min / median / max over the rounds and ratios of medians.
Frameworks that are not installed are skipped with a note. `--full` (time to accuracy) trains the
seed recipe instead, with fastText (fasttext_imdb.py) beside it, and reports min / median / max
training wall time and test accuracy.

Every framework runs with its own threading defaults: OMP_WAIT_POLICY is left unset unless
--omp-wait-policy active|passive says otherwise. Each result states the policy in effect, the CPU
(model, AVX2 / AVX-512), the threads, and the kernels: senti's OpenBLAS and the core it chose,
PyTorch's BLAS, CPU capability and oneDNN, fastText's own code (sysinfo.py).

Writes DIR/benchmarks.md (the table, machine, kernels, commit, commands) and DIR/benchmarks.json
(every raw record too).
"""
import argparse
import datetime
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "baselines"))
sys.path.insert(0, HERE)  # chart.py, sysinfo.py
import common  # noqa: E402
import runners  # noqa: E402
import sysinfo  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(HERE, "results", datetime.date.today().isoformat()),
                   help="folder for benchmarks.md and benchmarks.json")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: cuda when nvidia-smi sees a GPU, else cpu")
    p.add_argument("--configs", default="seed,b256", help="comma list of: " + ",".join(common.PRESETS))
    p.add_argument("--frameworks",
                   help="comma list of: " + ",".join(runners.FRAMEWORKS) + " (default: senti,pytorch,"
                        "pytorch-packed,keras, plus senti-cudnn and pytorch-tf32 on cuda, plus fasttext "
                        "with --full)")
    p.add_argument("--rounds", type=int,
                   help="interleaved rounds, min / median / max over them (default: 3; 1 with --full)")
    p.add_argument("--steps", type=int, help="timed steps per run (default: by device and config)")
    p.add_argument("--warmup", type=int, help="warm-up steps per run (default: by device and config)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="CPU threads for every framework (default: all cores)")
    p.add_argument("--data", metavar="DIR", help="real IMDB (default for speed: synthetic ids)")
    p.add_argument("--senti", help="the senti binary (default: newest build*/senti under the repo)")
    p.add_argument("--senti-before", metavar="BINARY", default="",
                   help="another senti binary (e.g. built from the commit before a change), run as "
                        "framework senti-before in the same interleaved rounds (added to --frameworks)")
    p.add_argument("--python", default=sys.executable, help="python that runs the baselines")
    p.add_argument("--full", action="store_true", help="time to accuracy: the full seed recipe")
    p.add_argument("--epochs", type=int, default=20, help="epochs for --full (the LSTMs; fastText: 5)")
    p.add_argument("--fasttext-args", default="",
                   help="extra flags for baselines/fasttext_imdb.py, e.g. '--epoch 5 --lr 0.5 --dim 50 "
                        "--word-ngrams 2' (its defaults)")
    p.add_argument("--limit", type=int, default=0,
                   help="--full on N training and N test reviews only (0 = all; for smoke runs)")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per single run")
    p.add_argument("--no-chart", action="store_true",
                   help="do not write DIR/ms_per_step.png (benchmarks/chart.py; needs matplotlib)")
    p.add_argument("--omp-wait-policy", choices=["default", "active", "passive"], default="default",
                   help="default: OMP_WAIT_POLICY unset (removed if the caller set it), every framework "
                        "waits as it ships; active / passive: OMP_WAIT_POLICY for every run")
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.full else 3
    return args


def detect_device(want):
    if want != "auto":
        return want
    smi = shutil.which("nvidia-smi")
    if smi and subprocess.run([smi, "-L"], capture_output=True, text=True).returncode == 0:
        return "cuda"
    return "cpu"


def default_steps(device, preset):
    """Enough timed steps for a stable median, few enough that a CPU round takes minutes."""
    if device == "cuda":
        return (20, 200) if preset == "seed" else (10, 100)
    return (3, 20) if preset == "seed" else (2, 6)


def apply_wait_policy(policy, environ):
    """Makes `environ` (which every run inherits) carry the OpenMP wait policy asked for. default
    removes OMP_WAIT_POLICY, so each runtime waits as it ships (PyTorch's libgomp spins a while
    before it sleeps): a policy chosen for the machine's load would favour one framework's threading
    over another's. Returns the policy the runs see ("unset", "ACTIVE" or "PASSIVE") and a note when
    a value inherited from the caller was removed."""
    if policy == "default":
        dropped = environ.pop("OMP_WAIT_POLICY", None)
        return "unset", (f"OMP_WAIT_POLICY={dropped} from the caller's environment removed "
                         "(--omp-wait-policy active|passive sets one)" if dropped else None)
    environ["OMP_WAIT_POLICY"] = policy.upper()
    return policy.upper(), None


def spread(values):
    """(min, median, max) of a non-empty list."""
    return min(values), statistics.median(values), max(values)


def summarise(records, frameworks_order, full=False):
    """One row per (config, framework label): min / median / max over the rounds of ms/step (and,
    for time-to-accuracy runs, of training wall time and test accuracy); "senti ×" compares medians:
    ms/step in speed mode, training wall time with --full (fastText has no step of the LSTM's shape)."""
    groups = {}
    for r in records:
        if "error" in r:
            continue
        groups.setdefault((r["config"], r["label"]), []).append(r)
    rows = []
    for (config, label), rs in groups.items():
        first = rs[0]
        row = dict(config=config, framework=label, runs=len(rs), device_desc=first["device_desc"],
                   threads=first.get("threads"), omp_wait_policy=first.get("omp_wait_policy"),
                   blas=first.get("blas"), ms_per_step=None, spread_ms=None)
        ms = [r["ms_per_step"] for r in rs if r.get("ms_per_step") is not None]
        if ms:
            lo, med, hi = spread(ms)
            b = first["batch"]
            row.update(ms_per_step=med, spread_ms=[lo, hi], samples_per_s=b * 1e3 / med,
                       tokens_per_s=b * first["maxlen"] * 1e3 / med)
        else:
            row["samples_per_s"] = statistics.median(r["samples_per_s"] for r in rs)
        cpu = [r["cpu_ms_per_step"] for r in rs if r.get("cpu_ms_per_step") is not None]
        row["cpu_ms_per_step"] = statistics.median(cpu) if cpu else None
        for k in ("test_accuracy", "val_accuracy", "train_wall_s", "load_s"):
            vals = [r[k] for r in rs if r.get(k) is not None]
            if vals:
                lo, row[k], hi = spread(vals)
                row[k + "_range"] = [lo, hi]
        for k in ("epochs", "split"):
            if first.get(k) is not None:
                row[k] = first[k]
        rows.append(row)
    # The reference row: plain senti, else its first LSTM path (senti cudnn / senti fused).
    senti = {}
    for r in sorted(rows, key=lambda r: r["framework"] != "senti"):
        if r["framework"].split(" ")[0] == "senti":
            senti.setdefault(r["config"], r)
    key = "train_wall_s" if full else "ms_per_step"
    for r in rows:
        # "senti ×": this framework's median time over senti's (> 1: senti is faster); the same from
        # process CPU time, which a loaded shared machine distorts less than wall time.
        s = senti.get(r["config"])
        r["senti_speedup"] = r[key] / s[key] if s and r.get(key) and s.get(key) else None
        r["senti_speedup_cpu_time"] = (r["cpu_ms_per_step"] / s["cpu_ms_per_step"]
                                       if s and r["cpu_ms_per_step"] and s["cpu_ms_per_step"] else None)
    order = {f: i for i, f in enumerate(frameworks_order)}
    rows.sort(key=lambda r: (r["config"], order.get(r["framework"].split(" ")[0], 99), r["framework"]))
    return rows


def _num(v, fmt):
    return "—" if v is None else format(v, fmt)


def _range(r, key, fmt):
    """"min / median / max" of a summary value, or "—"."""
    lo_hi = r.get(key + "_range") if key != "ms_per_step" else r.get("spread_ms")
    if r.get(key) is None or not lo_hi:
        return "—"
    return " / ".join(format(v, fmt) for v in (lo_hi[0], r[key], lo_hi[1]))


def fmt_table(rows, full, device):
    if full:
        head = ["configuration", "framework", "runs", "epochs", "train wall s (min / median / max)",
                "test accuracy (min / median / max)", "senti × (wall)", "ms/step (median)"]
    else:
        head = ["configuration", "framework", "runs", "ms/step (min / median / max)", "samples/s",
                "senti ×"]
        if device == "cpu":
            head += ["CPU-time ms/step", "senti × (CPU time)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["config"], r["framework"], str(r["runs"])]
        if full:
            cells += [str(r.get("epochs", "")), _range(r, "train_wall_s", ".1f"), _range(r, "test_accuracy", ".4f"),
                      _num(r["senti_speedup"], ".2f"), _num(r["ms_per_step"], ".2f")]
        else:
            cells += [_range(r, "ms_per_step", ".2f"), f"{r['samples_per_s']:.0f}", _num(r["senti_speedup"], ".2f")]
            if device == "cpu":
                cells += [_num(r["cpu_ms_per_step"], ".2f"), _num(r["senti_speedup_cpu_time"], ".2f")]
        lines.append("| " + " | ".join(cells) + " |")
    for r in rows:  # senti's own split of a CUDA step (CUDA events, extra steps after the timed ones)
        sp = r.get("split")
        if r["framework"].startswith("senti") and sp:
            lines.append(f"\n{r['framework']} {r['config']}, split of a step over {sp['steps']} steps (ms): "
                         f"copy {sp['copy_ms']:.3f}, forward {sp['forward_ms']:.3f}, "
                         f"backward {sp['backward_ms']:.3f}, clip + Adam {sp['optimizer_ms']:.3f}")
    return "\n".join(lines)


def kernels_md(records):
    """One line per framework label: the kernels (BLAS, chosen core) and threads of its first run."""
    seen = {}
    for r in records:
        if "error" not in r:
            seen.setdefault(r["label"], r)
    return "".join(f"- kernels, {label}: {sysinfo.kernel_line(r)}\n" for label, r in seen.items())


def write_bar_chart(rows, info, device, out_dir):
    """DIR/ms_per_step.png, the bar chart of benchmarks/chart.py; a note when matplotlib is missing."""
    try:
        import chart
    except ImportError:
        return
    rows = [r for r in rows if r["ms_per_step"] is not None]  # fastText trains no steps to chart
    if not rows:
        return
    path = os.path.join(out_dir, "ms_per_step.png")
    try:
        chart.write_chart(rows, info, device, path)
        print(f"wrote {path}")
    except ImportError:
        print("note: matplotlib is not installed: no ms_per_step.png (.venv/bin/python has it)")


def main():
    args = parse_args()
    device = detect_device(args.device)
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in common.PRESETS:
            raise SystemExit(f"--configs: unknown configuration '{c}' (known: {', '.join(common.PRESETS)})")
    if args.full and not args.data:
        args.data = os.path.join(os.path.dirname(ROOT), "shared", "data", "imdb")
    policy, policy_note = apply_wait_policy(args.omp_wait_policy, os.environ)
    env = runners.Env(root=ROOT, python=args.python, senti=args.senti or runners.find_senti(ROOT),
                      device=device, threads=args.threads, data=args.data, timeout=args.timeout,
                      fasttext_args=tuple(shlex.split(args.fasttext_args)),
                      senti_before=args.senti_before)
    if args.frameworks is None:  # TF32 exists only on the GPU: PyTorch's defaults as a second row there
        # senti runs its fused LSTM by default; senti-cudnn is the cuDNN path of the same binary.
        args.frameworks = ("senti" + (",senti-cudnn,pytorch,pytorch-tf32" if device == "cuda" else ",pytorch")
                           + ",pytorch-packed,keras" + (",fasttext" if args.full else ""))
    wanted = [f for f in args.frameworks.split(",") if f]
    if args.senti_before and "senti-before" not in wanted:
        wanted.insert(1 if wanted[:1] == ["senti"] else 0, "senti-before")
    available, notes = runners.available(env, wanted, full=args.full)
    notes = ([policy_note] if policy_note else []) + notes
    for n in notes:
        print(f"note: {n}", flush=True)
    if not available:
        raise SystemExit("no framework available to run")
    info = sysinfo.machine_info(device, ROOT)
    info["omp_wait_policy"] = policy
    # What senti's BLAS is here (the same environment its runs get, OPENBLAS_CORETYPE included).
    senti_blas = {fw: sysinfo.senti_blas(runners.senti_binary(env, fw))
                  for fw in available if fw.startswith("senti")}
    flags = ", ".join(f"{f} {'yes' if v else 'no'}" for f, v in info["cpu_flags"].items())
    print(f"run_all: {device}, {info['cpu']} ({flags}), {args.threads} threads, OMP_WAIT_POLICY {policy}, "
          f"frameworks: {', '.join(available)}; commit {info['commit']}", flush=True)

    records = []
    for config in configs:
        warmup, steps = default_steps(device, config)
        warmup = args.warmup if args.warmup is not None else warmup
        steps = args.steps if args.steps is not None else steps
        for rnd in range(args.rounds):
            for fw in available:  # interleaved: one run of each framework per round
                rec = runners.run(env, fw, config, warmup, steps, full=args.full, epochs=args.epochs,
                                  limit=args.limit)
                rec.update(config=config, round=rnd + 1, load_before=os.getloadavg()[0],
                           omp_wait_policy=policy, cpu=info["cpu"], cpu_flags=info["cpu_flags"])
                rec.setdefault("threads", args.threads)
                if fw.startswith("senti"):
                    rec["blas"] = senti_blas[fw]
                records.append(rec)
                if "error" in rec:
                    shown = f"error: {rec['error']}"
                elif args.full:
                    shown = f"{rec['train_wall_s']:.1f} s, test accuracy {rec['test_accuracy']:.4f}"
                else:
                    shown = f"{rec['ms_per_step']:.2f} ms/step, {rec['samples_per_s']:.0f} samples/s"
                print(f"  [{config} round {rnd + 1}/{args.rounds}] {rec['label']}: {shown}", flush=True)

    rows = summarise(records, runners.FRAMEWORKS, full=args.full)
    loads = [r["load_before"] for r in records]
    table = fmt_table(rows, args.full, device)
    print("\n" + kernels_md(records) + "\n" + table)
    os.makedirs(args.out, exist_ok=True)
    mode = (f"full seed recipe, {args.epochs} epochs (fastText: its --epoch, 5 unless --fasttext-args), "
            f"{args.rounds} interleaved rounds" + (f", {args.limit} reviews per split" if args.limit else "")
            if args.full else f"{args.rounds} interleaved rounds")
    ratio = ("senti × = the framework's median training wall time ÷ senti's" if args.full else
             "senti × = senti's samples/s ÷ the framework's (median ms/step over the rounds); "
             "CPU time = the process's user + sys time per step, all threads")
    header = (f"# senti vs framework baselines ({device})\n\n"
              f"- date: {info['date']}\n- machine: {info['host']}, {info['cpu']} ({flags}), {info['cores']} cores"
              + (f", GPU {info['gpu']}" if "gpu" in info else "") + "\n"
              f"- commit: {info['commit']}\n- mode: {mode}; threads {args.threads}; "
              f"OMP_WAIT_POLICY {policy}" + (" (each framework's own default)" if policy == "unset" else "")
              + f"; data {'imdb' if args.data else 'synthetic'}\n- command: `{' '.join(sys.argv)}`\n"
              f"- {ratio}; min / median / max over the rounds\n"
              f"- load average during the runs: {min(loads):.1f} .. {max(loads):.1f}\n")
    notes_md = "".join(f"- note: {n}\n" for n in notes)
    errors_md = "".join(f"- {r['label']} ({r['config']}): {r['error']}\n" for r in records if "error" in r)
    with open(os.path.join(args.out, "benchmarks.md"), "w") as f:
        f.write(header + kernels_md(records) + notes_md + errors_md + "\n" + table + "\n")
    with open(os.path.join(args.out, "benchmarks.json"), "w") as f:
        json.dump(dict(machine=info, device=device, args=vars(args), notes=notes, summary=rows,
                       records=records), f, indent=1)
    print(f"\nwrote {os.path.join(args.out, 'benchmarks.md')} and benchmarks.json")
    if not args.no_chart:
        write_bar_chart(rows, info, device, args.out)
    return 1 if any("error" in r for r in records) else 0

if __name__ == "__main__":
    sys.exit(main())
