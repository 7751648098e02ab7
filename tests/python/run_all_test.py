#!/usr/bin/env python3
"""benchmarks/run_all.py's pure parts, with no framework installed: the OpenMP wait policy is left
to each framework unless asked for, the summary gives min / median / max over the rounds and ratios
of medians (of training wall time with --full, where fastText has no steps), the report states the
CPU and the kernels, and the fastText baseline's text normalisation and label lines.

    run_all_test.py SENTI_BIN DATA_ARCHIVE SCRATCH_DIR   (only SCRATCH_DIR is used)
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scratch = os.path.join(sys.argv[3], "run_all")
os.makedirs(scratch, exist_ok=True)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import run_all  # noqa: E402  (puts benchmarks/baselines on the path too)
import fasttext_imdb  # noqa: E402  (imports fasttext only in main())
import runners  # noqa: E402
import sysinfo  # noqa: E402

# --- the wait policy: left alone by default, removed when inherited, set only when asked for
args = run_all.parse_args([])
assert args.omp_wait_policy == "default" and args.rounds == 3, vars(args)
assert run_all.parse_args(["--full"]).rounds == 1
environ = {"PATH": "/bin"}
assert run_all.apply_wait_policy("default", environ) == ("unset", None) and environ == {"PATH": "/bin"}
environ = {"PATH": "/bin", "OMP_WAIT_POLICY": "PASSIVE"}
policy, note = run_all.apply_wait_policy("default", environ)
assert policy == "unset" and "OMP_WAIT_POLICY" not in environ and "PASSIVE" in note, (policy, note)
for asked in ("active", "passive"):
    environ = {}
    assert run_all.apply_wait_policy(asked, environ) == (asked.upper(), None)
    assert environ == {"OMP_WAIT_POLICY": asked.upper()}
print("ok   --omp-wait-policy default leaves OMP_WAIT_POLICY unset (and drops an inherited one)")


# --- speed summary: min / median / max per (config, framework), ratios from medians, errors left out
def rec(label, ms, rnd, **kw):
    return dict(label=label, framework=label.split(" ")[0], config="seed", round=rnd, ms_per_step=ms, batch=32,
                maxlen=500, device_desc="cpu", cpu_ms_per_step=2 * ms, threads=2, **kw)


records = [rec("senti", ms, k) for k, ms in enumerate([30.0, 10.0, 20.0])]
records += [rec("pytorch", ms, k) for k, ms in enumerate([70.0, 40.0, 100.0])]
records.append(dict(label="pytorch", config="seed", error="exit 1: boom"))
rows = {r["framework"]: r for r in run_all.summarise(records, runners.FRAMEWORKS)}
s, p = rows["senti"], rows["pytorch"]
assert s["runs"] == 3 and p["runs"] == 3, rows
assert (s["spread_ms"][0], s["ms_per_step"], s["spread_ms"][1]) == (10.0, 20.0, 30.0), s
assert (p["spread_ms"][0], p["ms_per_step"], p["spread_ms"][1]) == (40.0, 70.0, 100.0), p
assert p["senti_speedup"] == 3.5 and s["senti_speedup"] == 1.0, p
assert p["samples_per_s"] == 32 * 1e3 / 70.0
table = run_all.fmt_table(list(rows.values()), False, "cpu")
assert "| seed | pytorch | 3 | 40.00 / 70.00 / 100.00 | 457 | 3.50 | 140.00 | 3.50 |" in table, table
print("ok   speed summary: min / median / max over the rounds, senti × from the medians")

# --- time to accuracy: wall time and accuracy ranges; fastText (no ms/step) compared on wall time
full = [rec("senti", 50.0, k, train_wall_s=w, test_accuracy=a, epochs=20)
        for k, (w, a) in enumerate([(100.0, 0.85), (120.0, 0.86), (110.0, 0.84)])]
full += [dict(label="fasttext", framework="fasttext", config="seed", round=k, ms_per_step=None, device_desc="cpu",
              samples_per_s=s_, train_wall_s=w, test_accuracy=a, epochs=5, threads=2)
         for k, (w, a, s_) in enumerate([(6.0, 0.897, 2e4), (5.5, 0.898, 2.1e4), (7.0, 0.896, 1.9e4)])]
rows = {r["framework"]: r for r in run_all.summarise(full, runners.FRAMEWORKS, full=True)}
f = rows["fasttext"]
assert f["train_wall_s"] == 6.0 and f["train_wall_s_range"] == [5.5, 7.0], f
assert f["test_accuracy"] == 0.897 and f["test_accuracy_range"] == [0.896, 0.898], f
assert abs(f["senti_speedup"] - 6.0 / 110.0) < 1e-12 and f["ms_per_step"] is None, f
table = run_all.fmt_table(list(rows.values()), True, "cpu")
assert "| seed | fasttext | 3 | 5 | 5.5 / 6.0 / 7.0 | 0.8960 / 0.8970 / 0.8980 | 0.05 | — |" in table, table
print("ok   time-to-accuracy summary: wall and accuracy ranges, fastText beside the LSTMs")

# --- fastText only in --full; it is skipped with a note in speed mode (nothing is started)
env = runners.Env(root=ROOT, python=sys.executable, senti="/nonexistent", device="cpu", threads=2, data=None,
                  timeout=10)
ok, notes = runners.available(env, ["fasttext"], full=False)
assert ok == [] and "--full" in notes[0], notes
print("ok   fasttext is skipped outside --full, with a note")

# --- what every result states: CPU model and SIMD flags, kernels per framework
cpuinfo = os.path.join(scratch, "cpuinfo")
with open(cpuinfo, "w") as fh:
    fh.write("processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: fpu sse2 avx avx2 fma\n\n"
             "processor\t: 1\nmodel name\t: Test CPU 9000\nflags\t\t: fpu sse2 avx avx2 fma\n")
info = sysinfo.cpu_info(cpuinfo)
assert info["cpu"] == "Test CPU 9000" and info["cpu_flags"] == {"avx2": True, "avx512f": False}, info
senti_blas = dict(library="/lib/libopenblas.so", openblas="0.3.21", corename="Haswell", parallel="pthreads",
                  openblas_coretype="Haswell", env={})
line = sysinfo.kernel_line(dict(framework="senti", device_desc="cpu (OpenBLAS 0.3.21, 2 threads)",
                                blas=senti_blas, threads=2))
assert "kernel core Haswell (OPENBLAS_CORETYPE=Haswell)" in line and line.endswith("2 threads"), line
torch_blas = dict(library="mkl", detail="MKL 2024.2", cpu_capability="AVX2", mkldnn=True, onednn="v3.13.3",
                  parallel="OpenMP", env={"ATEN_CPU_CAPABILITY": "avx2"})
line = sysinfo.kernel_line(dict(framework="pytorch", blas=torch_blas, threads=2))
assert "BLAS mkl" in line and "CPU capability AVX2" in line and "oneDNN v3.13.3 on" in line, line
assert "ATEN_CPU_CAPABILITY=avx2" in line, line
md = run_all.kernels_md(full)
assert "- kernels, fasttext: not reported; 2 threads" in md, md
print("ok   the report states CPU model, AVX2 / AVX-512 and each framework's kernels")

# --- fastText's input: the tutorial's normalisation, one labelled line per review
text = "Great movie!<br /><br />I LOVED it (really), don't/won't miss.\nThe end"
want = "great movie ! i loved it ( really ) , don ' t / won ' t miss . the end"
assert fasttext_imdb.normalise(text) == want, fasttext_imdb.normalise(text)
assert fasttext_imdb.label_line(1.0, "Fine.") == "__label__pos fine ."
assert fasttext_imdb.label_line(0.0, "Bad<br/>BAD") == "__label__neg bad bad"
print("ok   fastText text: lower case, <br /> removed, punctuation split, __label__pos|neg")

# --- reviews from an extracted aclImdb tree (the archive is read the same way by name), then the
#     training and test files fastText reads (the shuffles use numpy, which the project's Python has)
tree = os.path.join(scratch, "aclImdb")
for split in ("train", "test"):
    for cls in ("pos", "neg"):
        os.makedirs(os.path.join(tree, split, cls), exist_ok=True)
        for i in range(3):
            with open(os.path.join(tree, split, cls, f"{i}_{8 if cls == 'pos' else 2}.txt"), "w") as fh:
                fh.write(f"{cls.upper()} review {i}!")
with open(os.path.join(tree, "README"), "w") as fh:
    fh.write("not a review")
reviews = fasttext_imdb.common.read_reviews(scratch)
assert [(k, lab) for k, lab, _ in reviews["train"]] == [((0, 0), 1.0), ((0, 1), 1.0), ((0, 2), 1.0),
                                                        ((1, 0), 0.0), ((1, 1), 0.0), ((1, 2), 0.0)], reviews
out = os.path.join(scratch, "ft")
os.makedirs(out, exist_ok=True)
(train_path, test_path), n_train, n_test = fasttext_imdb.prepare(scratch, out, seed=1234, limit=4)
lines = open(train_path, encoding="utf-8").read().splitlines()
assert n_train == n_test == 4 and len(lines) == 4, lines
assert all(l in {f"__label__{c} {c} review {i} !" for c in ("pos", "neg") for i in range(3)} for l in lines), lines
assert len(open(test_path, encoding="utf-8").read().splitlines()) == 4
print("ok   fasttext_imdb.prepare writes shuffled __label__ lines from the extracted files")
