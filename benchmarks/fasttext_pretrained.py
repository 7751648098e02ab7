#!/usr/bin/env python3
"""fastText learning from IMDB's unlabeled reviews: skipgram word vectors on the unlabeled (and
labeled-train) text, then `supervised -pretrainedVectors`, beside the same supervised run without
them. The fastText baseline of issue 24 (no outside text, no downloaded vectors).

    python3 benchmarks/fasttext_pretrained.py --out DIR [--seeds 1337,1338,1339] [--threads 2]
        [--skipgram-epoch 5] [--data ../shared/data/imdb] [--quick] [--report DIR]

Any python with PyPI `fasttext` runs it (benchmarks/install_baselines.sh installs it; on the build
VM, /work/benchvenv/bin/python has it).

Data (../shared/data/imdb, its README.md): aclImdb_v1_labeled.tar.gz (25,000 train / 25,000 test
reviews) and aclImdb_v1_unsup.tar.gz (aclImdb/train/unsup/<id>_0.txt, 50,000 unlabeled reviews of
movies in neither labeled split). Both are read without extracting. Text as fasttext_imdb.py
prepares it (baselines/fasttext_text.py: `<br />` removed, lower case, the fastText tutorial's
punctuation split off).

Per seed S (--seeds; the seeds are run one after the other, both runs of a seed together):
  (a) supervised: train_supervised on the 25,000 labeled training reviews with fasttext_imdb.py's
      settings (epoch 5, lr 0.5, dim 50, wordNgrams 2; everything else fastText's default),
      thread --threads, seed S; the training lines in the fixed-seed shuffle of fasttext_imdb.py
      (common.shuffled_rows(25000, S): the archive is all pos, then all neg, and fastText reads its
      file in order);
  (b) skipgram + supervised: train_unsupervised(model='skipgram', dim=50, epoch --skipgram-epoch,
      thread --threads, seed S; the rest fastText's defaults: lr 0.05, ws 5, minCount 5, neg 5,
      minn 3, maxn 6, t 1e-4) on the text of the 50,000 unlabeled + 25,000 labeled training reviews
      (never the test text; one document a line, in a seed-S shuffle), its word vectors written as
      a .vec file the way the CLI writes them (`nwords dim` header, getWordVector, 5 significant
      digits); then (a)'s train_supervised on (a)'s file with pretrainedVectors=that .vec. dim 50
      for the skipgram because pretrainedVectors must have the supervised model's dim.
Accuracy: predictions on all 25,000 test reviews (a review fastText cannot read counts as wrong;
fastText's own model.test precision@1 is recorded too). Times apart: skipgram training, writing the
.vec, supervised training (reading the file and building the dictionary included, as the CLI
counts), predicting. fastText trains hogwild with more than one thread, so a seed does not fix the
result exactly with --threads 2.

Writes DIR/records.jsonl (one JSON record per run, appended as it goes), DIR/fasttext_pretrained.json
(machine, versions, arguments, summary, records) and DIR/fasttext_pretrained.md (the table).
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "baselines"))
sys.path.insert(0, HERE)
import common  # noqa: E402
import fasttext_text  # noqa: E402
import sysinfo  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "imdb")
LABELED = "aclImdb_v1_labeled.tar.gz"
UNSUP = "aclImdb_v1_unsup.tar.gz"
# fasttext_imdb.py's defaults: the fastText CLI's `supervised -epoch 5 -lr 0.5 -dim 50 -wordNgrams 2`.
SUPERVISED = dict(epoch=5, lr=0.5, dim=50, wordNgrams=2)
DEFAULT_SEEDS = "1337,1338,1339"
QUICK = dict(train=2000, test=2000, unsup=4000)  # --quick: reviews of each part, one seed
RUNS = ("supervised", "skipgram+supervised")
RUN_TITLES = {"supervised": "(a) supervised, no pretrained vectors",
              "skipgram+supervised": "(b) skipgram on unlabeled + train text, then supervised -pretrainedVectors"}
# The fastText Args fields worth recording (model.f.getArgs()), to show what each run really used.
ARG_FIELDS = ("model", "loss", "dim", "epoch", "lr", "lrUpdateRate", "ws", "minCount", "minCountLabel",
              "neg", "wordNgrams", "bucket", "minn", "maxn", "t", "thread", "seed", "pretrainedVectors")

_UNSUP_NAME = re.compile(r"(?:^|/)train/unsup/(\d+)_0\.txt$")


# ---------------------------------------------------------------------------------------------
# Data


def read_unsup(data_dir):
    """The unlabeled reviews, texts in id order (0..49999), from aclImdb_v1_unsup.tar.gz (read
    without extracting) or the extracted files (DIR/aclImdb/train/unsup/ or DIR/train/unsup/)."""
    found = []
    archive = os.path.join(data_dir, UNSUP)
    if os.path.isfile(archive):
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                m = _UNSUP_NAME.search(member.name)
                if member.isfile() and m:
                    found.append((int(m.group(1)), tar.extractfile(member).read().decode("utf-8", errors="replace")))
    else:
        top = os.path.join(data_dir, "aclImdb") if os.path.isdir(os.path.join(data_dir, "aclImdb")) else data_dir
        folder = os.path.join(top, "train", "unsup")
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            m = _UNSUP_NAME.search("train/unsup/" + name)
            if m:
                with open(os.path.join(folder, name), "rb") as f:
                    found.append((int(m.group(1)), f.read().decode("utf-8", errors="replace")))
    if not found:
        raise SystemExit(f"{data_dir}: no {UNSUP} and no train/unsup/<id>_0.txt files")
    found.sort()
    return [text for _, text in found]


def sha256_16(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


class Data:
    """The normalised texts: train [(label token, text)], test [(label token, text)], unsup [text];
    train and test in the archive's order (cut by --quick's fixed-seed draws)."""

    def __init__(self, data_dir, quick=False, quick_seed=1337):
        t0 = time.perf_counter()
        reviews = common.read_reviews(data_dir)
        unsup = read_unsup(data_dir)
        tok = {1.0: fasttext_text.label_token("pos"), 0.0: fasttext_text.label_token("neg")}
        train = [(tok[label], fasttext_text.normalise(text)) for _, label, text in reviews["train"]]
        test = [(tok[label], fasttext_text.normalise(text)) for _, label, text in reviews["test"]]
        self.note = ""
        if quick:  # fixed-seed draws, as fasttext_imdb.py --limit draws them
            train = [train[k] for k in sorted(common.shuffled_rows(len(train), quick_seed, QUICK["train"]))]
            test = [test[k] for k in sorted(common.shuffled_rows(len(test), quick_seed + 1, QUICK["test"]))]
            unsup = [unsup[k] for k in sorted(common.shuffled_rows(len(unsup), quick_seed + 2, QUICK["unsup"]))]
            self.note = (f"--quick: {QUICK['train']} train / {QUICK['test']} test / {QUICK['unsup']} unlabeled "
                         f"reviews (fixed-seed draws)")
        self.train, self.test = train, test
        self.unsup = [fasttext_text.normalise(text) for text in unsup]
        self.load_s = time.perf_counter() - t0
        self.archives = {name: dict(bytes=os.path.getsize(os.path.join(data_dir, name)),
                                    sha256_16=sha256_16(os.path.join(data_dir, name)))
                         for name in (LABELED, UNSUP) if os.path.isfile(os.path.join(data_dir, name))}

    def describe(self):
        tokens = sum(len(t.split()) for t in self.unsup) + sum(len(t.split()) for _, t in self.train)
        return dict(train_reviews=len(self.train), test_reviews=len(self.test), unsup_reviews=len(self.unsup),
                    skipgram_docs=len(self.unsup) + len(self.train), skipgram_tokens=tokens,
                    load_s=self.load_s, archives=self.archives, note=self.note)


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")


def write_supervised_files(data, folder, seed):
    """train-S.txt (the seed-S shuffle of fasttext_imdb.py) and test.txt (archive order)."""
    train_path = os.path.join(folder, f"train-{seed}.txt")
    write_lines(train_path, (f"{data.train[k][0]} {data.train[k][1]}"
                             for k in common.shuffled_rows(len(data.train), seed)))
    test_path = os.path.join(folder, "test.txt")
    if not os.path.exists(test_path):
        write_lines(test_path, (f"{label} {text}" for label, text in data.test))
    return train_path, test_path


def write_corpus(data, folder, seed):
    """The skipgram's text: the unlabeled reviews and the labeled training reviews (no labels, never
    the test reviews), one a line, in a seed-S shuffle."""
    docs = data.unsup + [text for _, text in data.train]
    path = os.path.join(folder, f"corpus-{seed}.txt")
    write_lines(path, (docs[k] for k in common.shuffled_rows(len(docs), seed)))
    return path


# ---------------------------------------------------------------------------------------------
# fastText


def model_args(model):
    a = model.f.getArgs()
    out = {}
    for k in ARG_FIELDS:
        v = getattr(a, k, None)
        out[k] = v if isinstance(v, (int, float, str, bool)) or v is None else str(v).split(".")[-1]
    return out


def save_vec(model, path):
    """The word vectors as the CLI's `skipgram` writes its .vec: `nwords dim`, then each word and
    getWordVector (the word's vector averaged with its character n-grams), 5 significant digits.
    Returns the number of words."""
    words = model.get_words()
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{len(words)} {model.get_dimension()}\n")
        for w in words:
            f.write(w + " " + " ".join(f"{x:.5g}" for x in model.get_word_vector(w)) + " \n")
    return len(words)


def evaluate(model, data, test_path):
    """Accuracy over all test reviews from predictions, and fastText's own test() figure."""
    t0 = time.perf_counter()
    predicted, _ = model.predict([text for _, text in data.test], k=1)
    correct = sum(1 for p, (label, _) in zip(predicted, data.test) if p and p[0] == label)
    n_read, p_at_1, _ = model.test(test_path)
    return dict(test_accuracy=correct / len(data.test), test_rows=len(data.test), fasttext_test_n=n_read,
                fasttext_test_p_at_1=p_at_1, predict_s=time.perf_counter() - t0)


def run_supervised(train_path, test_path, data, seed, threads, vec_path=None):
    import fasttext

    params = dict(SUPERVISED, thread=threads, seed=seed, verbose=0)
    if vec_path:
        params["pretrainedVectors"] = vec_path
    cpu0, t0 = time.process_time(), time.perf_counter()
    model = fasttext.train_supervised(input=train_path, **params)
    train_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    rec = dict(train_s=train_s, train_cpu_s=cpu_s, supervised_args=model_args(model),
               supervised_words=len(model.get_words()), train_rows=len(data.train))
    rec.update(evaluate(model, data, test_path))
    return rec, model


def train_unsupervised_seeded(seed, **kw):
    """fasttext.train_unsupervised(**kw) with fastText's `seed` set. PyPI fasttext 0.9.3's
    train_unsupervised does not take `seed` (train_supervised does; the CLI's -seed works for both),
    so where it refuses it, this does what train_unsupervised does, with seed added to its args."""
    import fasttext

    try:
        return fasttext.train_unsupervised(seed=seed, **kw)
    except TypeError as e:  # raised while reading the arguments, before any training
        if "seed" not in str(e):
            raise
    from fasttext import FastText as ft_py

    args, manual = ft_py.read_args((), kw, list(kw), ft_py.unsupervised_default)
    args["seed"] = seed
    manual.add("seed")
    a = ft_py._build_args(args, manual)
    model = ft_py._FastText(args=a)
    ft_py.fasttext.train(model.f, a)
    model.set_args(model.f.getArgs())
    return model


def run_skipgram(corpus_path, folder, seed, threads, epoch, dim):
    cpu0, t0 = time.process_time(), time.perf_counter()
    model = train_unsupervised_seeded(seed, input=corpus_path, model="skipgram", dim=dim, epoch=epoch,
                                      thread=threads, verbose=0)
    skipgram_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    vec_path = os.path.join(folder, f"skipgram-{seed}.vec")
    t0 = time.perf_counter()
    n_words = save_vec(model, vec_path)
    vec_s = time.perf_counter() - t0
    return dict(skipgram_s=skipgram_s, skipgram_cpu_s=cpu_s, vec_write_s=vec_s, vec_words=n_words,
                vec_bytes=os.path.getsize(vec_path), skipgram_args=model_args(model)), vec_path, set(model.get_words())


# ---------------------------------------------------------------------------------------------
# Summary and report


def spread(values):
    return [min(values), statistics.median(values), max(values)] if values else None


def summarise(records, seeds):
    rows = []
    for run in RUNS:
        ok = [r for r in records if r["run"] == run and "error" not in r]
        row = dict(run=run, runs=len(ok), errors=[r["error"] for r in records if r["run"] == run and "error" in r],
                   acc_by_seed={str(r["seed"]): r["test_accuracy"] for r in ok},
                   acc=spread([r["test_accuracy"] for r in ok]),
                   supervised_s=spread([r["train_s"] for r in ok]),
                   skipgram_s=spread([r["skipgram_s"] for r in ok if "skipgram_s" in r]),
                   wall_s=spread([r["wall_s"] for r in ok]))
        rows.append(row)
    a, b = rows
    if a["acc"] and b["acc"]:
        b["minus_a_median"] = b["acc"][1] - a["acc"][1]
        both = [s for s in a["acc_by_seed"] if s in b["acc_by_seed"]]
        b["minus_a_by_seed"] = {s: b["acc_by_seed"][s] - a["acc_by_seed"][s] for s in both}
    return rows


def fmt_spread(triple, fmt):
    if not triple:
        return "—"
    lo, med, hi = (format(v, fmt) for v in triple)
    return lo if lo == med == hi else f"{lo} / {med} / {hi}"


def fmt_table(rows, seeds):
    head = ["run"] + [f"test acc, seed {s}" for s in seeds] + [
        "min / median / max", "skipgram s", "supervised s", "wall s (skipgram + .vec + supervised)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [RUN_TITLES[r["run"]]]
        cells += [format(r["acc_by_seed"][str(s)], ".4f") if str(s) in r["acc_by_seed"] else "—" for s in seeds]
        cells += [fmt_spread(r["acc"], ".4f"), fmt_spread(r["skipgram_s"], ".0f"),
                  fmt_spread(r["supervised_s"], ".1f"), fmt_spread(r["wall_s"], ".0f")]
        lines.append("| " + " | ".join(cells) + " |")
    b = rows[1]
    if "minus_a_median" in b:
        by_seed = ", ".join(f"{s}: {100 * d:+.2f}" for s, d in b["minus_a_by_seed"].items())
        lines.append(f"\n(b) − (a): {100 * b['minus_a_median']:+.2f} points at the median "
                     f"(per seed, points: {by_seed}).")
    return "\n".join(lines)


def report_md(run):
    info, args, data = run["machine"], run["args"], run["data"]
    recs = [r for r in run["records"] if "error" not in r]
    sk = next((r["skipgram_args"] for r in recs if "skipgram_args" in r), None)
    sup = next((r["supervised_args"] for r in recs if r["run"] == "supervised"), None)
    pre = [r for r in recs if "vec_words" in r]
    flags = ", ".join(f"{f} {'yes' if v else 'no'}" for f, v in info["cpu_flags"].items())
    loads = [r["load_before"] for r in run["records"]] or [0.0]
    seeds = args["seeds"]
    out = [f"# fastText: skipgram on IMDB's unlabeled reviews, then supervised -pretrainedVectors\n",
           f"- date: {info['date']}",
           f"- machine: {info['host']}, {info['cpu']} ({flags}), {info['cores']} cores; python {info['python']}",
           f"- load average (1 min) before the runs: {min(loads):.1f} .. {max(loads):.1f}",
           f"- fastText: PyPI fasttext {run['fasttext']} (in this process), thread={args['threads']}; "
           f"repository at {info['commit']}",
           f"- data: {data['train_reviews']:,} labeled train / {data['test_reviews']:,} test reviews "
           f"({LABELED}); {data['unsup_reviews']:,} unlabeled reviews ({UNSUP}); text as fasttext_imdb.py "
           f"prepares it" + (f"; {data['note']}" if data["note"] else ""),
           f"- (a) and (b)'s supervised step: train_supervised("
           + ", ".join(f"{k}={v}" for k, v in SUPERVISED.items())
           + ", thread, seed S), fasttext_imdb.py's settings, on the labeled train reviews in a seed-S shuffle",
           f"- (b)'s skipgram: train_unsupervised(model='skipgram', dim={SUPERVISED['dim']}, "
           f"epoch={args['skipgram_epoch']}, thread, seed S) on {data['skipgram_docs']:,} reviews "
           f"({data['unsup_reviews']:,} unlabeled + {data['train_reviews']:,} labeled train, never test; "
           f"{data['skipgram_tokens']:,} tokens), written as .vec and given as pretrainedVectors"]
    if sk:
        out.append("- skipgram args as fastText ran them: "
                   + ", ".join(f"{k} {sk[k]}" for k in ("lr", "ws", "minCount", "neg", "minn", "maxn", "t",
                                                          "bucket", "loss") if k in sk))
    if sup:
        out.append("- supervised args as fastText ran them: "
                   + ", ".join(f"{k} {sup[k]}" for k in ("lr", "dim", "epoch", "wordNgrams", "minCount",
                                                          "bucket", "loss", "minn", "maxn") if k in sup))
    if pre:
        r = pre[0]
        out.append(f"- .vec (seed {r['seed']}): {r['vec_words']:,} words (minCount 5); it covers "
                   f"{r['pretrained_coverage']:.1%} of the supervised dictionary's {r['supervised_words']:,} "
                   f"words (minCount 1), {r['pretrained_token_coverage']:.1%} of the training tokens; the rest "
                   f"start at fastText's random init")
    if pre:
        out.append("- CPU the skipgram got (its process CPU time / wall; 2.0 = both cores): "
                   + ", ".join(f"seed {r['seed']} {r['skipgram_cpu_s'] / r['skipgram_s']:.2f}" for r in pre)
                   + "; load average (1 min) after each (b): "
                   + ", ".join(f"{r['load_after']:.1f}" for r in pre))
    out += [f"- seeds: {', '.join(str(s) for s in seeds)}, one after the other; per seed (a) then (b), "
            f"both on the same shuffled training file; fastText trains hogwild with {args['threads']} threads, "
            f"so a seed does not fix the result exactly",
            "- accuracy: predictions on all test reviews (fastText's model.test precision@1 agrees: "
            + ("yes" if all(abs(r["test_accuracy"] - r["fasttext_test_p_at_1"]) < 1e-9 and
                            r["fasttext_test_n"] == r["test_rows"] for r in recs) else "NO, see records") + ")",
            "- wall: (a) = supervised training (reading its file and building its dictionary included); "
            "(b) = skipgram training + writing the .vec + supervised training (loading the .vec included); "
            "predicting the test reviews and writing the text files are left out of both",
            f"- command: `{run['command']}`"]
    out += [f"- note: {n}" for n in run.get("notes", [])]
    out += [f"- error, {r['run']} seed {r['seed']}: {r['error']}" for r in run["records"] if "error" in r]
    out += ["", fmt_table(run["summary"], seeds), ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help=f"the folder holding {LABELED} and {UNSUP}")
    p.add_argument("--out", default=os.path.join(HERE, "results", "fasttext-pretrained-" + datetime.date.today().isoformat()),
                   help="folder for records.jsonl, fasttext_pretrained.json and fasttext_pretrained.md")
    p.add_argument("--seeds", default=DEFAULT_SEEDS, help=f"comma list (default {DEFAULT_SEEDS})")
    p.add_argument("--threads", type=int, default=2, help="fastText threads, both steps (default 2)")
    p.add_argument("--skipgram-epoch", type=int, default=5, help="skipgram epochs (default 5, fastText's)")
    p.add_argument("--runs", default=",".join(RUNS), help="comma list of: " + ", ".join(RUNS))
    p.add_argument("--keep", metavar="DIR", help="keep the .vec files here (they are large; default: deleted)")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke mode: {QUICK['train']} train / {QUICK['test']} test / {QUICK['unsup']} unlabeled "
                        "reviews, the first seed only")
    p.add_argument("--report", metavar="DIR",
                   help="only write DIR/fasttext_pretrained.md again from its .json (or, for a run stopped "
                        "early, .json and .md from DIR/records.jsonl)")
    p.add_argument("--command", help="with --report and no .json: the command that wrote the records")
    p.add_argument("--note", action="append", default=[], help="a line for the report's notes (repeatable)")
    args = p.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.quick:
        args.seeds = args.seeds[:1]
    args.runs = [r for r in args.runs.split(",") if r]
    if not args.seeds or not set(args.runs) <= set(RUNS):
        p.error("--seeds needs one seed at least; --runs: " + ", ".join(RUNS))
    return args


def rewrite_report(folder, args):
    """--report DIR: DIR/fasttext_pretrained.md again from DIR/fasttext_pretrained.json; where a run
    was stopped before its end (no .json), the .json and .md from DIR/records.jsonl, with the
    arguments given now (--seeds: the seeds the run was started with), the data described again and
    --command as the command that made the records."""
    path = os.path.join(folder, "fasttext_pretrained.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
        if args.note:  # kept in the .json, so that a later --report writes them again
            run["notes"] = run.get("notes", []) + [n for n in args.note if n not in run.get("notes", [])]
            with open(path, "w", encoding="utf-8") as f:
                json.dump(run, f, indent=1)
    else:
        with open(os.path.join(folder, "records.jsonl"), encoding="utf-8") as f:
            records = [json.loads(l) for l in f if l.strip()]
        done = sorted({r["seed"] for r in records})
        info = sysinfo.machine_info("cpu", ROOT)
        info["date"] += " (report rebuilt from records.jsonl)"
        desc = Data(args.data, args.quick, args.seeds[0]).describe()
        report_args = dict(vars(args), seeds=[s for s in args.seeds if s in done], seeds_started=args.seeds)
        run = dict(command=args.command or "?", machine=info, fasttext=metadata.version("fasttext"),
                   supervised_settings=SUPERVISED, args=report_args, data=desc,
                   summary=summarise(records, report_args["seeds"]), records=records, notes=list(args.note))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(run, f, indent=1)
    md = report_md(run)
    with open(os.path.join(folder, "fasttext_pretrained.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(md)
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        return rewrite_report(args.report, args)
    try:
        ft_version = metadata.version("fasttext")
    except metadata.PackageNotFoundError:
        raise SystemExit(f"{sys.executable} has no fasttext (pip install fasttext, or "
                         "bash benchmarks/install_baselines.sh; /work/benchvenv/bin/python has it)")
    os.makedirs(args.out, exist_ok=True)
    info = sysinfo.machine_info("cpu", ROOT)
    command = (" ".join([os.path.relpath(sys.argv[0], ROOT) if os.path.isabs(sys.argv[0]) else sys.argv[0]]
                        + sys.argv[1:]) if argv is None else "fasttext_pretrained.main(" + repr(argv) + ")")
    print(f"fasttext_pretrained: {info['cpu']}, {info['cores']} cores; fasttext {ft_version}; "
          f"seeds {args.seeds}; threads {args.threads}", flush=True)
    data = Data(args.data, args.quick, args.seeds[0])
    desc = data.describe()
    print(f"data: {desc['train_reviews']} train / {desc['test_reviews']} test / {desc['unsup_reviews']} unlabeled "
          f"reviews; skipgram text {desc['skipgram_docs']} reviews, {desc['skipgram_tokens']:,} tokens "
          f"(read and normalised in {desc['load_s']:.1f} s)", flush=True)
    records_path = os.path.join(args.out, "records.jsonl")
    open(records_path, "w").close()
    records = []
    folder = tempfile.mkdtemp(prefix="fasttext-pretrained-")

    def keep(rec):
        rec.update(load_after=os.getloadavg()[0], cpu=info["cpu"])
        records.append(rec)
        with open(records_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        shown = f"error: {rec['error']}" if "error" in rec else (
            f"acc {rec['test_accuracy']:.4f}, wall {rec['wall_s']:.1f} s"
            + (f" (skipgram {rec['skipgram_s']:.1f} s, supervised {rec['train_s']:.1f} s)" if "skipgram_s" in rec else ""))
        print(f"  [seed {rec['seed']}] {rec['run']}: {shown} (load {rec['load_before']:.1f} -> {rec['load_after']:.1f})",
              flush=True)

    try:
        for seed in args.seeds:
            train_path, test_path = write_supervised_files(data, folder, seed)
            if "supervised" in args.runs:
                rec = dict(run="supervised", seed=seed, load_before=os.getloadavg()[0])
                try:
                    r, _ = run_supervised(train_path, test_path, data, seed, args.threads)
                    rec.update(r, wall_s=r["train_s"])
                except Exception as e:  # noqa: BLE001 -- record it, go on with the other runs
                    rec["error"] = f"{type(e).__name__}: {e}"
                keep(rec)
            if "skipgram+supervised" in args.runs:
                rec = dict(run="skipgram+supervised", seed=seed, load_before=os.getloadavg()[0])
                try:
                    corpus = write_corpus(data, folder, seed)
                    r, vec_path, vec_words = run_skipgram(corpus, folder, seed, args.threads, args.skipgram_epoch,
                                                          SUPERVISED["dim"])
                    os.remove(corpus)
                    rec.update(r)
                    s, model = run_supervised(train_path, test_path, data, seed, args.threads, vec_path)
                    rec.update(s, wall_s=r["skipgram_s"] + r["vec_write_s"] + s["train_s"])
                    words, counts = model.get_words(include_freq=True)
                    covered = [w in vec_words for w in words]
                    rec["pretrained_coverage"] = sum(covered) / len(words)
                    rec["pretrained_token_coverage"] = (sum(c for c, k in zip(counts, covered) if k)
                                                        / max(1, sum(counts)))
                    if args.keep:
                        os.makedirs(args.keep, exist_ok=True)
                        shutil.copy2(vec_path, args.keep)
                    os.remove(vec_path)
                except Exception as e:  # noqa: BLE001
                    rec["error"] = f"{type(e).__name__}: {e}"
                keep(rec)
            os.remove(train_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    run = dict(command=command, machine=info, fasttext=ft_version, supervised_settings=SUPERVISED,
               args=vars(args), data=desc, summary=summarise(records, args.seeds), records=records,
               notes=list(args.note))
    md = report_md(run)
    print("\n" + md)
    with open(os.path.join(args.out, "fasttext_pretrained.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.out, "fasttext_pretrained.json"), "w", encoding="utf-8") as f:
        json.dump(run, f, indent=1)
    print(f"wrote {args.out}/fasttext_pretrained.md, fasttext_pretrained.json and records.jsonl")
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
