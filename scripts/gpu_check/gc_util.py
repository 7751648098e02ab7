#!/usr/bin/env python3
"""Parsers the GPU check's stages share; each prints plain lines a shell can read.

  gc_util.py suites LIST_FILE              suite names and test counts from --gtest_list_tests
  gc_util.py gtest JSON                    "tests passed failed skipped", then "FAIL name: message"
  gc_util.py metrics JSONL BATCH           "epochs val_acc ms_per_step test_acc train_seconds"
  gc_util.py history JSONL                 "val_acc,val_acc,... restored_epoch test_samples"
  gc_util.py run_all JSON                  "config<TAB>label<TAB>ms_per_step" per row, "error<TAB>..."
"""
import json
import sys


def suites(path):
    """--gtest_list_tests: 'Suite.' lines (maybe '  # TypeParam = ...'), then indented test names."""
    order, counts = [], {}
    for line in open(path, errors="replace"):
        if not line.strip() or line.startswith("Running main") or line.startswith("["):
            continue
        if not line[0].isspace():
            name = line.split()[0].rstrip(".")
            order.append(name)
            counts[name] = 0
        elif order:
            counts[order[-1]] += 1
    for name in order:
        print(name, counts[name])


def gtest(path):
    d = json.load(open(path))
    tests = passed = failed = skipped = 0
    fails = []
    for suite in d.get("testsuites", []):
        for t in suite.get("testsuite", []):
            tests += 1
            if t.get("result") == "SKIPPED" or t.get("status") == "NOTRUN":
                skipped += 1
            elif t.get("failures"):
                failed += 1
                msg = t["failures"][0].get("failure", "").strip().replace("\n", " ")[:240]
                fails.append(f"FAIL {suite.get('name')}.{t.get('name')}: {msg}")
            else:
                passed += 1
    print(tests, passed, failed, skipped)
    for f in fails:
        print(f)


def load_metrics(path):
    """senti's metrics.jsonl: (epoch records, test records, early-stopping record or None). A line
    that does not parse is skipped (a cut run may leave the last one torn)."""
    epochs, test, early = [], [], None
    for line in open(path, errors="replace"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if not isinstance(r, dict):
            continue
        if "epoch" in r:
            epochs.append(r)
        if "test_acc" in r:
            test.append(r)
        if isinstance(r.get("early_stopping"), dict):
            early = r["early_stopping"]
    return epochs, test, early


def metrics(path, batch):
    epochs, test, _ = load_metrics(path)
    if not epochs:
        print("0 - - - -")
        return
    last = epochs[-1]
    ms = 1e3 * int(batch) / last["samples_per_s"] if last.get("samples_per_s") else float("nan")
    val = last.get("val_acc")
    print(len(epochs), "-" if val is None else f"{val:.4f}", f"{ms:.3f}",
          f"{test[-1]['test_acc']:.4f}" if test else "-", f"{last.get('train_seconds', 0):.1f}")


def lm(path, batch):
    """A language model's last epoch (senti pretrain): epochs, ms/step (batch / samples per second),
    real tokens per second, validation perplexity, training seconds; "-" for what is missing."""
    epochs, _, _ = load_metrics(path)
    if not epochs:
        print("0 - - - -")
        return
    last = epochs[-1]
    sps, tps, ppl = last.get("samples_per_s"), last.get("real_tokens_per_s"), last.get("val_perplexity")
    print(len(epochs), f"{1e3 * int(batch) / sps:.3f}" if sps else "-", f"{tps:.0f}" if tps else "-",
          f"{ppl:.1f}" if ppl is not None else "-", f"{last.get('train_seconds', 0):.1f}")


def history(path):
    """Every epoch's val_acc (comma-joined), the epoch early stopping restored, the test size."""
    epochs, test, early = load_metrics(path)
    vals = ",".join("-" if e.get("val_acc") is None else f"{e['val_acc']:.4f}" for e in epochs)
    restored = early.get("best_epoch") if early else None
    samples = test[-1].get("test_samples") if test else None
    print(vals or "-", "-" if restored is None else restored, "-" if samples is None else samples)


def run_all(path):
    d = json.load(open(path))
    for r in d.get("summary", []):
        print(f"{r['config']}\t{r['framework']}\t{r['ms_per_step']:.3f}")
    for r in d.get("records", []):
        if "error" in r:
            print(f"error\t{r.get('label')}\t{r['error'][:200]}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        {"suites": suites, "gtest": gtest, "metrics": metrics, "lm": lm, "history": history,
         "run_all": run_all}[cmd](*args)
    except (OSError, ValueError, KeyError) as e:
        print(f"gc_util {cmd}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
