#!/usr/bin/env python3
"""senti beside fastText on the sentence-classification sets and IMDB: same splits, same machine,
interleaved rounds, one table.

    python3 benchmarks/textclf_vs_fasttext.py --out DIR [--sets sst5,trec,subj,cr,mpqa,imdb]
        [--rounds 3] [--imdb-rounds 1] [--senti build/senti] [--quick]

Any python with PyPI `fasttext` runs it (benchmarks/install_baselines.sh installs it; on the build
VM, /work/benchvenv/bin/python has it); the split
logic, the file writers and the table need the standard library only.

Data: ../shared/data/textclf/ (sst5, trec, subj, cr, mpqa; its README.md) and
../shared/data/imdb/aclImdb_v1_labeled.tar.gz. Each set is split once:
  * SST-5: the official train / test files; dev is senti's validation set (--validation-data);
    fastText trains on train only (its anchor settings have no validation step).
  * TREC: the official train / test files.
  * SUBJ, CR, MPQA (no official split): a seeded 90/10 split (--split-seed, Python's
    random.Random(seed).shuffle of the row numbers; the first round(0.1 n) shuffled rows are test).
  * IMDB: aclImdb's own 25,000 / 25,000 train / test; senti reads the archive itself (so that it
    picks its aclImdb default recipe), fastText the same reviews from it (common.read_reviews).
The training rows are written in one seeded shuffled order for both tools (the source files are
sorted by class, and fastText reads its file in order); test rows keep their file order.

Per set, into a temporary folder: TRAIN.csv / TEST.csv (text,label; RFC 4180 quoting) for senti and
TRAIN.ft / TEST.ft (`__label__X words`, text as the fastText tutorial prepares it:
baselines/fasttext_text.py) for fastText, the same rows in the same order. Then --rounds
interleaved rounds of
  (a) fastText (PyPI `fasttext`, in this process): train_supervised(epoch 25, lr 0.5, dim 50,
      wordNgrams 2, thread 1, seed S), accuracy = predictions on every test row (a row fastText
      cannot read counts as wrong); wall = writing its files from the rows + training + predicting;
  (b) senti's own default recipe: `senti train --device cpu --data TRAIN.csv --test-data TEST.csv
      [--validation-data DEV.csv] --out RUN --cache-dir FRESH --seed S` with SENTI_CPU_THREADS=2 and
      no --preset (senti picks `best` for non-IMDB data and `seed` for aclImdb, and says so on
      stderr); accuracy = `test_acc` of RUN/metrics.jsonl (its test_samples checked against the
      test rows); wall = the whole process (reading, tokenising into a fresh token cache, training,
      validation, the test pass).
Round k uses seed S = --seed + k - 1 for both tools (round 1 = senti's default seed 1337).

Writes DIR/records.jsonl (one JSON record per run, appended as it goes), DIR/textclf.json (machine,
versions, arguments, summary, records) and DIR/textclf.md (the table: min / median / max over the
rounds).
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "baselines"))
sys.path.insert(0, HERE)
import fasttext_text  # noqa: E402
import sysinfo  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")

# fastText's anchor settings (issue 21: the fastText CLI's `supervised -epoch 25 -lr 0.5 -dim 50
# -wordNgrams 2 -thread 1` on these sets).
FASTTEXT_ANCHOR = dict(epoch=25, lr=0.5, dim=50, wordNgrams=2, thread=1)
SPLIT_SEED = 20211
TEST_FRACTION = 0.1
QUICK_ROWS = (800, 200)  # --quick: the first N training and M test rows of each split

# name -> how its files are read and split
SETS = {
    "sst5": dict(title="SST-5", kind="official", fmt="tsv",
                 files=dict(train="textclf/sst5/train.tsv", dev="textclf/sst5/dev.tsv", test="textclf/sst5/test.tsv")),
    "trec": dict(title="TREC", kind="official", fmt="csv",
                 files=dict(train="textclf/trec/train.csv", test="textclf/trec/test.csv")),
    "subj": dict(title="SUBJ", kind="single", fmt="jsonl", files=dict(all="textclf/subj/subj.jsonl")),
    "cr": dict(title="CR", kind="single", fmt="fasttext", files=dict(all="textclf/cr/cr.txt")),
    "mpqa": dict(title="MPQA", kind="single", fmt="fasttext", files=dict(all="textclf/mpqa/mpqa.txt")),
    "imdb": dict(title="IMDB", kind="aclimdb", fmt="aclimdb", files=dict(all="imdb/aclImdb_v1_labeled.tar.gz")),
}
DEFAULT_SETS = "sst5,trec,subj,cr,mpqa,imdb"


# ---------------------------------------------------------------------------------------------
# Reading the sets: every reader returns [(text, label name)]


def read_tsv(path):
    """GLUE-style TSV: header `sentence<TAB>label`, no quoting."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    head = rows[0]
    ti, li = head.index("sentence"), head.index("label")
    return [(r[ti], r[li]) for r in rows[1:] if r]


def read_csv(path):
    """CSV with a header holding `text` and `label` (RFC 4180 quoting, LF or CRLF)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f)]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [(o["text"], str(o["label"])) for o in (json.loads(l) for l in f if l.strip())]


def read_fasttext(path):
    """fastText lines, one label each: `__label__X text...`."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            label, _, text = line.strip().partition(" ")
            if not label.startswith(fasttext_text.LABEL_PREFIX):
                raise ValueError(f"{path}: a line without a __label__: {line[:60]!r}")
            out.append((text, label[len(fasttext_text.LABEL_PREFIX):]))
    return out


READERS = dict(tsv=read_tsv, csv=read_csv, jsonl=read_jsonl, fasttext=read_fasttext)


def read_imdb(archive):
    """aclImdb's labeled reviews: {"train": [(text, "pos"|"neg")], "test": [...]}, each split in
    the archive's order (pos by id, then neg by id), as senti reads them."""
    import common  # baselines/common.py (standard library for reading reviews)

    reviews = common.read_reviews(os.path.dirname(archive))
    return {split: [(text, "pos" if label else "neg") for _, label, text in items]
            for split, items in reviews.items()}


# ---------------------------------------------------------------------------------------------
# Splits


def shuffled(n, seed):
    """0..n-1 in the order random.Random(seed).shuffle gives (the same in every CPython 3)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order


def split_rows(n, seed, test_fraction=TEST_FRACTION):
    """The seeded split of a set without an official one: (train row numbers in the shuffled order,
    test row numbers in file order). The first round(test_fraction * n) shuffled rows are test."""
    order = shuffled(n, seed)
    n_test = int(round(test_fraction * n))
    return order[n_test:], sorted(order[:n_test])


class Split:
    """One set's split: rows (text, label) of train (in the order both tools read it), test and an
    optional dev (validation) part, its classes and how it was made."""

    def __init__(self, name, train, test, dev=None, how="", short=""):
        self.name, self.train, self.test, self.dev, self.how = name, train, test, dev, how
        self.short = short or how
        self.classes = sorted({label for _, label in train})

    def describe(self):
        return dict(set=self.name, split=self.short, split_detail=self.how, classes=len(self.classes), class_names=self.classes,
                    train_rows=len(self.train), test_rows=len(self.test),
                    dev_rows=len(self.dev) if self.dev is not None else None)


def make_split(name, data_root=DEFAULT_DATA, seed=SPLIT_SEED, quick=False):
    spec = SETS[name]
    paths = {k: os.path.join(data_root, v) for k, v in spec["files"].items()}
    if spec["kind"] == "single":
        rows = READERS[spec["fmt"]](paths["all"])
        tr, te = split_rows(len(rows), seed)
        train, test, dev = [rows[k] for k in tr], [rows[k] for k in te], None
        how = f"seeded 90/10 (split seed {seed})"
    else:
        if spec["kind"] == "aclimdb":
            parts = read_imdb(paths["all"])
            how = "official train / test (aclImdb)"
        else:
            parts = {k: READERS[spec["fmt"]](p) for k, p in paths.items()}
            how = "official train / test" + (" (dev: senti's validation)" if "dev" in parts else "")
        train = [parts["train"][k] for k in shuffled(len(parts["train"]), seed)]
        test, dev = parts["test"], parts.get("dev")
        how += f"; {'fastText' if spec['kind'] == 'aclimdb' else 'both tools'}' training rows shuffled (seed {seed})"
    short = f"90/10, seed {seed}" if spec["kind"] == "single" else (
        "official + dev" if dev is not None else "official")
    if quick:  # training rows are shuffled already; test and dev are sorted by class in some files
        train = train[:QUICK_ROWS[0]]
        test = [test[k] for k in sorted(shuffled(len(test), seed)[:QUICK_ROWS[1]])]
        dev = [dev[k] for k in sorted(shuffled(len(dev), seed)[:QUICK_ROWS[1]])] if dev is not None else None
        how += f"; --quick: the first {QUICK_ROWS[0]} training rows, {QUICK_ROWS[1]} seeded test (and dev) rows"
        short += ", --quick"
    return Split(name, train, test, dev, how, short)


# ---------------------------------------------------------------------------------------------
# Writers: the same rows for both tools


def write_csv(path, rows):
    """senti's CSV: header `text,label`, RFC 4180 (fields with a comma, a quote or a line end are
    quoted, quotes doubled), LF line ends."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["text", "label"])
        w.writerows(rows)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for text, label in rows:
            f.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def write_fasttext(path, rows, tokens):
    """fastText lines: the class's label token (fasttext_text.label_tokens), then the normalised text."""
    with open(path, "w", encoding="utf-8") as f:
        for text, label in rows:
            f.write(fasttext_text.label_line(tokens[label], text) + "\n")


SENTI_WRITERS = dict(csv=(".csv", write_csv), jsonl=(".jsonl", write_jsonl))


def write_senti_files(split, folder, fmt="csv"):
    """TRAIN/TEST(/DEV) files for senti in `folder`; returns {part: path}."""
    ext, writer = SENTI_WRITERS[fmt]
    out = {}
    for part in ("train", "test", "dev"):
        rows = getattr(split, part)
        if rows is not None:
            out[part] = os.path.join(folder, part + ext)
            writer(out[part], rows)
    return out


# ---------------------------------------------------------------------------------------------
# The two tools


def run_fasttext(split, folder, seed, params=FASTTEXT_ANCHOR):
    """fastText on the split, in this process: write its files from the rows, train, predict every
    test row. Returns a record (accuracy over all test rows; times apart and in sum)."""
    import fasttext

    cpu0, t0 = time.process_time(), time.perf_counter()
    tokens = fasttext_text.label_tokens(split.classes)
    train_path, test_path = os.path.join(folder, "train.ft"), os.path.join(folder, "test.ft")
    write_fasttext(train_path, split.train, tokens)
    write_fasttext(test_path, split.test, tokens)
    t1 = time.perf_counter()
    model = fasttext.train_supervised(input=train_path, seed=seed, verbose=0, **params)
    t2 = time.perf_counter()
    texts = [fasttext_text.normalise(text) for text, _ in split.test]
    predicted, _ = model.predict(texts, k=1)
    correct = sum(1 for p, (_, label) in zip(predicted, split.test) if p and p[0] == tokens[label])
    t3 = time.perf_counter()
    n_read, p_at_1, _ = model.test(test_path)  # fastText's own figure (skips lines without words)
    return dict(tool="fasttext", test_accuracy=correct / len(split.test), test_rows=len(split.test),
                fasttext_test_n=n_read, fasttext_test_p_at_1=p_at_1, prep_s=t1 - t0, train_s=t2 - t1,
                predict_s=t3 - t2, wall_s=t3 - t0, cpu_s=time.process_time() - cpu0, seed=seed,
                settings=dict(params))


def _children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def senti_command(senti, files, run_dir, cache_dir, seed, extra=()):
    cmd = [senti, "train", "--device", "cpu", "--data", files["train"]]
    if "test" in files:
        cmd += ["--test-data", files["test"]]
    if "dev" in files:
        cmd += ["--validation-data", files["dev"]]
    return cmd + ["--out", run_dir, "--cache-dir", cache_dir, "--seed", str(seed), *extra]


def read_senti_metrics(run_dir):
    """RUN/metrics.jsonl: one line per epoch, the early-stopping line, then {"test_acc",
    "test_samples", ...}."""
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
        lines = [json.loads(l) for l in f if l.strip()]
    epochs = [l for l in lines if "epoch" in l]
    test = [l for l in lines if "test_acc" in l]
    if not test:
        raise ValueError("no test_acc line in metrics.jsonl")
    return dict(test_accuracy=test[-1]["test_acc"], test_samples=test[-1].get("test_samples"),
                epochs_run=len(epochs), val_accuracy=epochs[-1].get("val_acc") if epochs else None,
                train_s=sum(l.get("seconds", 0.0) for l in epochs),
                early_stopping=next((l["early_stopping"] for l in lines if "early_stopping" in l), None))


def senti_recipe_lines(stderr):
    """What senti said about the recipe it picked (the `senti: --preset ...` line) and its model."""
    return [l.strip() for l in stderr.splitlines()
            if l.startswith("senti: --preset") or l.startswith("Model:") or l.startswith("senti: backend")]


def run_senti(senti, files, folder, seed, threads, timeout, expect_test_rows, extra=()):
    run_dir, cache_dir = os.path.join(folder, f"run-{seed}"), os.path.join(folder, f"cache-{seed}")
    cmd = senti_command(senti, files, run_dir, cache_dir, seed, extra)
    env = dict(os.environ, SENTI_CPU_THREADS=str(threads))
    cpu0, t0 = _children_cpu_s(), time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return dict(tool="senti", command=cmd, error=f"timed out after {timeout} s")
    wall = time.perf_counter() - t0
    rec = dict(tool="senti", command=cmd, wall_s=wall, cpu_s=_children_cpu_s() - cpu0, seed=seed,
               threads=threads, recipe=senti_recipe_lines(r.stderr + "\n" + r.stdout))
    if r.returncode != 0:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-3:]
        rec["error"] = f"exit {r.returncode}: {' / '.join(tail)}"
        return rec
    try:
        rec.update(read_senti_metrics(run_dir))
    except (OSError, ValueError, KeyError) as e:
        rec["error"] = f"unreadable metrics ({e})"
        return rec
    if expect_test_rows is not None and rec["test_samples"] != expect_test_rows:
        rec["error"] = f"senti tested {rec['test_samples']} rows, the split has {expect_test_rows}"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(cache_dir, ignore_errors=True)
    return rec


# ---------------------------------------------------------------------------------------------
# Summary and table


def spread(values):
    return min(values), statistics.median(values), max(values)


def summarise(splits, records):
    """One row per set: the split's facts and min / median / max of each tool's accuracy and wall
    time over its successful rounds (errors are counted and listed, not averaged)."""
    rows = []
    for sp in splits:
        d = sp.describe() if isinstance(sp, Split) else dict(sp)
        row = dict(d)
        for tool in ("fasttext", "senti"):
            ok = [r for r in records if r["set"] == d["set"] and r["tool"] == tool and "error" not in r]
            bad = [r for r in records if r["set"] == d["set"] and r["tool"] == tool and "error" in r]
            row[tool] = dict(runs=len(ok), errors=[r["error"] for r in bad])
            if ok:
                row[tool]["acc"] = spread([r["test_accuracy"] for r in ok])
                row[tool]["wall_s"] = spread([r["wall_s"] for r in ok])
        if row["fasttext"].get("acc") and row["senti"].get("acc"):
            row["senti_minus_fasttext"] = row["senti"]["acc"][1] - row["fasttext"]["acc"][1]
        rows.append(row)
    return rows


def fmt_spread(triple, fmt):
    """"min / median / max", or the one value when all rounds gave it."""
    if not triple:
        return "—"
    lo, med, hi = (format(v, fmt) for v in triple)
    return lo if lo == med == hi else f"{lo} / {med} / {hi}"


TABLE_HEAD = ["set", "split", "classes", "train / test rows", "fastText acc", "fastText wall s",
              "senti acc", "senti wall s", "senti − fastText (median acc)"]


def fmt_table(rows):
    lines = ["| " + " | ".join(TABLE_HEAD) + " |", "|" + "---|" * len(TABLE_HEAD)]
    for r in rows:
        cells = [SETS.get(r["set"], {}).get("title", r["set"]), r["split"], str(r["classes"]),
                 f"{r['train_rows']:,} / {r['test_rows']:,}"]
        for tool in ("fasttext", "senti"):
            t = r[tool]
            if t.get("acc"):
                cells += [fmt_spread(t["acc"], ".4f"), fmt_spread(t["wall_s"], ".2f")]
            else:
                cells += ["error" if t["errors"] else "—", "—"]
        d = r.get("senti_minus_fasttext")
        cells.append("—" if d is None else f"{100 * d:+.1f} points")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def senti_identity(senti):
    """senti's --version, the binary's path, mtime and sha256 (its first 16 hex digits)."""
    try:
        version = subprocess.run([senti, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError as e:
        version = f"not runnable ({e})"
    st = os.stat(senti) if os.path.exists(senti) else None
    digest = None
    if st:
        with open(senti, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return dict(binary=os.path.abspath(senti), version=version, sha256=digest,
                built=(datetime.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec="seconds")
                       if st else None))


def snapshot_binary(senti, folder):
    """A private copy of the senti binary, so that a rebuild of build/senti during the rounds (a
    shared machine) neither fails a run nor mixes two builds in one table."""
    dst = os.path.join(folder, "senti")
    shutil.copy2(senti, dst)
    return dst


def fasttext_version():
    try:
        return metadata.version("fasttext")
    except metadata.PackageNotFoundError:
        return None


def report_md(args, info, senti_id, ft_version, rows, records, loads, command):
    ok = [r for r in records if "error" not in r]
    errors = "".join(f"- error, {r['set']} {r['tool']} round {r['round']}: {r['error']}\n"
                     for r in records if "error" in r)
    recipes = {}
    for r in ok:
        if r["tool"] == "senti" and r.get("recipe"):
            recipes.setdefault(r["set"], r)
    def said(r, prefix):
        return next((l for l in r.get("recipe", []) if l.startswith(prefix)), "")

    def picked(r):
        line = said(r, "senti: --preset").replace("senti: ", "", 1).split(" (")[0]
        return f"{line} (said on stderr)" if line else "no recipe line on stderr (on aclImdb: the seed recipe)"

    recipe_md = "".join(f"- senti on {s} (round 1): {picked(r)}; {said(r, 'Model:')}; epochs run {r.get('epochs_run')}\n"
                        for s, r in recipes.items())
    backend = next((said(r, "senti: backend") for r in recipes.values()), "")
    if backend:
        recipe_md = f"- senti {backend.replace('senti: ', '', 1)}\n" + recipe_md
    flags = ", ".join(f"{f} {'yes' if v else 'no'}" for f, v in info["cpu_flags"].items())
    return (f"# senti beside fastText, same splits, same machine\n\n"
            f"- date: {info['date']}\n"
            f"- machine: {info['host']}, {info['cpu']} ({flags}), {info['cores']} cores\n"
            f"- load average (1 min) before the runs: {min(loads):.1f} .. {max(loads):.1f}\n"
            f"- senti: {senti_id['version']}, binary {senti_id['binary']} built {senti_id['built']} "
            f"(sha256 {senti_id['sha256']}..., copied once and run from the copy); "
            f"repository at {info['commit']}\n"
            f"- fastText: PyPI fasttext {ft_version}, train_supervised("
            + ", ".join(f"{k}={v}" for k, v in FASTTEXT_ANCHOR.items()) + "), tutorial text normalisation\n"
            f"- threads: fastText thread=1 (the anchor setting); senti SENTI_CPU_THREADS={args.threads}\n"
            f"- rounds: {args.rounds} interleaved (IMDB: {args.imdb_rounds}); round k seeds both tools with "
            f"{args.seed} + k - 1; min / median / max over the rounds (one value: all rounds agree)\n"
            f"- wall: fastText = writing its files from the rows + training + predicting the test rows; "
            f"senti = the whole `senti train` process (reading, tokenising into a fresh cache, training, "
            f"validation, test)\n"
            f"- command: `{command}`\n"
            + "".join(f"- note: {n}\n" for n in getattr(args, "notes", []))
            + recipe_md + errors + "\n" + fmt_table(rows) + "\n")


# ---------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", default=DEFAULT_SETS, help=f"comma list of: {', '.join(SETS)} (default: all)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per set (default 3)")
    p.add_argument("--imdb-rounds", type=int, default=1,
                   help="rounds for IMDB (default 1: senti's default aclImdb recipe is 20 epochs)")
    p.add_argument("--senti", default=os.path.join(ROOT, "build", "senti"), help="the senti binary")
    p.add_argument("--data", default=DEFAULT_DATA,
                   help="the shared data folder (holding textclf/ and imdb/)")
    p.add_argument("--out", default=os.path.join(HERE, "results", "textclf-" + datetime.date.today().isoformat()),
                   help="folder for records.jsonl, textclf.json and textclf.md")
    p.add_argument("--threads", type=int, default=2, help="senti's CPU threads (SENTI_CPU_THREADS)")
    p.add_argument("--seed", type=int, default=1337,
                   help="round k's seed for both tools is SEED + k - 1 (1337: senti's default)")
    p.add_argument("--split-seed", type=int, default=SPLIT_SEED,
                   help="the seed of the 90/10 splits and the training-row order")
    p.add_argument("--senti-format", choices=sorted(SENTI_WRITERS), default="csv",
                   help="the files senti reads (text,label)")
    p.add_argument("--tools", default="fasttext,senti", help="comma list of fasttext, senti")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per senti run")
    p.add_argument("--report", metavar="DIR", help="only write DIR/textclf.md again from DIR/textclf.json")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke mode: {QUICK_ROWS[0]} training and {QUICK_ROWS[1]} test rows of each split, one "
                        "round, senti --epochs 1 (not IMDB)")
    args = p.parse_args(argv)
    args.sets = [s for s in args.sets.split(",") if s]
    for s in args.sets:
        if s not in SETS:
            p.error(f"--sets: unknown set '{s}' (known: {', '.join(SETS)})")
    args.tools = [t for t in args.tools.split(",") if t]
    if not set(args.tools) <= {"fasttext", "senti"}:
        p.error("--tools: fasttext and/or senti")
    args.notes = []
    if args.quick:
        if "imdb" in args.sets:  # senti reads the whole archive: no small mode
            args.sets.remove("imdb")
            args.notes.append("--quick leaves IMDB out (senti reads the whole archive)")
        args.rounds = 1
    return args


def rewrite_report(folder):
    """--report DIR: textclf.md again from DIR/textclf.json (e.g. after a change to the report's
    wording), with the command, machine and records of the run that made it."""
    with open(os.path.join(folder, "textclf.json"), encoding="utf-8") as f:
        run = json.load(f)
    args = argparse.Namespace(**run["args"])
    records = run["records"]
    md = report_md(args, run["machine"], run["senti"], run["fasttext"], run["summary"], records,
                   [r["load_before"] for r in records] or [0.0], run.get("command", "?"))
    with open(os.path.join(folder, "textclf.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(md)
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        return rewrite_report(args.report)
    ft_version = fasttext_version()
    if "fasttext" in args.tools and ft_version is None:
        raise SystemExit(f"{sys.executable} has no fasttext (pip install fasttext, or "
                         "bash benchmarks/install_baselines.sh; /work/benchvenv/bin/python has it)")
    if "senti" in args.tools and not os.access(args.senti, os.X_OK):
        raise SystemExit(f"--senti {args.senti}: not an executable (build it, or name one)")
    for n in args.notes:
        print(f"note: {n}", flush=True)
    os.makedirs(args.out, exist_ok=True)
    info = sysinfo.machine_info("cpu", ROOT)
    senti_id = senti_identity(args.senti)
    bin_dir = tempfile.mkdtemp(prefix="textclf-senti-")
    senti = snapshot_binary(args.senti, bin_dir) if "senti" in args.tools else args.senti
    print(f"textclf_vs_fasttext: {info['cpu']}, {info['cores']} cores; {senti_id['version']} ({args.senti}); "
          f"fasttext {ft_version}; sets {', '.join(args.sets)}", flush=True)
    records_path = os.path.join(args.out, "records.jsonl")
    open(records_path, "w").close()
    records, splits, loads = [], [], []
    for name in args.sets:
        split = make_split(name, args.data, args.split_seed, args.quick)
        splits.append(split)
        d = split.describe()
        print(f"{SETS[name]['title']}: {d['classes']} classes, {d['train_rows']} train / {d['test_rows']} test rows"
              + (f" / {d['dev_rows']} dev" if split.dev is not None else "") + f"; {split.how}", flush=True)
        folder = tempfile.mkdtemp(prefix=f"textclf-{name}-")
        try:
            if name == "imdb":  # senti reads the archive itself, so that it picks its aclImdb recipe
                files = dict(train=os.path.join(args.data, SETS["imdb"]["files"]["all"]))
            else:
                files = write_senti_files(split, folder, args.senti_format)
            extra = ["--epochs", "1"] if args.quick else []
            for rnd in range(1, (args.imdb_rounds if name == "imdb" else args.rounds) + 1):
                seed = args.seed + rnd - 1
                for tool in args.tools:
                    load = os.getloadavg()[0]
                    loads.append(load)
                    if tool == "fasttext":
                        rec = run_fasttext(split, folder, seed)
                    else:
                        rec = run_senti(senti, files, folder, seed, args.threads, args.timeout,
                                        len(split.test), extra)
                    rec.update(set=name, round=rnd, load_before=load, cpu=info["cpu"], split=split.how)
                    records.append(rec)
                    with open(records_path, "a") as f:
                        f.write(json.dumps(rec) + "\n")
                    shown = (f"error: {rec['error']}" if "error" in rec else
                             f"acc {rec['test_accuracy']:.4f}, wall {rec['wall_s']:.2f} s")
                    print(f"  [{name} round {rnd}] {tool}: {shown} (load {load:.1f})", flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(bin_dir, ignore_errors=True)
    rows = summarise(splits, records)
    command = " ".join([os.path.relpath(sys.argv[0], ROOT) if os.path.isabs(sys.argv[0]) else sys.argv[0]]
                       + sys.argv[1:]) if argv is None else "textclf_vs_fasttext.main(" + repr(argv) + ")"
    md = report_md(args, info, senti_id, ft_version, rows, records, loads or [0.0], command)
    print("\n" + md)
    with open(os.path.join(args.out, "textclf.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.out, "textclf.json"), "w", encoding="utf-8") as f:
        json.dump(dict(command=command, machine=info, senti=senti_id, fasttext=ft_version, fasttext_settings=FASTTEXT_ANCHOR,
                       args={k: v for k, v in vars(args).items()}, summary=rows, records=records), f, indent=1)
    print(f"wrote {args.out}/textclf.md, textclf.json and records.jsonl")
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
