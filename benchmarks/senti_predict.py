"""`senti predict --json` over a list of texts: the one way the benchmark scripts score texts with a
checkpoint (its own preprocessing). Newlines inside a text become spaces (one text a line)."""
import json
import os
import subprocess
import sys
import tempfile


def predict_json(senti, checkpoint, texts, device="cpu", batch=256):
    """One JSON record ({"label", "prob_positive", ...}) per text, in order; exits naming the
    checkpoint when senti returns another count."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for t in texts:
            f.write(t.replace("\n", " ") + "\n")
        path = f.name
    try:
        res = subprocess.run([senti, "predict", "-q", "--json", "--device", device, "--batch", str(batch),
                              "--checkpoint", checkpoint, "--file", path],
                             check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    out = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    if len(out) != len(texts):
        sys.exit(f"senti predict returned {len(out)} results for {len(texts)} texts ({checkpoint})")
    return out
