#!/usr/bin/env python3
"""`senti export --format onnx` gives a model that onnxruntime runs with the probabilities of
`senti predict` (<= 1e-5) on real IMDB test reviews, fed the token ids `senti predict --ids`
prints, for the seed model, for masked / bidirectional / pooled ones and for n-gram models; the vocabulary JSON
beside the model holds the ids of the words. K-class models (6-class TREC questions, beside the IMDB archive
in ../shared/data/textclf/trec): the softmax head's probs [batch, K] and a multi-label head's K sigmoids
equal every class's probability `senti predict --json` prints, in the class order the .vocab.json and the
model's metadata_props list. Exits 77 (ctest: skipped) without onnxruntime or numpy.

    onnx_export_test.py SENTI_BIN DATA_ARCHIVE SCRATCH_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

try:
    import numpy as np
    import onnxruntime as ort
except ImportError as e:
    print(f"SKIPPED: {e.name} is not installed in {sys.executable} (pip install onnxruntime there to run this test)")
    sys.exit(77)

import k_class_util  # noqa: E402  (beside this file)

senti, archive, scratch = sys.argv[1:4]
if os.environ.get("SENTI_DATA_DIR"):
    archive = os.path.join(os.environ["SENTI_DATA_DIR"], "aclImdb_v1_labeled.tar.gz")
work = os.path.join(scratch, "onnx-export")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


# 100 positive and 100 negative test reviews, in archive order, one a line.
want = {"pos": 100, "neg": 100}
reviews = []
with tarfile.open(archive, "r:gz") as tar:
    for member in tar:
        m = re.match(r"aclImdb/test/(pos|neg)/\d+_\d+\.txt$", member.name)
        if m and want[m.group(1)] > 0:
            want[m.group(1)] -= 1
            text = tar.extractfile(member).read().decode("utf-8", errors="replace")
            reviews.append(re.sub(r"[\r\n]+", " ", text))
        if not any(want.values()):
            break
reviews_file = os.path.join(work, "reviews.txt")
with open(reviews_file, "w", encoding="utf-8") as f:
    f.write("\n".join(reviews) + "\n")

failures = []


def check_variant(name, flags):
    """Trains a model with `flags`, exports it, and compares onnxruntime with senti predict."""
    run_dir = os.path.join(work, name)
    run([senti, "train", "--device", "cpu", "--data", archive, "--test-limit", "0", "--no-tensorboard",
         "--out", run_dir] + flags)
    model = os.path.join(work, name + ".onnx")
    run([senti, "export", "--checkpoint", run_dir, "--format", "onnx", "--out", model])
    lines = run([senti, "predict", "-q", "--device", "cpu", "--json", "--ids", "--checkpoint", run_dir,
                 "--file", reviews_file]).rstrip("\n").split("\n")  # not splitlines(): U+2028 is text
    rows = [json.loads(line) for line in lines]
    assert len(rows) == len(reviews) == 200, (len(rows), len(reviews))
    ids = np.array([r["ids"] for r in rows], dtype=np.int64)
    lengths = np.array([r["length"] for r in rows], dtype=np.int64)
    p_senti = np.array([r["prob_positive"] for r in rows], dtype=np.float64)
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    p_all = session.run(["prob_positive"], {"token_ids": ids, "lengths": lengths})[0].astype(np.float64)
    # Batch composition must not matter: the same reviews in batches of 7.
    p_small = np.concatenate([session.run(None, {"token_ids": ids[i:i + 7], "lengths": lengths[i:i + 7]})[0]
                              for i in range(0, len(ids), 7)]).astype(np.float64)
    worst = max(float(np.max(np.abs(p_all - p_senti))), float(np.max(np.abs(p_small - p_senti))))
    print(f"{name} ({' '.join(flags)}): {len(rows)} real test reviews, maxlen {ids.shape[1]}: onnxruntime "
          f"{ort.__version__} vs senti predict: max |diff| {worst:.2e}; probabilities "
          f"{p_senti.min():.4f} .. {p_senti.max():.4f}, labels agree on "
          f"{int(np.sum((p_all > 0.5) == (p_senti > 0.5)))}/{len(rows)}")
    if worst > 1e-5:
        failures.append(f"{name}: onnxruntime and senti differ by {worst:.3e} (> 1e-5)")
    return model, ids


# The seed model (no mask: the LSTM reads the padding), and the options of docs/model.md: masking
# with pre padding (real tokens rolled to the front) in a BiLSTM with every pool, masking with post
# padding and mean pooling, and max pooling without a mask.
model, ids = check_variant("seed", ["--limit", "2500", "--maxlen", "120", "--padding", "pre", "--epochs", "2"])
check_variant("mask-pre-bilstm-concat", ["--limit", "1500", "--maxlen", "80", "--padding", "pre", "--epochs", "1",
                                         "--mask", "--bidirectional", "--pool", "concat"])
check_variant("mask-post-mean", ["--limit", "1500", "--maxlen", "80", "--epochs", "1", "--mask", "--pool", "mean"])
check_variant("nomask-max", ["--limit", "1500", "--maxlen", "80", "--padding", "pre", "--epochs", "1",
                             "--pool", "max"])
# N-gram features (the hash and the multi-hot set built in the graph, host/onnx/onnx_ngram.h): word
# pairs beside a masked BiLSTM over post padding, and words + pairs + triples in few buckets (many
# collisions, so a repeat counted twice would show) beside the seed LSTM over pre padding. A higher
# learning rate moves the n-gram weights well away from their small init.
check_variant("ngrams2-mask-bilstm-concat", ["--limit", "1500", "--maxlen", "80", "--epochs", "1", "--lr", "0.01",
                                             "--mask", "--bidirectional", "--pool", "concat",
                                             "--ngrams", "2", "--ngram-buckets", "50000"])
check_variant("ngrams3-seed", ["--limit", "1500", "--maxlen", "80", "--padding", "pre", "--epochs", "1",
                               "--lr", "0.01", "--ngrams", "3", "--ngram-buckets", "512"])



def check_k_class(name, flags, multi_label=False):
    """Trains a K-class model on TREC, exports it, and compares onnxruntime's probs [batch, K] with
    every class's probability from senti predict --json, column by column in the exported order."""
    run_dir = os.path.join(work, name)
    run([senti, "train", "--device", "cpu", "--data", trec_train, "--no-tensorboard", "--test-limit", "0",
         "--out", run_dir] + flags)
    ckpt = os.path.join(run_dir, "latest.safetensors")
    if multi_label:
        ckpt = os.path.join(work, name + ".safetensors")
        k_class_util.as_multi_label(os.path.join(run_dir, "latest.safetensors"), ckpt)
    model = os.path.join(work, name + ".onnx")
    out = run([senti, "export", "--checkpoint", ckpt, "--format", "onnx", "--out", model])
    vocab = json.load(open(model[:-len(".onnx")] + ".vocab.json"))
    classes = vocab["classes"]
    head = "multi-label" if multi_label else "softmax"
    assert classes == k_class_util.TREC_CLASSES, classes
    assert vocab["head"] == head and vocab["output"] == "probs", vocab
    assert f"output probs float [batch, 6] ({head})" in out, out
    lines = run([senti, "predict", "-q", "--device", "cpu", "--json", "--ids", "--checkpoint", ckpt,
                 "--file", trec_texts]).rstrip("\n").split("\n")
    rows = [json.loads(line) for line in lines]
    assert len(rows) == len(questions), (len(rows), len(questions))
    ids = np.array([r["ids"] for r in rows], dtype=np.int64)
    lengths = np.array([r["length"] for r in rows], dtype=np.int64)
    p_senti = np.array([[r["probs"][c] for c in classes] for r in rows], dtype=np.float64)
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["classes"]) == classes and meta["head"] == head, meta
    (output,) = session.get_outputs()
    assert output.name == "probs" and output.shape[1] == 6, (output.name, output.shape)
    p_all = session.run(["probs"], {"token_ids": ids, "lengths": lengths})[0].astype(np.float64)
    p_small = np.concatenate([session.run(None, {"token_ids": ids[i:i + 7], "lengths": lengths[i:i + 7]})[0]
                              for i in range(0, len(ids), 7)]).astype(np.float64)
    assert p_all.shape == (len(rows), 6), p_all.shape
    worst = max(float(np.max(np.abs(p_all - p_senti))), float(np.max(np.abs(p_small - p_senti))))
    sums = p_all.sum(axis=1)
    # The most probable class: senti's label (softmax), the class of its "prob" (a multi-label line's
    # label lists the classes above a threshold).
    labels_agree = int(np.sum([(r["prob"] == r["probs"][classes[int(np.argmax(p))]]) if multi_label
                               else classes[int(np.argmax(p))] == r["label"] for p, r in zip(p_all, rows)]))
    print(f"{name} ({' '.join(flags)}): {len(rows)} TREC test questions, {head}, K {len(classes)}: onnxruntime "
          f"vs senti predict: max |diff| {worst:.2e}; row sums {sums.min():.4f} .. {sums.max():.4f}; "
          f"probabilities {p_senti.min():.4f} .. {p_senti.max():.4f}; labels agree on {labels_agree}/{len(rows)}")
    if worst > 1e-5:
        failures.append(f"{name}: onnxruntime and senti differ by {worst:.3e} (> 1e-5)")
    if not multi_label and float(np.max(np.abs(sums - 1))) > 1e-5:
        failures.append(f"{name}: softmax rows do not sum to 1 ({sums.min()} .. {sums.max()})")
    if labels_agree != len(rows):
        failures.append(f"{name}: argmax disagrees with senti's label on {len(rows) - labels_agree} rows")


# K classes: TREC's 6 question types (real text), the softmax head over the seed LSTM, and over a
# masked BiLSTM with concat pooling and word pairs (n-gram rows of K columns); the same weights read
# as a multi-label head (K sigmoids).
trec = k_class_util.trec_dir(archive)
trec_train = os.path.join(trec, "train.csv")
if os.path.exists(trec_train):
    questions = k_class_util.trec_questions(trec, 200)
    trec_texts = os.path.join(work, "questions.txt")
    with open(trec_texts, "w", encoding="utf-8") as f:
        f.write("\n".join(questions) + "\n")
    k_flags = ["--preset", "seed", "--limit", "2000", "--maxlen", "40", "--padding", "pre", "--epochs", "2",
               "--lr", "0.01"]
    check_k_class("trec-softmax", k_flags)
    check_k_class("trec-softmax-mask-bilstm-ngrams", k_flags[:-2] + ["--lr", "0.005", "--mask", "--bidirectional",
                                                                     "--pool", "concat", "--ngrams", "2",
                                                                     "--ngram-buckets", "5000"])
    check_k_class("trec-multi-label", k_flags, multi_label=True)
else:
    print(f"K-class cases: SKIPPED ({trec_train} not found)")

# The vocabulary JSON: its words and rules rebuild the ids senti fed (checked on the kept words).
vocab = json.load(open(model[:-len(".onnx")] + ".vocab.json"))
assert vocab["maxlen"] == ids.shape[1] and vocab["start_id"] == 1 and vocab["oov_id"] == 2, vocab
id_of = vocab["word_ids"]
assert all(3 <= i < vocab["num_words"] for i in id_of.values())
assert len(id_of) > 1000, len(id_of)
if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("PASSED")
