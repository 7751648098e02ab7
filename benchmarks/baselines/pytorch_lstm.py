#!/usr/bin/env python3
"""The seed model and recipe in PyTorch, timed the way `senti bench` times itself.

  Embedding(V, E) -> LSTM(H) (cuDNN on a GPU) -> Linear(H, 1), BCE with logits,
  Adam(lr 1e-3, eps 1e-7), each parameter tensor clipped to norm 0.1 (Keras clipnorm).

Keras semantics kept:
  * gate order: PyTorch's i,f,g,o is Keras's i,f,c,o; weight_ih (4H, E) is Keras's kernel transposed.
  * one bias: PyTorch's LSTM has bias_ih and bias_hh; bias_ih plays the Keras bias (forget block 1)
    and bias_hh stays 0 and frozen, so the function and the trained variables are Keras's.
  * initialisers: Embedding U(-0.05, 0.05), glorot-uniform kernels (Linear too), orthogonal
    recurrent kernel, zero biases but the forget gate's 1.
  * padded variant (default): all T steps run, pads included, the last step's h feeds the Dense layer,
    exactly as the Keras model without masking. `--packed`: pack_padded_sequence, so the LSTM stops at
    each review's true length (a different model function; PyTorch's idiomatic variable-length path).
  * Adam: `--adam torch` (default) is torch.optim.Adam(eps=1e-7), fused on CUDA and foreach on the
    CPU, PyTorch's fastest. It adds eps to sqrt(v_hat) where Keras adds it to sqrt(v) with a
    bias-corrected step size: the same update up to eps * sqrt(1 - beta2^t), i.e. below 1e-7 relative.
    `--adam keras` applies Keras's update literally with torch._foreach ops.
  * loss: BCE with logits (numerically the stable form of Keras's sigmoid + binary_crossentropy,
    which clips probabilities to [1e-7, 1 - 1e-7]).
  * precision: `--tf32 off` (default) pins torch.backends.cudnn.allow_tf32 and
    torch.backends.cuda.matmul.allow_tf32 to False, so cuDNN's LSTM runs plain fp32 FMA math as
    senti's does (CUDNN_FMA_MATH): the fair fp32 comparison. `--tf32 default` keeps PyTorch's own
    defaults (cuDNN may use TF32 tensor cores); run_all.py reports it as a second row. The flags in
    effect are in the JSON record (tf32_flags).
"""
import argparse
import math
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402


class SeedModel(nn.Module):
    def __init__(self, vocab, embed, hidden, packed):
        super().__init__()
        self.packed = packed
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.dense = nn.Linear(hidden, 1)
        with torch.no_grad():
            nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
            nn.init.xavier_uniform_(self.lstm.weight_ih_l0)  # fan_in E, fan_out 4H, as Keras
            nn.init.orthogonal_(self.lstm.weight_hh_l0)      # (4H, H): the transpose of Keras's
            self.lstm.bias_ih_l0.zero_()
            self.lstm.bias_ih_l0[hidden:2 * hidden] = 1.0    # unit_forget_bias
            self.lstm.bias_hh_l0.zero_()
            nn.init.xavier_uniform_(self.dense.weight)
            self.dense.bias.zero_()
        self.lstm.bias_hh_l0.requires_grad_(False)

    def forward(self, ids, lengths):
        x = self.embedding(ids)
        if self.packed:
            x = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(x)
        return self.dense(h[-1]).squeeze(1)


class KerasAdam:
    """Keras 3's Adam: m += (g-m)(1-b1); v += (g²-v)(1-b2); θ -= α·m/(√v+ε), α = lr·√(1-b2^t)/(1-b1^t)."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.params = list(params)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        grads = [p.grad for p in self.params]
        torch._foreach_lerp_(self.m, grads, 1 - self.b1)
        torch._foreach_lerp_(self.v, torch._foreach_mul(grads, grads), 1 - self.b2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(self.params, self.m, denom, value=-alpha)


def make_optimizer(kind, params, device):
    if kind == "keras":
        return KerasAdam(params)
    fast = {"fused": True} if device.type == "cuda" else {"foreach": True}
    return torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, **fast)


def make_trainer(model, opt, clipnorm=0.1):
    params = [p for p in model.parameters() if p.requires_grad]

    def train_step(ids, labels, lengths):
        opt.zero_grad(set_to_none=True)
        logits = model(ids, lengths)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        for p in params:  # Keras clipnorm clips each variable on its own
            torch.nn.utils.clip_grad_norm_(p, clipnorm)
        opt.step()
        return loss, logits

    return train_step


def to_device(batches, device):
    """Host tensors (pinned on CUDA, so the per-step copy is async as senti's is); lengths stay on the
    host because pack_padded_sequence wants them there."""
    out = []
    for ids, labels, lengths in batches:
        ids_t, labels_t = torch.from_numpy(ids), torch.from_numpy(labels)
        if device.type == "cuda":
            ids_t, labels_t = ids_t.pin_memory(), labels_t.pin_memory()
        out.append((ids_t, labels_t, torch.from_numpy(lengths)))
    return out


def set_tf32(mode):
    """off: IEEE fp32 in cuDNN and cuBLAS (the legacy setters keep the new fp32_precision API
    consistent, so both stay readable); default: leave PyTorch's defaults. Returns the flags in effect."""
    if mode == "off":
        try:
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        except (AttributeError, RuntimeError):  # a torch without the legacy setters: the new API
            torch.backends.cudnn.rnn.fp32_precision = "ieee"
            torch.backends.cudnn.conv.fp32_precision = "ieee"
            torch.backends.cuda.matmul.fp32_precision = "ieee"
    flags = {}
    readers = {"cudnn.allow_tf32": lambda: torch.backends.cudnn.allow_tf32,
               "cuda.matmul.allow_tf32": lambda: torch.backends.cuda.matmul.allow_tf32,
               "cudnn.rnn.fp32_precision": lambda: torch.backends.cudnn.rnn.fp32_precision}
    for name, read in readers.items():
        try:
            flags[name] = read()
        except (AttributeError, RuntimeError) as e:  # older torch, or a mixed-API state
            flags[name] = f"unreadable ({type(e).__name__})"
    return flags


def cpu_kernels():
    """What runs torch's CPU math here: its BLAS (build info), the CPU capability its dispatch chose
    (ATEN_CPU_CAPABILITY overrides it), whether oneDNN (MKLDNN) is on, the parallel backend, and the
    environment variables that change any of these."""
    show = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", show)
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", show)
    onednn = re.search(r"MKL-DNN (v[\d.]+)", show)
    backend = re.search(r"ATen parallel backend: (.+)", torch.__config__.parallel_info())
    return dict(library=blas.group(1) if blas else "unknown", detail=f"MKL {mkl.group(1)}" if mkl else None,
                cpu_capability=torch.backends.cpu.get_cpu_capability(),
                mkldnn=torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
                onednn=onednn.group(1) if onednn else None,
                parallel=backend.group(1).strip() if backend else None,
                env={k: os.environ[k] for k in ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS",
                                                 "OMP_WAIT_POLICY", "OMP_NUM_THREADS") if k in os.environ})


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(args, shape, device, train_step):
    batches, data_name = common.batches_for(args, shape)
    host = to_device(batches, device)

    def run(k):
        ids, labels, lengths = host[k]
        train_step(ids.to(device, non_blocking=True), labels.to(device, non_blocking=True), lengths)

    for k in range(args.warmup):
        run(k)
    sync(device)
    clock = common.StepClock()
    clock.start()
    for k in range(args.warmup, args.warmup + args.steps):
        run(k)
        clock.tick()
    sync(device)
    clock.stop()
    return clock.summary(), data_name


@torch.no_grad()
def accuracy(model, split, device, batch=256):
    ids, labels, lengths = split
    model.eval()
    correct = 0
    for s in range(0, len(labels), batch):
        logits = model(torch.from_numpy(ids[s:s + batch]).to(device), torch.from_numpy(lengths[s:s + batch]))
        correct += int(((logits > 0).float().cpu().numpy() == labels[s:s + batch]).sum())
    model.train()
    return correct / len(labels)


def full_recipe(args, shape, device, model, train_step):
    test, train, val, load_s = common.load_for_full(args, shape)
    ids, labels, lengths = train
    rng = np.random.default_rng(args.seed)
    b = shape["batch"]
    t0 = time.perf_counter()
    steps = 0
    for epoch in range(args.epochs):
        order = rng.permutation(len(labels))  # Keras fit(shuffle=True) reshuffles every epoch
        for s in range(0, len(order), b):
            rows = order[s:s + b]
            train_step(torch.from_numpy(ids[rows]).to(device), torch.from_numpy(labels[rows]).to(device),
                       torch.from_numpy(lengths[rows]))
            steps += 1
        val_acc = accuracy(model, val, device)
        print(f"epoch {epoch + 1}/{args.epochs}: val_accuracy {val_acc:.4f} "
              f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    sync(device)
    train_s = time.perf_counter() - t0
    test_acc = accuracy(model, test, device)
    return dict(epochs=args.epochs, train_steps=steps, train_wall_s=train_s, load_s=load_s, val_accuracy=val_acc,
                test_accuracy=test_acc)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(p)
    p.add_argument("--packed", action="store_true", help="pack_padded_sequence variable-length variant")
    p.add_argument("--adam", choices=["torch", "keras"], default="torch")
    p.add_argument("--tf32", choices=["off", "default"], default="off",
                   help="off: fp32 without TF32 (as senti); default: PyTorch's defaults")
    args = p.parse_args()
    shape = common.resolve_shape(args)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no GPU")
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tf32_flags = set_tf32(args.tf32)
    if use_cuda:
        torch.backends.cudnn.benchmark = True
        desc = f"cuda ({torch.cuda.get_device_name()}, cuDNN {torch.backends.cudnn.version()})"
    else:
        desc = f"cpu ({torch.get_num_threads()} threads)"

    model = SeedModel(shape["vocab"], shape["embed"], shape["hidden"], args.packed).to(device)
    opt = make_optimizer(args.adam, [p for p in model.parameters() if p.requires_grad], device)
    train_step = make_trainer(model, opt)
    variant = (("packed" if args.packed else "padded") + ("" if args.adam == "torch" else "+keras-adam")
               + ("" if args.tf32 == "off" else "+tf32-default"))
    extra = dict(version=torch.__version__, adam=args.adam, tf32=args.tf32, tf32_flags=tf32_flags,
                 threads=torch.get_num_threads(), blas=cpu_kernels())
    if args.full:
        extra.update(full_recipe(args, shape, device, model, train_step))
        timing = dict(ms_per_step=1e3 * extra["train_wall_s"] / extra["train_steps"], median_ms=None)
        data_name = "imdb"
    else:
        timing, data_name = bench(args, shape, device, train_step)
    common.emit(common.record("pytorch", variant, device.type, desc, shape, args, timing, data_name, extra),
                args.json)


if __name__ == "__main__":
    main()
