#!/usr/bin/env python3
"""PyTorch's float32 error on senti's seed-step gradient-accuracy case, for comparison.

tests/cpu/gradient_accuracy_test.cpp checks that senti's CPU backend computes the gradients of one
seed-shape step (B 32, T 500, Embedding(10000, 128) -> LSTM(64) -> Dense(1), post-padded, no mask)
within a float32 framework's distance of the exact (float64) gradients. This script measures that
distance for PyTorch on the very same step: the test writes the case when SENTI_GRADIENT_CASE_DUMP
names a folder, and this script runs the same model in PyTorch in float32 and in float64 (the
reference) at PyTorch's default settings, printing each tensor's relative L2 error
||g32 - g64|| / ||g64||.

  mkdir -p /tmp/gcase
  SENTI_GRADIENT_CASE_DUMP=/tmp/gcase build/tests/senti_tests --gtest_filter='SeedGradientAcc*'
  python benchmarks/gradient_accuracy.py /tmp/gcase      # needs torch (install_baselines.sh)
"""
import argparse
import pathlib

import numpy as np

V, E, H, B, T = 10000, 128, 64, 32, 500
SHAPES = [("embedding/embeddings", (V, E)), ("lstm/lstm_cell/kernel", (E, 4 * H)),
          ("lstm/lstm_cell/recurrent_kernel", (H, 4 * H)), ("lstm/lstm_cell/bias", (4 * H,)),
          ("dense/kernel", (H, 1)), ("dense/bias", (1,))]


def load(folder):
    ids = np.fromfile(folder / "ids.i32", dtype="<i4").reshape(B, T)
    labels = np.fromfile(folder / "labels.f32", dtype="<f4")
    flat = np.fromfile(folder / "params.f32", dtype="<f4")
    params, at = {}, 0
    for name, shape in SHAPES:
        n = int(np.prod(shape))
        params[name] = flat[at:at + n].reshape(shape)
        at += n
    assert at == flat.size, f"params.f32 holds {flat.size} floats, the seed layout {at}"
    return ids, labels, params


def gradients(torch, ids, labels, params, dtype):
    """Keras's seed model in PyTorch (gate order i, f, g, o is the same), its loss and gradients."""
    emb = torch.nn.Embedding(V, E).to(dtype)
    lstm = torch.nn.LSTM(E, H, batch_first=True).to(dtype)
    dense = torch.nn.Linear(H, 1).to(dtype)
    with torch.no_grad():
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(dtype)
        emb.weight.copy_(t(params["embedding/embeddings"]))
        lstm.weight_ih_l0.copy_(t(params["lstm/lstm_cell/kernel"].T))
        lstm.weight_hh_l0.copy_(t(params["lstm/lstm_cell/recurrent_kernel"].T))
        lstm.bias_ih_l0.copy_(t(params["lstm/lstm_cell/bias"]))
        lstm.bias_hh_l0.zero_()
        dense.weight.copy_(t(params["dense/kernel"].T))
        dense.bias.copy_(t(params["dense/bias"]))
    x = torch.from_numpy(ids.astype(np.int64))
    _, (h_last, _) = lstm(emb(x))
    logits = dense(h_last[0]).squeeze(1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.from_numpy(labels).to(dtype))
    loss.backward()
    g = {"embedding/embeddings": emb.weight.grad, "lstm/lstm_cell/kernel": lstm.weight_ih_l0.grad.T,
         "lstm/lstm_cell/recurrent_kernel": lstm.weight_hh_l0.grad.T,
         "lstm/lstm_cell/bias": lstm.bias_ih_l0.grad, "dense/kernel": dense.weight.grad.T,
         "dense/bias": dense.bias.grad}
    return float(loss.detach()), {k: v.detach().double().numpy() for k, v in g.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", type=pathlib.Path, help="the folder SENTI_GRADIENT_CASE_DUMP wrote")
    args = ap.parse_args()
    import torch
    ids, labels, params = load(args.case)
    loss64, g64 = gradients(torch, ids, labels, params, torch.float64)
    # PyTorch's default CPU LSTM (oneDNN where available), then its native ATen path.
    for label, onednn in (("default (oneDNN LSTM)", True), ("oneDNN off (ATen LSTM)", False)):
        with torch.backends.mkldnn.flags(enabled=onednn):
            loss32, g32 = gradients(torch, ids, labels, params, torch.float32)
        print(f"torch {torch.__version__} float32, {label}, {torch.get_num_threads()} threads; "
              f"loss f32 {loss32:.9g} f64 {loss64:.9g}")
        for name, _ in SHAPES:
            err = np.linalg.norm(g32[name] - g64[name]) / np.linalg.norm(g64[name])
            print(f"  {name:<32} relative L2 error vs float64 {err:.3g}")


if __name__ == "__main__":
    main()
