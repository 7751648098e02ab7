#!/usr/bin/env python3
"""A senti checkpoint loaded into PyTorch (scripts/checkpoint_to_pytorch.py) gives the same
probabilities as `senti predict` on the same reviews: the seed model, masked models (a masked
BiLSTM with concat pooling over pre padding, a masked mean over post padding) and n-gram models; and
K-class models (TREC's 6 question types, ../shared/data/textclf/trec beside the IMDB archive's folder):
the softmax head's (B, K) probabilities and a multi-label head's K sigmoids against every class's
probability `senti predict --json` prints, with the class names in the checkpoint's order.
The script's n-gram features (standard library only) are checked first, without torch or numpy,
against features computed by hand (the same rows and values as tests/cpu/ngram_test.cpp); then it
exits 77 (ctest: skipped) without torch (or numpy, which the project's Python, .venv, always has).

    checkpoint_pytorch_test.py SENTI_BIN DATA_ARCHIVE SCRATCH_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "scripts"), os.path.join(ROOT, "benchmarks", "baselines")]

import checkpoint_to_pytorch as c2p  # noqa: E402  (standard library only until build_model)

# The hash pinned to values computed independently (32-bit masked Python arithmetic written from
# kernels/common/math/ngram.h's text, as in tests/cpu/ngram_test.cpp), and hand-computed feature
# sets for V 10, 8 buckets, where the buckets of the pairs and triples are
#   (1,4) 0  (4,4) 2  (4,7) 5  (4,1) 5  (7,4) 1  (1,4,4) 1  (4,4,7) 7.
for n, ids, want in [(2, [1, 2], 0xEE34DB81), (3, [1, 2, 3], 0x26E3C9F7), (2, [9999, 9998], 0x8D8C0355),
                     (2, [1, 4], 0xA9820520), (3, [4, 4, 7], 0x3C0A928F)]:
    assert c2p.ngram_hash(n, ids) == want, (n, ids, hex(c2p.ngram_hash(n, ids)), hex(want))
for row, n, want in [([1, 4, 4, 7, 0, 0], 1, [1, 4, 7]),
                     ([1, 4, 4, 7, 0, 0], 2, [1, 4, 7, 10, 12, 15]),
                     ([0, 0, 1, 4, 4, 7], 3, [1, 4, 7, 10, 11, 12, 15, 17]),  # pre padding: the same
                     ([4, 4, 4, 4], 2, [4, 12]),                # repeats count once
                     ([1, 4, 1, 4, 7], 2, [1, 4, 7, 10, 15]),   # (4,1) and (4,7) share slot 15
                     ([1, 4, 0, 7, 4], 3, [1, 4, 7, 10, 11]),   # nothing crosses the padding
                     ([0, 0, 0], 3, [])]:
    got = c2p.ngram_features(row, 10, n, 8)
    assert got == want, (row, n, got, want)
assert c2p.ngram_width({"vocab_size": 10, "ngrams": 1, "ngram_buckets": 8}) == 10
assert c2p.ngram_width({"vocab_size": 10, "ngrams": 3, "ngram_buckets": 8}) == 18
assert c2p.ngram_width({"vocab_size": 10}) == 0
print("n-gram features: PASSED")

try:
    import numpy  # noqa: F401
    import torch  # noqa: F401
except ImportError as e:
    print(f"SKIPPED: {e.name} is not installed in {sys.executable} (pip install torch there to run this test)")
    sys.exit(77)

from common import senti_words  # noqa: E402  (senti's tokenizer rules in Python)
import k_class_util  # noqa: E402  (beside this file)

senti, archive, scratch = sys.argv[1:4]
if os.environ.get("SENTI_DATA_DIR"):  # as the C++ suites: the dataset folder can be moved
    archive = os.path.join(os.environ["SENTI_DATA_DIR"], "aclImdb_v1_labeled.tar.gz")
texts = ["An absolute triumph, the best film I have seen in years. Wonderful acting!",
         "Dreadful. Boring plot, wooden acting; I walked out after an hour.",
         "Bad.",
         "It's fine: some good moments, some dull ones, and a twist you'll see coming " * 3]

# The seed model, and masked models with the options a PyTorch user must get right: a BiLSTM whose
# backward direction reads only the real tokens (pre padding, concat pooling), and a masked mean
# over post padding with truncation at the front.
cases = [("seed", []),
         ("masked-bilstm", ["--mask", "--bidirectional", "--pool", "concat", "--padding", "pre",
                            "--dropout", "0.2", "--dense-dropout", "0.2"]),
         ("masked-mean", ["--mask", "--pool", "mean", "--truncating", "pre", "--bucket"]),
         ("ngrams-bilstm", ["--mask", "--bidirectional", "--pool", "concat", "--padding", "pre",
                            "--ngrams", "2", "--ngram-buckets", "4096"]),
         ("trigrams-seed", ["--ngrams", "3", "--ngram-buckets", "1000"])]
run_dir = tempfile.mkdtemp(prefix="ckpt-pytorch-", dir=scratch)  # a fresh --out every run
worst = 0.0
for name, flags in cases:
    out = os.path.join(run_dir, name)
    subprocess.run([senti, "train", "--device", "cpu", "--data", archive, "--limit", "400", "--maxlen", "40",
                    "--epochs", "1", "--lr", "0.01", "--test-limit", "0", "--out", out] + flags, check=True, capture_output=True)
    ckpt = os.path.join(out, "latest.safetensors")
    model, meta = c2p.build_model(ckpt)
    for text in texts:
        with torch.no_grad():
            p_torch = model(torch.tensor([c2p.encode(meta, senti_words(text))])).item()
        res = subprocess.run([senti, "predict", "-q", "--json", "--device", "cpu", "--checkpoint", ckpt, text],
                             check=True, capture_output=True, text=True)
        p_senti = json.loads(res.stdout)["prob_positive"]
        print(f"{name:14s} torch {p_torch:.7f}  senti {p_senti:.7f}  {text[:40]!r}")
        worst = max(worst, abs(p_torch - p_senti))

# K classes: Linear(F, K) + softmax (the seed LSTM; a masked BiLSTM with word pairs, whose n-gram
# rows have K columns), and the same weights read as a multi-label head (K sigmoids).
trec = k_class_util.trec_dir(archive)
if os.path.exists(os.path.join(trec, "train.csv")):
    questions = k_class_util.trec_questions(trec, 6)
    k_cases = [("trec-softmax", ["--padding", "pre"], False),
               ("trec-bilstm-ngrams", ["--mask", "--bidirectional", "--pool", "concat", "--padding", "pre",
                                       "--ngrams", "2", "--ngram-buckets", "2000"], False),
               ("trec-multi-label", ["--padding", "pre"], True)]
    for name, flags, multi_label in k_cases:
        out = os.path.join(run_dir, name)
        subprocess.run([senti, "train", "--device", "cpu", "--data", os.path.join(trec, "train.csv"),
                        "--preset", "seed", "--limit", "800", "--maxlen", "30", "--epochs", "1", "--lr", "0.01",
                        "--test-limit", "0", "--no-tensorboard", "--out", out] + flags,
                       check=True, capture_output=True)
        ckpt = os.path.join(out, "latest.safetensors")
        if multi_label:
            ckpt = os.path.join(run_dir, name + ".safetensors")
            k_class_util.as_multi_label(os.path.join(out, "latest.safetensors"), ckpt)
        model, meta = c2p.build_model(ckpt)
        head = "multi-label" if multi_label else "softmax"
        assert model.head == head and model.classes == k_class_util.TREC_CLASSES, (model.head, model.classes)
        assert model.dense.out_features == 6, model.dense
        for text in questions:
            with torch.no_grad():
                p_torch = model(torch.tensor([c2p.encode(meta, senti_words(text))]))[0].tolist()
            res = subprocess.run([senti, "predict", "-q", "--json", "--device", "cpu", "--checkpoint", ckpt, text],
                                 check=True, capture_output=True, text=True)
            j = json.loads(res.stdout)
            p_senti = [j["probs"][c] for c in model.classes]
            top = model.classes[max(range(6), key=lambda k: p_torch[k])]
            print(f"{name:18s} torch {' '.join(f'{p:.5f}' for p in p_torch)}  label {top} (senti {j['label']})"
                  f"  sum {sum(p_torch):.5f}  {text[:30]!r}")
            worst = max(worst, max(abs(a - b) for a, b in zip(p_torch, p_senti)))
            if not multi_label and top != j["label"]:  # (a multi-label line lists the labels above a threshold)
                sys.exit(f"FAILED: {name}: PyTorch's top class {top}, senti's {j['label']}")
            if not multi_label and abs(sum(p_torch) - 1) > 1e-5:
                sys.exit(f"FAILED: {name}: softmax probabilities sum to {sum(p_torch)}")
else:
    print(f"K-class cases: SKIPPED ({trec} not found)")
print(f"max |p_torch - p_senti| over every model, text and class: {worst:.2e}")
if worst > 1e-5:
    sys.exit(f"FAILED: PyTorch and senti differ by {worst}")
print("PASSED")
