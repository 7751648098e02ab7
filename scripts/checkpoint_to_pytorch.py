#!/usr/bin/env python3
"""Load a senti checkpoint (.safetensors) into an equivalent PyTorch model.

    python3 scripts/checkpoint_to_pytorch.py runs/train-.../best.safetensors --ids 1 14 22 16 43
    python3 scripts/checkpoint_to_pytorch.py CKPT --save model.pt     # torch.save(state_dict)

senti stores Keras names and layouts; PyTorch's nn.LSTM has the same gate order (i, f, g, o) but
stores matrices as (4H, in) and has two biases. The mapping:
    embedding/embeddings            (V, E)  -> embedding.weight
    lstm/lstm_cell/kernel           (E, 4H) -> lstm.weight_ih_l0 = kernel.T
    lstm/lstm_cell/recurrent_kernel (H, 4H) -> lstm.weight_hh_l0 = recurrent_kernel.T
    lstm/lstm_cell/bias             (4H)    -> lstm.bias_ih_l0 (lstm.bias_hh_l0 = 0)
    dense/kernel                    (H, 1)  -> dense.weight = kernel.T
    dense/bias                      (1)     -> dense.bias
The file is read without the `safetensors` package (its format is 8 bytes of header length, a JSON
header, raw little-endian float32 data), so only torch and numpy are needed.
"""
import argparse
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n :]
    tensors = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {e['dtype']}, expected F32")
        b, end = e["data_offsets"]
        tensors[name] = np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"]).copy()
    return tensors, meta


def build_model(path):
    import torch
    from torch import nn

    t, meta = read_safetensors(path)
    cfg = json.loads(meta["model"])
    V, E, H = cfg["vocab_size"], cfg["embed_dim"], cfg["hidden"]

    class SentiLSTM(nn.Module):
        """Embedding -> LSTM (final hidden state, no mask: padding steps are processed) -> Dense -> sigmoid."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, batch_first=True)
            self.dense = nn.Linear(H, 1)

        def forward(self, ids):  # ids: (B, T) int64, already padded as in training
            _, (h, _) = self.lstm(self.embedding(ids))
            return torch.sigmoid(self.dense(h[-1])).squeeze(-1)

    m = SentiLSTM()
    f = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    with torch.no_grad():
        m.embedding.weight.copy_(f(t["embedding/embeddings"]))
        m.lstm.weight_ih_l0.copy_(f(t["lstm/lstm_cell/kernel"].T))
        m.lstm.weight_hh_l0.copy_(f(t["lstm/lstm_cell/recurrent_kernel"].T))
        m.lstm.bias_ih_l0.copy_(f(t["lstm/lstm_cell/bias"]))
        m.lstm.bias_hh_l0.zero_()
        m.dense.weight.copy_(f(t["dense/kernel"].T))
        m.dense.bias.copy_(f(t["dense/bias"]))
    m.eval()
    return m, meta


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--ids", type=int, nargs="+", help="one padded id sequence to score (start token included)")
    p.add_argument("--save", help="write the PyTorch state_dict here (torch.save)")
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("checkpoint_to_pytorch.py needs PyTorch (pip install torch)")
    model, meta = build_model(a.checkpoint)
    print(f"loaded {a.checkpoint}: {json.loads(meta['model'])}, preprocessing {meta['preprocessing']}")
    if a.ids:
        with torch.no_grad():
            prob = model(torch.tensor([a.ids], dtype=torch.long)).item()
        print(f"prob_positive {prob:.6f}")
    if a.save:
        torch.save(model.state_dict(), a.save)
        print(f"saved state_dict to {a.save}")


if __name__ == "__main__":
    main()
