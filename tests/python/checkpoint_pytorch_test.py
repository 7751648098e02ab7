#!/usr/bin/env python3
"""A senti checkpoint loaded into PyTorch (scripts/checkpoint_to_pytorch.py) gives the same
probabilities as `senti predict` on the same reviews: the seed model and masked models (a masked
BiLSTM with concat pooling over pre padding, a masked mean over post padding). Exits 77 (ctest:
skipped) without torch.

    checkpoint_pytorch_test.py SENTI_BIN DATA_ARCHIVE SCRATCH_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "scripts"), os.path.join(ROOT, "benchmarks", "baselines")]

try:
    import torch  # noqa: F401
except ImportError:
    print("SKIPPED: PyTorch is not installed (pip install torch to run this test)")
    sys.exit(77)

import checkpoint_to_pytorch as c2p  # noqa: E402
from common import senti_words  # noqa: E402  (senti's tokenizer rules in Python)

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
         ("masked-mean", ["--mask", "--pool", "mean", "--truncating", "pre", "--bucket"])]
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
if worst > 1e-5:
    sys.exit(f"FAILED: PyTorch and senti differ by {worst}")
print("PASSED")
