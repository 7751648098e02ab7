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
    dense/kernel                    (F, O)  -> dense.weight = kernel.T
    dense/bias                      (O)     -> dense.bias
O is the head's width (docs/model.md, "Heads"; the model metadata's "head" and "classes", absent =
the sigmoid head of two classes): O = 1 for the sigmoid head (the model returns (B) probabilities of
classes[1]), O = K for the softmax head (Linear(F, K) + softmax: (B, K), each row sums to 1) and for
the multi-label head (Linear(F, K) + K independent sigmoids: (B, K)). The class names, in label
order (the columns of a K-class model's output), are the checkpoint's "classes" metadata
(class_names below; absent = IMDB's neg, pos); build_model sets them as model.classes.
With n-gram features (`ngrams` N > 0 in the checkpoint, docs/model.md "N-gram features") the dense
kernel is (F + W, O): its first F rows go to dense.weight as above, its last W rows (W = V, plus
`ngram_buckets` for N >= 2) to ngram.weight (W, O) of an nn.EmbeddingBag(W, O, mode="sum") that
sums the weights of each row's multi-hot feature set (ngram_features below: the unigram ids, and
V + ngram_hash(n, ids) % buckets for every run of n = 2..N non-zero ids, each feature once); the
bag's sum is added to the dense layer's logits (Keras: TextVectorization(ngrams=N,
output_mode="multi_hot") concatenated to the LSTM features before Dense(O)).
A bidirectional model (Keras Bidirectional) names its LSTMs bidirectional/forward_lstm/lstm_cell/*
(-> *_l0) and bidirectional/backward_lstm/lstm_cell/* (-> *_l0_reverse).

The model options recorded in the checkpoint (docs/model.md, "Variable-length sequences") are
applied: with `mask` the real tokens of each row (id != 0; with pre padding they are moved to the
front first) are packed with pack_padded_sequence, so the LSTM stops at each row's length and the
backward direction reads only the real tokens, in reverse; `pool` last / max / mean / concat
([last, max, mean]) reads the (masked) outputs. Dropout is training-only and not part of the module.
The n-gram features are computed with plain Python ints (ngram_hash, ngram_features), the same
uint32 arithmetic as kernels/common/math/ngram.h. The file is read without the `safetensors`
package (its format is 8 bytes of header length, a JSON header, raw little-endian float32 data), so
only torch and numpy are needed.
"""
import argparse
import json
import struct
import sys


# numpy and torch are imported where they are used: the n-gram helpers below need neither, so the
# test (tests/python/checkpoint_pytorch_test.py) checks them on a python that has only the stdlib.
def read_safetensors(path):
    import numpy as np

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


_M32 = 0xFFFFFFFF


def ngram_hash(n, ids):
    """kernels/common/math/ngram.h's hash of the n ids (non-negative ints): FNV-1a over them as
    32-bit words seeded with n, then murmur3's finaliser; uint32 arithmetic (Python ints masked)."""
    h = ((0x811C9DC5 ^ n) * 0x01000193) & _M32
    for i in ids:
        h = ((h ^ (int(i) & _M32)) * 0x01000193) & _M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h


def ngram_width(cfg):
    """W: the n-gram slots of the dense kernel (0 without n-grams)."""
    n = cfg.get("ngrams", 0)
    return 0 if n == 0 else cfg["vocab_size"] + (cfg.get("ngram_buckets", 1 << 20) if n >= 2 else 0)


def ngram_features(row, vocab_size, ngrams, buckets):
    """The sorted, unique n-gram features of one padded id row (0 = padding, never in an n-gram):
    each id != 0, and V + ngram_hash(n, run) % buckets for each run of n = 2..ngrams non-zero ids."""
    row = [int(i) for i in row]
    feats = set()
    for n in range(1, ngrams + 1):
        for t in range(len(row) - n + 1):
            run = row[t:t + n]
            if 0 in run:
                continue
            feats.add(run[0] if n == 1 else vocab_size + ngram_hash(n, run) % buckets)
    return sorted(feats)


def class_names(meta):
    """The class names in label order (the metadata's "classes"; checkpoints from before it are
    IMDB's two: neg, pos)."""
    return json.loads(meta["classes"]) if "classes" in meta else ["neg", "pos"]


def head_of(cfg):
    """(head, K, O) from the model metadata: "sigmoid" (O = 1), "softmax" or "multi-label" (O = K)."""
    head, K = cfg.get("head", "sigmoid"), cfg.get("classes", 2)
    if head not in ("sigmoid", "softmax", "multi-label"):
        raise ValueError(f"unknown head {head!r}: expected sigmoid, softmax or multi-label")
    return head, K, 1 if head == "sigmoid" else K


def build_model(path):
    import numpy as np
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    t, meta = read_safetensors(path)
    cfg = json.loads(meta["model"])
    prep = json.loads(meta["preprocessing"])
    V, E, H = cfg["vocab_size"], cfg["embed_dim"], cfg["hidden"]
    mask = cfg.get("mask", False)  # v1 checkpoints: the seed model
    bidirectional = cfg.get("bidirectional", False)
    pool = cfg.get("pool", "last")
    pre_padded = prep["padding"] == "pre"
    D = 2 if bidirectional else 1
    F = H * D * (3 if pool == "concat" else 1)
    N, buckets, W = cfg.get("ngrams", 0), cfg.get("ngram_buckets", 1 << 20), ngram_width(cfg)
    head, K, O = head_of(cfg)

    class SentiLSTM(nn.Module):
        """Embedding -> (Bi)LSTM, masked by packing when the model was trained with --mask ->
        pooling (last / max / mean / concat) -> Dense(O) -> sigmoid (B), softmax (B, K) or K
        sigmoids (B, K)."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, batch_first=True, bidirectional=bidirectional)
            self.dense = nn.Linear(F, O)
            if N > 0:  # the n-gram rows of the dense kernel, summed over each row's feature set
                self.ngram = nn.EmbeddingBag(W, O, mode="sum")

        def forward(self, ids):  # ids: (B, T) int64, already padded as in training
            B, T = ids.shape
            x = self.embedding(ids)
            steps = torch.arange(T, device=ids.device)
            if mask:
                lengths = (ids != 0).sum(1)
                if pre_padded:  # real tokens last -> first, as pack_padded_sequence wants them
                    src = (steps[None, :] + (T - lengths)[:, None]) % T
                    x = x.gather(1, src[:, :, None].expand(B, T, E))
                packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
                out, (h, _) = self.lstm(packed)
                out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
            else:  # the seed model: every position, padding included
                lengths = torch.full((B,), T, device=ids.device)
                out, (h, _) = self.lstm(x)
            valid = (steps[None, :] < lengths[:, None])[:, :, None]  # (B, T, 1)
            feats = []
            if pool in ("last", "concat"):  # final states: forward after the last real token,
                feats.append(torch.cat([h[d] for d in range(D)], dim=1))  # backward after the first
            if pool in ("max", "concat"):
                feats.append(out.masked_fill(~valid, float("-inf")).max(dim=1).values)
            if pool in ("mean", "concat"):
                feats.append((out * valid).sum(dim=1) / lengths[:, None].to(out.dtype))
            logit = self.dense(torch.cat(feats, dim=1))
            if N > 0:
                sets = [ngram_features(r, V, N, buckets) for r in ids.tolist()]
                flat = torch.tensor([f for s in sets for f in s], dtype=torch.long, device=ids.device)
                starts = torch.tensor([0] + [len(s) for s in sets[:-1]], device=ids.device).cumsum(0)
                logit = logit + self.ngram(flat, starts)
            if head == "softmax":
                return torch.softmax(logit, dim=-1)
            if head == "multi-label":
                return torch.sigmoid(logit)
            return torch.sigmoid(logit).squeeze(-1)

    m = SentiLSTM()
    f = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    lstm_names = [("bidirectional/forward_lstm/lstm_cell/", "_l0"),
                  ("bidirectional/backward_lstm/lstm_cell/", "_l0_reverse")] if bidirectional else \
                 [("lstm/lstm_cell/", "_l0")]
    with torch.no_grad():
        m.embedding.weight.copy_(f(t["embedding/embeddings"]))
        for prefix, suffix in lstm_names:
            getattr(m.lstm, "weight_ih" + suffix).copy_(f(t[prefix + "kernel"].T))
            getattr(m.lstm, "weight_hh" + suffix).copy_(f(t[prefix + "recurrent_kernel"].T))
            getattr(m.lstm, "bias_ih" + suffix).copy_(f(t[prefix + "bias"]))
            getattr(m.lstm, "bias_hh" + suffix).zero_()
        m.dense.weight.copy_(f(t["dense/kernel"][:F].T))
        if N > 0:
            m.ngram.weight.copy_(f(t["dense/kernel"][F:]))
        m.dense.bias.copy_(f(t["dense/bias"]))
    m.eval()
    m.head, m.classes = head, class_names(meta)
    return m, meta


def encode(meta, words):
    """senti's preprocessing of a tokenized review: [start] + ids, truncated and padded to maxlen as
    the checkpoint says (Keras pad_sequences)."""
    prep = json.loads(meta["preprocessing"])
    index = {w: i + prep["first_word_id"] for i, w in enumerate(json.loads(meta["vocabulary"]))}
    ids = [prep["start_id"]] + [index.get(w, prep["oov_id"]) for w in words]
    ids = [i if i < prep["num_words"] else prep["oov_id"] for i in ids]
    T = prep["maxlen"]
    if len(ids) > T:
        ids = ids[-T:] if prep["truncating"] == "pre" else ids[:T]
    pad = [0] * (T - len(ids))
    return pad + ids if prep["padding"] == "pre" else ids + pad


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
    print(f"head {model.head}, classes (label order): {', '.join(model.classes)}")
    if a.ids:
        with torch.no_grad():
            out = model(torch.tensor([a.ids], dtype=torch.long))[0]
        if model.head == "sigmoid":
            print(f"prob_positive {out.item():.6f} ({model.classes[1]})")
        else:
            probs = out.tolist()
            top = max(range(len(probs)), key=lambda k: probs[k])
            print(f"label {model.classes[top]}; probs " +
                  " ".join(f"{c}={p:.6f}" for c, p in zip(model.classes, probs)))
    if a.save:
        torch.save(model.state_dict(), a.save)
        print(f"saved state_dict to {a.save}")


if __name__ == "__main__":
    main()
