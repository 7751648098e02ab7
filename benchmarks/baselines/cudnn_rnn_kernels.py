#!/usr/bin/env python3
"""Which cuDNN RNN kernels PyTorch runs for the seed model, from its profiler.

    python3 benchmarks/baselines/cudnn_rnn_kernels.py [--tf32 off|default] [--out FILE.md]

A few training steps of the PyTorch baseline (pytorch_lstm.py: the same model, optimizer and
precision flags) at the seed shape (B32 T500 E128 H64, synthetic ids) under torch.profiler; writes
a markdown table of the CUDA kernels by time per step, with the time per call divided by T (cuDNN's
LSTM kernels run once per sequence or once per timestep; persistent ones have "persist" in their
name). Run it with CUDNN_LOGLEVEL_DBG=3 CUDNN_LOGDEST_DBG=FILE and cuDNN's API log names the
algorithm (CUDNN_RNN_ALGO_...) too; scripts/gpu_check.sh does both.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import pytorch_lstm as base  # noqa: E402
import torch  # noqa: E402


def kernel_rows(prof, steps):
    rows = []
    for e in prof.key_averages():
        if "cuda" not in str(getattr(e, "device_type", "")).lower():
            continue
        total = getattr(e, "self_device_time_total", None)
        if total is None:
            total = getattr(e, "self_cuda_time_total", 0)
        if total <= 0:
            continue
        rows.append(dict(name=e.key, calls_per_step=e.count / steps, us_per_step=total / steps,
                         us_per_call=total / max(1, e.count)))
    return sorted(rows, key=lambda r: -r["us_per_step"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tf32", choices=["off", "default"], default="off")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--out", help="markdown table here (default: stdout only)")
    args = p.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("cudnn_rnn_kernels: torch sees no GPU")
    shape = dict(common.SEED)
    flags = base.set_tf32(args.tf32)
    torch.backends.cudnn.benchmark = True  # as the baseline runs
    torch.manual_seed(1234)
    device = torch.device("cuda")
    model = base.SeedModel(shape["vocab"], shape["embed"], shape["hidden"], packed=False).to(device)
    opt = base.make_optimizer("torch", [q for q in model.parameters() if q.requires_grad], device)
    step = base.make_trainer(model, opt)
    batches = common.synthetic_batches(args.warmup + args.steps, shape["batch"], shape["maxlen"],
                                       shape["vocab"], 1234)
    host = base.to_device(batches, device)

    def run(k):
        ids, labels, lengths = host[k]
        step(ids.to(device, non_blocking=True), labels.to(device, non_blocking=True), lengths)

    for k in range(args.warmup):
        run(k)
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for k in range(args.warmup, args.warmup + args.steps):
            run(k)
        torch.cuda.synchronize()
    rows = kernel_rows(prof, args.steps)
    t = shape["maxlen"]
    persistent = any("persist" in r["name"].lower() for r in rows)
    lines = [f"PyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, "
             f"{torch.cuda.get_device_name()}; TF32 {args.tf32} ({json.dumps(flags)}); seed shape "
             f"B{shape['batch']} T{t} H{shape['hidden']}, {args.steps} profiled steps; "
             f"persistent RNN kernels: {'yes' if persistent else 'no'}", "",
             "| CUDA kernel (PyTorch) | calls/step | µs/step | µs/call | µs/call ÷ T |",
             "| --- | --- | --- | --- | --- |"]
    for r in rows[:12]:
        name = r["name"].replace("|", "\\|")
        name = name if len(name) <= 110 else name[:107] + "..."
        lines.append(f"| `{name}` | {r['calls_per_step']:.1f} | {r['us_per_step']:.1f} | "
                     f"{r['us_per_call']:.2f} | {r['us_per_call'] / t:.3f} |")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)
    print(json.dumps(dict(persistent=persistent, tf32=args.tf32, flags=flags, kernels=rows[:12])))


if __name__ == "__main__":
    main()
