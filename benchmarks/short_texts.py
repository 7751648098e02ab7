#!/usr/bin/env python3
"""Accuracy on short texts derived from the IMDB test split, next to full-review accuracy.

The demo's users type a sentence or two; IMDB reviews average ~230 words. From each of the 25,000
test reviews this derives (HTML line breaks removed, sentences split after . ! ? followed by a
space):
    full         the whole review (what `senti eval` scores)
    first        its first sentence
    last         its last sentence
    first+last   its first and last sentence together (one sentence for one-sentence reviews)
and scores every variant with `senti predict --checkpoint CKPT` (the checkpoint's own
preprocessing), reporting accuracy and the mean length in words.

    python3 benchmarks/short_texts.py --senti build/senti --checkpoint runs/best/best.safetensors \\
        --data ../shared/data/imdb/aclImdb_v1_labeled.tar.gz [--limit N] [--json out.json]
"""
import argparse
import json
import re
import sys
import tarfile

from senti_predict import predict_json

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def test_reviews(archive):
    """(text, label) of every test review, pos then neg, in file-name order as senti reads them."""
    out = {"pos": [], "neg": []}
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar:
            parts = m.name.split("/")
            if not m.isfile() or len(parts) < 3 or parts[-3] != "test" or parts[-2] not in out:
                continue
            if not parts[-1].endswith(".txt"):
                continue
            review_id = int(parts[-1].split("_")[0])
            out[parts[-2]].append((review_id, tar.extractfile(m).read().decode("utf-8", "replace")))
    rows = []
    for label, kind in ((1, "pos"), (0, "neg")):
        rows += [(text, label) for _, text in sorted(out[kind])]
    return rows


def sentences(text):
    flat = " ".join(_BR.sub(" ", text).split())
    return [s for s in _SENTENCE_END.split(flat) if s.strip()] or [flat]


def variants(text):
    s = sentences(text)
    flat = " ".join(_BR.sub(" ", text).split())
    return {"full": flat, "first": s[0], "last": s[-1],
            "first+last": s[0] if len(s) == 1 else s[0] + " " + s[-1]}


def predict(senti, checkpoint, texts, device):
    return [r["prob_positive"] for r in predict_json(senti, checkpoint, texts, device)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--senti", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True, help="aclImdb_v1_labeled.tar.gz")
    p.add_argument("--device", default="cpu")
    p.add_argument("--limit", type=int, default=0, help="only every (25000 / N)-th review")
    p.add_argument("--json", help="write the figures here too")
    a = p.parse_args()
    rows = test_reviews(a.data)
    if a.limit:
        rows = rows[:: max(1, len(rows) // a.limit)][: a.limit]
    results = {}
    for kind in ("full", "first", "last", "first+last"):
        texts = [variants(t)[kind] for t, _ in rows]
        probs = predict(a.senti, a.checkpoint, texts, a.device)
        if len(probs) != len(rows):
            sys.exit(f"senti predict returned {len(probs)} results for {len(rows)} texts")
        correct = sum((p > 0.5) == (y == 1) for p, (_, y) in zip(probs, rows))
        words = sum(len(t.split()) for t in texts) / len(texts)
        results[kind] = {"accuracy": correct / len(rows), "mean_words": words, "reviews": len(rows)}
        print(f"{kind:11s} accuracy {correct / len(rows):.4f}  mean {words:6.1f} words  ({len(rows)} reviews)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"checkpoint": a.checkpoint, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
