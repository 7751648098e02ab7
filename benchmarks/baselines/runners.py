"""How benchmarks/run_all.py runs each framework: the command line, what "available" means, and
turning one run's output into a record (always a dict; a failed run is a record with "error")."""
import dataclasses
import glob
import json
import os
import subprocess
import tempfile

# senti-cudnn / senti-fused: `senti bench --lstm cudnn|fused` (once senti has that flag);
# pytorch: fp32 with TF32 off (as senti); pytorch-tf32: PyTorch's defaults (cuDNN may use TF32);
# fasttext: fastText's linear bag-of-n-grams model, a time-to-accuracy baseline only (--full).
# senti-before: another senti binary (run_all.py --senti-before), e.g. the build before a change,
# measured in the same interleaved rounds as the current one.
FRAMEWORKS = ["senti", "senti-before", "senti-cudnn", "senti-fused", "pytorch", "pytorch-tf32", "pytorch-packed",
              "pytorch-keras-adam", "keras", "fasttext"]
BASELINES = os.path.dirname(os.path.abspath(__file__))


@dataclasses.dataclass
class Env:
    root: str
    python: str
    senti: str
    device: str
    threads: int
    data: str
    timeout: int
    fasttext_args: tuple = ()  # extra fasttext_imdb.py flags (--epoch, --lr, --dim, --word-ngrams)
    senti_before: str = ""     # the senti-before binary


def senti_binary(env, fw):
    return env.senti_before if fw == "senti-before" else env.senti


def find_senti(root):
    """The most recently built senti under root/build*/ (several build folders may coexist)."""
    found = [p for p in glob.glob(os.path.join(root, "build*", "senti")) if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else os.path.join(root, "build", "senti")


def _python_has(env, code):
    r = subprocess.run([env.python, "-c", code], capture_output=True, text=True, timeout=300)
    return r.returncode == 0, (r.stderr.strip().splitlines() or [""])[-1]


def available(env, wanted, full=False):
    """Frameworks from `wanted` that can run here, and a note for each one that cannot."""
    ok, notes, cache = [], [], {}
    for fw in wanted:
        if fw not in FRAMEWORKS:
            raise SystemExit(f"--frameworks: unknown framework '{fw}' (known: {', '.join(FRAMEWORKS)})")
        if fw == "fasttext" and not full:  # no training step of the LSTM's shape to time
            notes.append("fasttext skipped: a time-to-accuracy baseline, run with --full")
            continue
        if fw.startswith("senti"):
            binary = senti_binary(env, fw)
            if binary and os.access(binary, os.X_OK):
                ok.append(fw)
            else:
                flag = "--senti-before" if fw == "senti-before" else "--senti"
                notes.append(f"{fw} skipped: no binary at '{binary}' (build it or pass {flag})")
            continue
        module = "torch" if fw.startswith("pytorch") else "fasttext" if fw == "fasttext" else "keras"
        if module not in cache:
            if module == "fasttext":
                code = "import fasttext"
            elif module == "torch":
                code = "import torch" + ("\nassert torch.cuda.is_available(), 'torch sees no GPU'"
                                         if env.device == "cuda" else "")
            else:  # Keras 3 needs one of its backends too
                code = "import importlib.util as u, keras\nassert u.find_spec('tensorflow') or u.find_spec('jax'), 'no backend'"
            cache[module] = _python_has(env, code)
        if cache[module][0]:
            ok.append(fw)
        else:
            notes.append(f"{fw} skipped: {module} unavailable in {env.python} ({cache[module][1]}); "
                         "see benchmarks/install_baselines.sh")
    return ok, notes


def _label(fw):
    return {"pytorch": "pytorch", "pytorch-tf32": "pytorch tf32-default", "pytorch-packed": "pytorch packed",
            "pytorch-keras-adam": "pytorch keras-adam", "keras": "keras", "senti": "senti",
            "senti-cudnn": "senti cudnn", "senti-before": "senti before", "senti-fused": "senti fused", "fasttext": "fasttext"}[fw]


def _lstm_flags(fw):
    """senti-cudnn -> --lstm cudnn; plain senti: whatever senti's default LSTM path is."""
    return ["--lstm", fw.split("-", 1)[1]] if fw in ("senti-cudnn", "senti-fused") else []


def _shape_flags(config):
    return ["--preset", config]


def _command(env, fw, config, warmup, steps, full, epochs, limit):
    data = ["--data", env.data] if env.data else ["--synthetic"]
    if fw.startswith("senti"):
        cmd = [senti_binary(env, fw), "bench", "--device", env.device, *_shape_flags(config), *_lstm_flags(fw),
               "--warmup", str(warmup), "--steps", str(steps), "--threads", str(env.threads), "--json"]
        if env.data:  # senti's data flags: the archive folder, vocabulary from the Keras word index
            cmd += ["--data", os.path.join(env.data, "aclImdb_v1_labeled.tar.gz"),
                    "--word-index", os.path.join(env.data, "imdb_word_index.json")]
        else:
            cmd += ["--synthetic"]
        return cmd
    if fw == "fasttext":
        return [env.python, os.path.join(BASELINES, "fasttext_imdb.py"), "--data", env.data,
                "--threads", str(env.threads), "--limit", str(limit), "--json", *env.fasttext_args]
    script = "pytorch_lstm.py" if fw.startswith("pytorch") else "keras_lstm.py"
    cmd = [env.python, os.path.join(BASELINES, script), "--device", env.device, *_shape_flags(config),
           "--warmup", str(warmup), "--steps", str(steps), "--threads", str(env.threads), "--json", *data]
    if fw == "pytorch-packed":
        cmd.append("--packed")
    if fw == "pytorch-keras-adam":
        cmd += ["--adam", "keras"]
    if fw == "pytorch-tf32":
        cmd += ["--tf32", "default"]
    if full:
        cmd += ["--full", "--epochs", str(epochs), "--limit", str(limit)]
    return cmd


def _senti_full(env, fw, config, epochs, limit):
    """`senti train` on the seed recipe; wall time and test accuracy from its metrics file."""
    out = tempfile.mkdtemp(prefix="senti-full-")
    batch = "256" if config == "b256" else "32"
    cmd = [senti_binary(env, fw), "train", "--device", env.device, *_lstm_flags(fw), "--epochs", str(epochs), "--batch", batch,
           "--data", os.path.join(env.data, "aclImdb_v1_labeled.tar.gz"),
           "--word-index", os.path.join(env.data, "imdb_word_index.json"),
           "--out", out]
    if limit > 0:
        cmd += ["--limit", str(limit), "--test-limit", str(limit)]
    return cmd, out


def run(env, fw, config, warmup, steps, full=False, epochs=20, limit=0):
    label = _label(fw)
    run_env = dict(os.environ, SENTI_CPU_THREADS=str(env.threads))
    if full and fw.startswith("senti"):
        cmd, out = _senti_full(env, fw, config, epochs, limit)
    else:
        cmd, out = _command(env, fw, config, warmup, steps, full, epochs, limit), None
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=env.timeout, env=run_env)
    except subprocess.TimeoutExpired:
        return dict(label=label, command=cmd, error=f"timed out after {env.timeout} s")
    tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-3:]
    if r.returncode != 0:
        return dict(label=label, command=cmd, error=f"exit {r.returncode}: {' / '.join(tail)}")
    try:
        rec = _senti_full_record(out, epochs, config) if out else json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError, OSError, KeyError) as e:
        return dict(label=label, command=cmd, error=f"unreadable output ({e}): {' / '.join(tail)}")
    rec.update(label=label, command=cmd)
    return rec


def _senti_full_record(out, epochs, config):
    """senti train's metrics.jsonl: one record per epoch (seconds incl. validation, train_seconds,
    samples_per_s), then {"test_acc": ...}. Wall time = the epochs' seconds, as the baselines count
    their fit loop (validation included, data loading not)."""
    lines = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl")) if l.strip()]
    done = [l for l in lines if "epoch" in l]
    test = next(l for l in lines if "test_acc" in l)
    wall_s = sum(l["seconds"] for l in done)
    samples = sum(l["samples_per_s"] * l["train_seconds"] for l in done)
    batch = 256 if config == "b256" else 32
    steps = max(1, round(samples / batch))
    return dict(framework="senti", variant="train", device_desc="senti train", batch=batch, maxlen=500,
                epochs=len(done), train_wall_s=wall_s, ms_per_step=1e3 * wall_s / steps,
                samples_per_s=samples / wall_s, val_accuracy=done[-1].get("val_acc"),
                test_accuracy=test["test_acc"])
