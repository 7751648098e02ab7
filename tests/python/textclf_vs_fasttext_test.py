#!/usr/bin/env python3
"""benchmarks/textclf_vs_fasttext.py's own logic, standard library only: the splits (seeded,
deterministic, disjoint, 90/10, the same rows in the files of both tools), the file writers (CSV
quoting, JSON Lines, fastText label tokens for class names with spaces) and the table; then the
whole loop with a stand-in senti. The one part that needs PyPI `fasttext` (a real fastText run on a
tiny set) is skipped, saying so, where it is not installed.

    textclf_vs_fasttext_test.py [SENTI_BIN DATA_ARCHIVE SCRATCH_DIR]   (only SCRATCH_DIR is used)
"""
import contextlib
import csv
import io
import json
import os
import shutil
import stat
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scratch = os.path.join(sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(), "textclf_vs_fasttext")
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import textclf_vs_fasttext as tv  # noqa: E402  (puts benchmarks/baselines on the path too)
import fasttext_text  # noqa: E402

# --- the seeded 90/10 split: deterministic, disjoint, complete, 90/10, train shuffled, test in order
for n in (10, 1000, 3775, 10606):
    tr, te = tv.split_rows(n, 7)
    assert (tr, te) == tv.split_rows(n, 7), "the same seed must give the same split"
    assert not set(tr) & set(te) and sorted(tr + te) == list(range(n)), n
    assert len(te) == round(0.1 * n) and len(tr) == n - round(0.1 * n), (n, len(te))
    assert te == sorted(te), "test rows keep the file order"
assert tv.split_rows(1000, 7) != tv.split_rows(1000, 8), "another seed, another split"
tr, _ = tv.split_rows(1000, 7)
assert tr != sorted(tr), "training rows are shuffled (the files are sorted by class)"
# Pinned: random.Random(seed).shuffle is the same in every CPython 3, so the stated split is stable.
assert tv.split_rows(10, 20211) == ([9, 0, 2, 4, 3, 8, 1, 5, 7], [6]), tv.split_rows(10, 20211)
print("ok   90/10 split: seeded, deterministic, disjoint, complete; training rows shuffled")

# --- a small data folder in every format of ../shared/data/textclf
data = os.path.join(scratch, "data")
for d in ("sst5", "trec", "subj", "cr", "mpqa"):
    os.makedirs(os.path.join(data, "textclf", d))


def put(rel, text):
    with open(os.path.join(data, "textclf", rel), "w", encoding="utf-8", newline="") as f:
        f.write(text)


put("sst5/train.tsv", "sentence\tlabel\n" + "".join(f"sentence {i} , with \"quote\"\t{i % 5}\n" for i in range(20)))
put("sst5/dev.tsv", "sentence\tlabel\n" + "".join(f"dev {i}\t{i % 5}\n" for i in range(5)))
put("sst5/test.tsv", "sentence\tlabel\n" + "".join(f"test {i}\t{i % 5}\n" for i in range(10)))
put("trec/train.csv", "label,text\r\n" + "".join(
    f'{c},"What, {i} ""is"" it ?"\r\n' for i, c in enumerate(["ABBR", "DESC", "HUM"] * 4)))
put("trec/test.csv", "label,text\r\nHUM,Who is it ?\r\nDESC,\"Why, then ?\"\r\n")
put("subj/subj.jsonl", "".join(json.dumps({"text": f"snippet {i}", "label": "subjective" if i < 50 else "objective"})
                               + "\n" for i in range(100)))
put("cr/cr.txt", "".join(f"__label__{'negative' if i < 13 else 'positive'} review {i} !\n" for i in range(37)))
put("mpqa/mpqa.txt", "".join(f"__label__{'negative' if i < 70 else 'positive'} phrase {i}\n" for i in range(106)))

subj = tv.make_split("subj", data, seed=5)
assert len(subj.train) == 90 and len(subj.test) == 10 and subj.dev is None, subj.describe()
assert subj.classes == ["objective", "subjective"] and subj.describe()["split"] == "90/10, seed 5"
assert not {t for t, _ in subj.train} & {t for t, _ in subj.test}
assert tv.make_split("subj", data, seed=5).train == subj.train, "make_split is deterministic"
assert len(tv.make_split("cr", data, 5).test) == 4 and len(tv.make_split("mpqa", data, 5).test) == 11
sst = tv.make_split("sst5", data, seed=5)
assert (len(sst.train), len(sst.dev), len(sst.test)) == (20, 5, 10) and sst.classes == list("01234")
assert sst.test == [(f"test {i}", str(i % 5)) for i in range(10)], "the official test file, in order"
assert sorted(sst.train) == sorted(tv.read_tsv(os.path.join(data, "textclf/sst5/train.tsv")))
assert all('with "quote"' in t for t, _ in sst.train), "TSV: a quote is a character (no quoting)"
trec = tv.make_split("trec", data, seed=5)
assert trec.test == [("Who is it ?", "HUM"), ("Why, then ?", "DESC")], trec.test
assert ('What, 0 "is" it ?', "ABBR") in trec.train
quick = tv.make_split("subj", data, seed=5, quick=True)
assert quick.train == subj.train[:tv.QUICK_ROWS[0]] and len(quick.test) == 10
print("ok   sets read from TSV, CSV, JSON Lines and fastText files; official splits kept, dev apart")

# --- the writers: the same rows, in the same order, for both tools; CSV quoting round trip
tricky = [('say "hi", then go', "pos"), ("a,b,,c", "neg"), ("two\nlines", "pos"), ('""', "neg"),
          ("  spaced  ", "pos"), ("naïve café — ok", "neg"), ("'quoted' (paren) a/b", "very positive")]
path = os.path.join(scratch, "tricky.csv")
tv.write_csv(path, tricky)
raw = open(path, encoding="utf-8", newline="").read()
assert raw.startswith("text,label\n") and '"say ""hi"", then go",pos\n' in raw and '"a,b,,c",neg\n' in raw, raw
assert '"two\nlines",pos\n' in raw and '"""""",neg\n' in raw and "'quoted' (paren) a/b,very positive\n" in raw, raw
assert tv.read_csv(path) == tricky, tv.read_csv(path)
with open(path, encoding="utf-8", newline="") as f:  # any RFC 4180 reader sees the same two columns
    assert [tuple(r) for r in csv.reader(f)][1:] == tricky
tv.write_jsonl(os.path.join(scratch, "tricky.jsonl"), tricky)
assert tv.read_jsonl(os.path.join(scratch, "tricky.jsonl")) == tricky

tokens = fasttext_text.label_tokens([l for _, l in tricky])
assert tokens == {"pos": "__label__pos", "neg": "__label__neg", "very positive": "__label__very_positive"}, tokens
assert fasttext_text.label_token(" a\tb  c ") == "__label__a_b_c"
for bad in (["a b", "a_b"], ["x\ty", "x y"]):
    try:
        fasttext_text.label_tokens(bad)
        raise AssertionError(f"{bad} must be refused: both map to one fastText label")
    except ValueError as e:
        assert "both map" in str(e), e
try:
    fasttext_text.label_token("  ")
    raise AssertionError("an empty label must be refused")
except ValueError:
    pass
ft_path = os.path.join(scratch, "tricky.ft")
tv.write_fasttext(ft_path, tricky, tokens)
lines = open(ft_path, encoding="utf-8").read().split("\n")[:-1]
assert len(lines) == len(tricky), lines  # the newline inside a text does not make a second example
assert lines[0] == '__label__pos say "hi" , then go' and lines[2] == "__label__pos two lines", lines
assert lines[6] == "__label__very_positive ' quoted ' ( paren ) a / b", lines[6]
back = {v: k for k, v in tokens.items()}
assert [(t, back[l]) for t, l in ((ln.split(" ", 1) + [""])[1::-1] for ln in lines)] == \
       [(fasttext_text.normalise(t), l) for t, l in tricky]

os.makedirs(os.path.join(scratch, "sst"))
files = tv.write_senti_files(sst, os.path.join(scratch, "sst"), "csv")
assert sorted(files) == ["dev", "test", "train"], files
assert tv.read_csv(files["train"]) == sst.train and tv.read_csv(files["test"]) == sst.test
sst_tokens = fasttext_text.label_tokens(sst.classes)
tv.write_fasttext(os.path.join(scratch, "sst", "train.ft"), sst.train, sst_tokens)
ft_rows = tv.read_fasttext(os.path.join(scratch, "sst", "train.ft"))
assert [l for _, l in ft_rows] == [l for _, l in sst.train], "same rows, same order, same labels"
assert [t for t, _ in ft_rows] == [fasttext_text.normalise(t) for t, _ in sst.train]
print("ok   writers: CSV quoting (commas, quotes, line ends) round trip, JSON Lines, fastText label tokens")

# --- senti's command (no --preset: its own default recipe) and its metrics file
cmd = tv.senti_command("senti", files, "RUN", "CACHE", 1337)
assert "--preset" not in cmd and cmd[:3] == ["senti", "train", "--device"], cmd
assert cmd[cmd.index("--test-data") + 1] == files["test"] and cmd[cmd.index("--validation-data") + 1] == files["dev"]
run_dir = os.path.join(scratch, "run")
os.makedirs(run_dir)
with open(os.path.join(run_dir, "metrics.jsonl"), "w") as f:
    f.write('{"epoch":1,"seconds":1.5,"val_acc":0.7}\n{"epoch":2,"seconds":1.0,"val_acc":0.8}\n'
            '{"early_stopping":{"best":0.8,"best_epoch":2}}\n{"test_acc":0.75,"test_samples":40}\n')
m = tv.read_senti_metrics(run_dir)
assert m["test_accuracy"] == 0.75 and m["test_samples"] == 40 and m["epochs_run"] == 2 and m["train_s"] == 2.5, m
print("ok   senti: train --data/--test-data/--validation-data without --preset; test_acc from metrics.jsonl")

# --- summary and table: min / median / max, one value when the rounds agree, errors shown
recs = [dict(set="subj", tool="fasttext", round=k, test_accuracy=0.9, wall_s=w) for k, w in enumerate([2.0, 1.0, 3.0])]
recs += [dict(set="subj", tool="senti", round=k, test_accuracy=a, wall_s=w)
         for k, (a, w) in enumerate([(0.92, 10.0), (0.91, 12.0), (0.95, 11.0)])]
recs += [dict(set="trec", tool="fasttext", round=0, test_accuracy=0.88, wall_s=0.5),
         dict(set="trec", tool="senti", round=0, error="exit 2: 6 classes")]
rows = tv.summarise([subj, dict(set="trec", split="official", classes=6, train_rows=5452, test_rows=500)], recs)
assert rows[0]["senti"]["acc"] == (0.91, 0.92, 0.95) and abs(rows[0]["senti_minus_fasttext"] - 0.02) < 1e-12
assert rows[1]["senti"] == dict(runs=0, errors=["exit 2: 6 classes"]) and "senti_minus_fasttext" not in rows[1]
table = tv.fmt_table(rows).splitlines()
assert table[0] == "| " + " | ".join(tv.TABLE_HEAD) + " |" and table[1] == "|" + "---|" * len(tv.TABLE_HEAD), table
assert table[2] == ("| SUBJ | 90/10, seed 5 | 2 | 90 / 10 | 0.9000 | 1.00 / 2.00 / 3.00 | "
                    "0.9100 / 0.9200 / 0.9500 | 10.00 / 11.00 / 12.00 | +2.0 points |"), table[2]
assert table[3] == "| TREC | official | 6 | 5,452 / 500 | 0.8800 | 0.50 | error | — | — |", table[3]
print("ok   table: min / median / max (one value when the rounds agree), errors, senti − fastText")

# --- arguments: all six sets by default, 3 rounds (IMDB 1); --quick is one round without IMDB
a = tv.parse_args([])
assert a.sets == ["sst5", "trec", "subj", "cr", "mpqa", "imdb"] and a.rounds == 3 and a.imdb_rounds == 1, vars(a)
assert a.threads == 2 and a.senti.endswith(os.path.join("build", "senti"))
q = tv.parse_args(["--quick"])
assert "imdb" not in q.sets and q.rounds == 1 and q.notes, vars(q)

# --- the whole loop with a stand-in senti (no fastText): files, rounds, seeds, records, report
fake = os.path.join(scratch, "fake-senti")
with open(fake, "w") as f:
    f.write(f"""#!{sys.executable}
import csv, json, os, sys
a = sys.argv[1:]
if a == ["--version"]:
    print("senti 0.0-fake"); sys.exit(0)
assert a[0] == "train" and "--preset" not in a, a
get = lambda k: a[a.index(k) + 1]
rows = list(csv.DictReader(open(get("--test-data"), encoding="utf-8", newline="")))
assert os.environ["SENTI_CPU_THREADS"] == "2"
os.makedirs(get("--out"), exist_ok=True)
with open(os.path.join(get("--out"), "metrics.jsonl"), "w") as m:
    m.write(json.dumps(dict(epoch=1, seconds=0.1, val_acc=0.5)) + "\\n")
    m.write(json.dumps(dict(test_acc=int(get("--seed")) / 10000, test_samples=len(rows))) + "\\n")
print("senti: --preset best (the default for data other than aclImdb)", file=sys.stderr)
""")
os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
out = os.path.join(scratch, "out")
with contextlib.redirect_stdout(io.StringIO()):
    rc = tv.main(["--tools", "senti", "--sets", "subj,cr", "--rounds", "2", "--data", data, "--senti", fake,
                  "--out", out, "--split-seed", "5"])
assert rc == 0
recs = [json.loads(l) for l in open(os.path.join(out, "records.jsonl"))]
assert [(r["set"], r["round"], r["seed"], r["test_accuracy"]) for r in recs] == [
    ("subj", 1, 1337, 0.1337), ("subj", 2, 1338, 0.1338), ("cr", 1, 1337, 0.1337), ("cr", 2, 1338, 0.1338)], recs
assert all(r["recipe"] == ["senti: --preset best (the default for data other than aclImdb)"] for r in recs)
md = open(os.path.join(out, "textclf.md"), encoding="utf-8").read()
assert "| SUBJ | 90/10, seed 5 | 2 | 90 / 10 | — | — | 0.1337 / 0.1338 / 0.1338 |" in md, md
assert "senti 0.0-fake" in md and "SENTI_CPU_THREADS=2" in md and "load average" in md, md
summary = json.load(open(os.path.join(out, "textclf.json")))
assert summary["summary"][1]["test_rows"] == 4 and summary["fasttext_settings"]["epoch"] == 25
os.remove(os.path.join(out, "textclf.md"))
with contextlib.redirect_stdout(io.StringIO()):
    assert tv.main(["--report", out]) == 0
assert open(os.path.join(out, "textclf.md"), encoding="utf-8").read() == md, "--report rewrites the same report"
print("ok   the whole loop with a stand-in senti: seeds per round, records.jsonl, textclf.md / .json, --report")

# --- fastText itself, where it is installed
try:
    import fasttext  # noqa: F401
except ImportError:
    print("skip fastText run: PyPI fasttext is not installed in this python (the rest ran)")
else:
    words = {"pos": ["good", "great", "fine"], "neg": ["bad", "awful", "poor"]}
    rows = [(f"{words[l][i % 3]} movie {i}", l) for i in range(200) for l in ("pos", "neg")]
    split = tv.Split("toy", rows[:360], rows[360:], how="toy")
    folder = os.path.join(scratch, "ft")
    os.makedirs(folder)
    r1 = tv.run_fasttext(split, folder, seed=1, params=dict(tv.FASTTEXT_ANCHOR, epoch=5))
    assert r1["test_accuracy"] >= 0.95 and r1["fasttext_test_n"] == 40, r1
    r2 = tv.run_fasttext(split, folder, seed=1, params=dict(tv.FASTTEXT_ANCHOR, epoch=5))
    assert r2["test_accuracy"] == r1["test_accuracy"], "thread=1 and a seed: the same model"
    print(f"ok   fastText (thread 1, seeded) on a toy set: accuracy {r1['test_accuracy']:.2f}, reproducible")
