#!/usr/bin/env python3
"""benchmarks/out_of_domain.py's own logic, standard library only: the three polarity sets read
from ../shared/data/textclf (SST-2 from SST-5's test file, neutral left out; CR and MPQA from
fastText lines, labels without text left out), then the whole script with stand-in sentis whose
answers are known, so the accuracy it prints is checked, and its refusals.

    out_of_domain_test.py [SENTI_BIN DATA_ARCHIVE SCRATCH_DIR]   (only SCRATCH_DIR is used)
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data", "textclf")
SCRIPT = os.path.join(ROOT, "benchmarks", "out_of_domain.py")
scratch = os.path.join(sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(), "out_of_domain")
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import out_of_domain as ood  # noqa: E402

# --- the sets: the real files, counted independently of the script's parsers
sets = ood.datasets(DATA)
assert list(sets) == ["sst2", "cr", "mpqa"], list(sets)
with open(os.path.join(DATA, "sst5", "test.tsv"), encoding="utf-8") as f:
    sst = [line.rstrip("\n").rsplit("\t", 1) for line in f][1:]
assert len(sets["sst2"]) == sum(lab != "2" for _, lab in sst) == 1821, len(sets["sst2"])
assert sets["sst2"][0] == (sst[0][0], "positive" if sst[0][1] in "34" else "negative")
assert {w for _, w in sets["sst2"]} == {"positive", "negative"}
for key, name in (("cr", "cr/cr.txt"), ("mpqa", "mpqa/mpqa.txt")):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    with_text = [line for line in lines if line.partition(" ")[2].strip()]
    assert len(sets[key]) == len(with_text) and len(with_text) < len(lines), (key, len(sets[key]))
    assert sets[key][0] == (with_text[0].partition(" ")[2], with_text[0].partition(" ")[0][9:]), key
print("ok   sets: sst2 1821 (neutral left out), cr and mpqa without their text-less lines")

bad = os.path.join(scratch, "bad.txt")
with open(bad, "w", encoding="utf-8") as f:
    f.write("__label__positive fine\npositive no label token\n")
try:
    ood.fasttext_lines(bad)
    raise AssertionError("a line without __label__ must be refused")
except SystemExit as e:
    assert f"{bad}:2:" in str(e), e
print("ok   a malformed fastText line is refused, naming file:line")


# --- the whole script with stand-in sentis: each answers from the text alone
def stand_in(name, body):
    path = os.path.join(scratch, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("#!" + sys.executable + "\nimport json, sys\n"
                "args = sys.argv[1:]\nfile = args[args.index('--file') + 1]\n"
                "texts = [l.rstrip('\\n') for l in open(file, encoding='utf-8')]\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def run(senti, *extra):
    out = os.path.join(scratch, "out.json")
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([sys.executable, SCRIPT, "--senti", senti, "--data", DATA, "--json", out] + list(extra),
                       capture_output=True, text=True)
    return p, (json.load(open(out)) if os.path.exists(out) else None)


always_pos = stand_in("always_pos", "for t in texts: print(json.dumps({'label': 'positive', 'text': t}))\n")
p, res = run(always_pos, "--checkpoint", "a=x.safetensors", "--checkpoint", "b=y.safetensors")
assert p.returncode == 0, p.stderr
for name in ("a", "b"):
    acc = res[name]["accuracy"]
    for key, rows in sets.items():
        want = sum(w == "positive" for _, w in rows) / len(rows)
        assert abs(acc[key] - want) < 1e-12, (name, key, acc[key], want)
    assert abs(acc["mean"] - sum(acc[k] for k in sets) / 3) < 1e-12
assert "texts: sst2 1821" in p.stdout, p.stdout
print("ok   accuracy of an all-positive model is each set's positive share, for every checkpoint")

# A model that answers from the length of the text alone (even: positive): the script's accuracy is
# checked against a count made here with the same rule.
parity = stand_in("parity", "for t in texts: print(json.dumps({'label': 'positive' if len(t) % 2 == 0 else 'negative'}))\n")
p, res = run(parity, "--checkpoint", "p=z")
assert p.returncode == 0, p.stderr
for key, rows in sets.items():
    want = sum((len(t) % 2 == 0) == (w == "positive") for t, w in rows) / len(rows)
    assert abs(res["p"]["accuracy"][key] - want) < 1e-12, (key, res["p"]["accuracy"][key], want)
print("ok   accuracy counts exactly the texts the model gets right")

short = stand_in("short", "for t in texts[:-1]: print(json.dumps({'label': 'positive'}))\n")
p, res = run(short, "--checkpoint", "s=z")
assert p.returncode != 0 and "results for" in p.stderr and res is None, (p.returncode, p.stderr)
other = stand_in("other", "for t in texts: print(json.dumps({'label': 'pos'}))\n")
p, res = run(other, "--checkpoint", "o=z")
assert p.returncode != 0 and "positive/negative" in p.stderr and res is None, (p.returncode, p.stderr)
p, res = run(always_pos, "--checkpoint", "no-equals-sign")
assert p.returncode != 0 and "NAME=PATH" in p.stderr, p.stderr
print("ok   refused: fewer answers than texts, a checkpoint of other classes, --checkpoint without NAME=")
