#!/usr/bin/env python3
"""`senti train` writes TensorBoard logs that TensorBoard itself reads: the scalars of every run
(per-step loss, gradient norms, clip factors; per-epoch loss/accuracy, validation, learning rate,
samples/s), the HParams plugin's session and the text summary, and a resumed run without the
replayed steps. Exits 77 (ctest: skipped) without the tensorboard package.

    tensorboard_read_test.py SENTI_BIN DATA_ARCHIVE SCRATCH_DIR
"""
import json
import os
import shutil
import subprocess
import sys

try:
    from tensorboard.backend.event_processing import event_multiplexer
    from tensorboard.plugins.hparams import plugin_data_pb2
except ImportError:
    print(f"SKIPPED: the tensorboard package is not installed in {sys.executable} (pip install tensorboard there)")
    sys.exit(77)

senti, archive, scratch = sys.argv[1:4]
if os.environ.get("SENTI_DATA_DIR"):
    archive = os.path.join(os.environ["SENTI_DATA_DIR"], "aclImdb_v1_labeled.tar.gz")
out = os.path.join(scratch, "tb-read")
shutil.rmtree(out, ignore_errors=True)
train = [senti, "train", "--device", "cpu", "--data", archive, "--limit", "500", "--maxlen", "40",
         "--test-limit", "100", "--out", out, "--tensorboard-every", "4"]
# 400 training reviews (batch 32): 13 steps an epoch.


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")


run(train + ["--epochs", "1"])
run(train + ["--epochs", "2", "--resume"])
metrics = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl")) if line.strip()]
epochs = [m for m in metrics if "epoch" in m]

mux = event_multiplexer.EventMultiplexer().AddRunsFromDirectory(os.path.join(out, "tb"))
mux.Reload()
runs = mux.Runs()
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def scalars(run, tag):
    return [(e.step, e.value) for e in mux.Scalars(run, tag)]


check({".", "train", "validation"} <= set(runs), f"runs . train validation in {sorted(runs)}")
tags = set(runs["train"]["scalars"])
want = {"batch_loss", "batch_accuracy", "batch_samples_per_s", "grad_norm/global",
        "grad_norm/embedding/embeddings", "clip_scale/lstm/lstm_cell/kernel", "epoch_loss",
        "epoch_accuracy", "epoch_learning_rate", "epoch_samples_per_s"}
check(want <= tags, f"train scalars include {sorted(want - tags) or 'all wanted'}")
steps = [s for s, _ in scalars("train", "batch_loss")]
# Steps 4, 8, 12 from the first run; the resumed run starts at step 13 and logs 16, 20, 24.
check(steps == [4, 8, 12, 16, 20, 24], f"batch_loss steps every 4, no replays: {steps}")
for run, key in (("train", ""), ("validation", "val_")):
    got = scalars(run, "epoch_loss")
    check([s for s, _ in got] == [1, 2], f"{run} epoch_loss at epochs 1, 2: {got}")
    for (step, value), rec in zip(got, epochs):
        check(abs(value - rec[key + "loss"]) < 1e-6, f"{run} epoch {step} loss {value:.6f} = metrics.jsonl {rec[key + 'loss']:.6f}")
    acc = scalars(run, "epoch_accuracy")
    for (step, value), rec in zip(acc, epochs):
        check(abs(value - rec[key + "acc"]) < 1e-6, f"{run} epoch {step} accuracy {value:.4f} = {rec[key + 'acc']:.4f}")
lr = scalars("train", "epoch_learning_rate")
check(all(abs(v - 1e-3) < 1e-9 for _, v in lr), f"learning rate 1e-3: {lr}")
norms = scalars("train", "grad_norm/global")
check(all(v > 0 for _, v in norms), f"gradient norms positive: {[round(v, 4) for _, v in norms]}")
scales = scalars("train", "clip_scale/embedding/embeddings")
check(all(0 < v <= 1 for _, v in scales), f"clip factors in (0, 1]: {[round(v, 3) for _, v in scales]}")
rates = scalars("train", "epoch_samples_per_s")
check(all(abs(v - rec["samples_per_s"]) / rec["samples_per_s"] < 1e-5 for (_, v), rec in zip(rates, epochs)),
      "epoch_samples_per_s = metrics.jsonl samples_per_s")
test = scalars(".", "test_accuracy")  # each run start ends with a test evaluation
check([s for s, _ in test] == [1, 2] and abs(test[-1][1] - metrics[-1]["test_acc"]) < 1e-6,
      f"test_accuracy after epochs 1 and 2, the last = metrics.jsonl: {test}")

# The HParams plugin: the session the first start wrote (TensorBoard keeps a tag's first metadata).
meta = mux.SummaryMetadata(".", "_hparams_/session_start_info")
check(meta.plugin_data.plugin_name == "hparams", "hparams plugin metadata")
data = plugin_data_pb2.HParamsPluginData.FromString(meta.plugin_data.content)
hp = data.session_start_info.hparams
check(data.version == 0 and hp["maxlen"].number_value == 40 and hp["padding"].string_value == "post"
      and hp["clipnorm"].number_value == 0.1 and hp["limit"].number_value == 500,
      "session_start_info hparams: maxlen 40, padding post, clipnorm 0.1, limit 500")
texts = [t.tensor_proto.string_val[0].decode() for t in mux.Tensors(".", "run_config")]
check(len(texts) == 2 and "| batch | 32 |" in texts[0] and "LSTM(64)" in texts[0]
      and "| epochs | 1 |" in texts[0], "run_config text summary of the first start")
check("Resumed at step 13" in texts[1] and "| epochs | 2 |" in texts[1], "run_config of the resumed start")

if failures:
    sys.exit(f"FAILED: {len(failures)} checks")
print("PASSED")
