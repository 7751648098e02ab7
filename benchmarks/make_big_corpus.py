#!/usr/bin/env python3
"""A synthetic corpus of millions of reviews for the data-path figures (docs/benchmarks.md, "Corpora
of millions of reviews"): the 50,000 labeled aclImdb reviews, each written out again and again with
its sentences in a new seeded order, as one CSV file (text,label; RFC 4180 quoting) that senti reads
with its own-data reader.

    python3 benchmarks/make_big_corpus.py --out big.csv [--reviews 5000000] [--seed 1]
        [--data ../shared/data/imdb/aclImdb_v1_labeled.tar.gz]

Row k is source review k mod 50,000 (train then test, as the archive lists them), its sentences
(cut after . ! or ? followed by white space, and at <br /> tags) shuffled by Random(seed + k); its
label is the source's (pos/neg). The rows keep IMDB's length distribution and vocabulary, so
tokenizing, counting and caching cost what real reviews cost; they are not new text (a model trained
on them learns nothing IMDB does not hold). Only the standard library is needed.
"""
import argparse
import csv
import os
import random
import re
import sys
import tarfile
import time

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|<br\s*/?>\s*(?:<br\s*/?>\s*)*")


def read_reviews(archive):
    reviews = []
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar:
            parts = m.name.split("/")
            if m.isfile() and len(parts) == 4 and parts[2] in ("pos", "neg") and parts[1] in ("train", "test"):
                text = tar.extractfile(m).read().decode("utf-8")
                sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
                reviews.append((sentences, parts[2]))
    return reviews


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--reviews", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "imdb", "aclImdb_v1_labeled.tar.gz"))
    args = ap.parse_args()
    t0 = time.time()
    reviews = read_reviews(args.data)
    if not reviews:
        sys.exit(f"no reviews in {args.data}")
    written = 0
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for k in range(args.reviews):
            sentences, label = reviews[k % len(reviews)]
            order = list(sentences)
            random.Random(args.seed + k).shuffle(order)
            w.writerow([" ".join(order), label])
            written += 1
            if written % 500_000 == 0:
                print(f"{written} reviews, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    size = os.path.getsize(args.out)
    print(f"{args.out}: {written} reviews, {size / 1e9:.2f} GB, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
