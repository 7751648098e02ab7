#!/usr/bin/env python3
"""Accuracy of IMDB sentiment checkpoints on sentiment text of other kinds (out of domain).

A model trained on 25,000 movie reviews of ~230 words meets other text in use. This scores
two-class positive/negative checkpoints, unchanged, on the polarity sets of ../shared/data/textclf
(docs/data.md) that none of them trained on:
    sst2   Stanford Sentiment Treebank test sentences (movie-review sentences), SST-5's classes
           0-1 as negative and 3-4 as positive, the neutral class 2 left out (the usual SST-2 test
           set built from sst5/test.tsv: 1,821 sentences)
    cr     customer reviews of products, one sentence each (cr/cr.txt)
    mpqa   opinion phrases of news text, mostly 1-3 words (mpqa/mpqa.txt)
Every text goes through `senti predict --json` with the checkpoint's own preprocessing; a text is
right when the predicted label names its class ("positive"/"negative"); the few lines of cr.txt and
mpqa.txt that have a label but no text are left out (the counts are printed). The checkpoints are scored
one after the other on the same texts.

    python3 benchmarks/out_of_domain.py --senti build/senti --data ../shared/data/textclf \\
        --checkpoint best=runs/best/best.safetensors --checkpoint pretrained=runs/pt/best.safetensors \\
        [--json out.json]
"""
import argparse
import csv
import json
import os
import sys

from senti_predict import predict_json


def fasttext_lines(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            label, _, text = line.rstrip("\n").partition(" ")
            if not label.startswith("__label__"):
                sys.exit(f"{path}:{n}: expected '__label__NAME text'")
            if text.strip():  # cr.txt has a few labels without text: nothing to score
                rows.append((text, label[len("__label__"):]))
    return rows


def sst2_test(path):
    names = {"0": "negative", "1": "negative", "3": "positive", "4": "positive"}
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for n, rec in enumerate(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 2):
            if rec.get("label") is None or rec.get("sentence") is None:
                sys.exit(f"{path}:{n}: expected columns sentence and label")
            if rec["label"] in names:
                rows.append((rec["sentence"], names[rec["label"]]))
    return rows


def datasets(root):
    return {"sst2": sst2_test(os.path.join(root, "sst5", "test.tsv")),
            "cr": fasttext_lines(os.path.join(root, "cr", "cr.txt")),
            "mpqa": fasttext_lines(os.path.join(root, "mpqa", "mpqa.txt"))}


def predict(senti, checkpoint, texts, device):
    return [r["label"] for r in predict_json(senti, checkpoint, texts, device)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--senti", required=True)
    p.add_argument("--data", required=True, help="the textclf folder (../shared/data/textclf)")
    p.add_argument("--checkpoint", action="append", required=True, metavar="NAME=PATH",
                   help="a two-class positive/negative checkpoint (repeat for several)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", help="write the figures here too")
    a = p.parse_args()
    sets = datasets(a.data)
    results = {}
    print("texts: " + ", ".join(f"{k} {len(v)} ({sum(w == 'positive' for _, w in v) / len(v):.1%} positive)"
                                for k, v in sets.items()))
    print(f"{'checkpoint':24s} " + " ".join(f"{k:>8s}" for k in sets) + "      mean")
    for spec in a.checkpoint:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            sys.exit(f"--checkpoint: expected NAME=PATH, got '{spec}'")
        accs = {}
        for key, rows in sets.items():
            labels = predict(a.senti, path, [t for t, _ in rows], a.device)
            if not set(labels) <= {"positive", "negative"}:
                sys.exit(f"{path}: predicts {sorted(set(labels))}; expected a positive/negative checkpoint")
            accs[key] = sum(got == want for got, (_, want) in zip(labels, rows)) / len(rows)
        accs["mean"] = sum(accs[k] for k in sets) / len(sets)
        results[name] = {"checkpoint": path, "accuracy": accs, "texts": {k: len(v) for k, v in sets.items()}}
        print(f"{name:24s} " + " ".join(f"{accs[k]:8.4f}" for k in sets) + f"  {accs['mean']:8.4f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
