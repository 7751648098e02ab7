"""What every framework baseline shares with `senti bench`: flags, data, timing and the JSON record.

Timing method (the same in senti and every baseline, so ratios compare like with like):
  * `warmup` training steps first (graph building, autotuning, allocator growth), not timed;
  * then `steps` timed steps back to back; the host clock is read after each step and the device is
    synchronised once, after the last step (torch.cuda.synchronize, senti's take_metrics(), Keras's
    fit returning);
  * ms/step = total wall time / steps (the headline figure); median_ms = median of the per-step host
    intervals (exact on a CPU; on a GPU a step's interval may include waiting for earlier steps);
    cpu_ms_per_step = the process's user + sys CPU time per step, all threads (on a shared, loaded
    machine the fairer CPU comparison; on a GPU mostly the host's launch/spin cost).
"""
import argparse
import json
import os
import platform
import re
import statistics
import tarfile
import time

# numpy is imported inside the functions that build arrays: run_all.py and the GPU check read this
# module's flags and presets with the standard library alone (heavy imports only where used).

# The seed recipe: Embedding(10000, 128) -> LSTM(64) -> Dense(1, sigmoid), Adam(1e-3, clipnorm=0.1),
# batch 32, maxlen 500 (post padding and truncation), 20 epochs, validation_split 0.2.
SEED = dict(batch=32, maxlen=500, embed=128, hidden=64, vocab=10000)
PRESETS = {"seed": dict(SEED), "b256": dict(SEED, batch=256)}

# Keras id scheme (imdb.load_data): 0 padding, 1 start, 2 out-of-vocabulary, word of rank r -> r + 3.
PAD_ID, START_ID, OOV_ID, INDEX_FROM = 0, 1, 2, 3
# keras.preprocessing.text.text_to_word_sequence's default filters (the apostrophe is kept), which is
# how "<br />" became the word "br" (rank 7) in the Keras word index.
_KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_FILTER_TABLE = str.maketrans({c: " " for c in _KERAS_FILTERS})

# senti's tokenizer (host/text/tokenizer.h, docs/data.md), so the baselines see the same ids as senti:
# <br /> is a separator, words are runs of ASCII letters/digits and code points >= U+00C0 (less a few
# separator blocks), apostrophe variants become ' and are kept only inside a word. (Python's lower()
# covers more scripts than senti's; no IMDB word in the 10,000 kept is affected.)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_APOSTROPHES = str.maketrans({c: "'" for c in "`\u2018\u2019\u00b4\u0091\u0092"})
_W = ("[0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2070-\u2fff\u3001-\ufefe\uff00-\ufffc"
      "\U00010000-\U0010ffff]")
_SENTI_WORD = re.compile(f"{_W}+(?:'{_W}+)*")


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=sorted(PRESETS), help="seed (B32 T500 E128 H64) or b256")
    p.add_argument("--batch", type=int, help="B (default 32)")
    p.add_argument("--maxlen", type=int, help="T (default 500)")
    p.add_argument("--embed", type=int, help="E (default 128)")
    p.add_argument("--hidden", type=int, help="H (default 64)")
    p.add_argument("--vocab", type=int, help="V = num_words (default 10000)")
    p.add_argument("--steps", type=int, default=50, help="timed training steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed training steps before timing")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = framework default)")
    p.add_argument("--seed", type=int, default=1234)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--synthetic", action="store_true",
                     help="random ids of the benchmark's shape (the default for speed runs)")
    src.add_argument("--data", metavar="DIR",
                     help="the real IMDB: DIR holds aclImdb_v1_labeled.tar.gz and imdb_word_index.json")
    p.add_argument("--full", action="store_true",
                   help="time to accuracy: the full seed recipe on --data, then test accuracy")
    p.add_argument("--epochs", type=int, default=20, help="epochs for --full")
    p.add_argument("--limit", type=int, default=0,
                   help="--full on the first N shuffled training and test reviews (0 = all; smoke runs)")
    p.add_argument("--tokenizer", choices=sorted(TOKENIZERS), default="senti",
                   help="with --data: senti's rules (the same ids senti trains on) or Keras's "
                        "text_to_word_sequence")
    p.add_argument("--json", action="store_true", help="print one JSON record as the last line")


def resolve_shape(args) -> dict:
    """Preset first, explicit flags override it."""
    shape = dict(PRESETS[args.preset] if args.preset else SEED)
    for k in SEED:
        if getattr(args, k) is not None:
            shape[k] = getattr(args, k)
        if shape[k] <= 0:
            raise SystemExit(f"--{k} must be positive, got {shape[k]}")
    if args.full and not args.data:
        raise SystemExit("--full needs --data DIR (the real IMDB)")
    return shape


# ---------------------------------------------------------------------------------------------
# Data


def synthetic_batches(n, batch, maxlen, vocab, seed):
    """n batches of random ids in [3, vocab) after a start token, with IMDB-like true lengths
    (log-normal around a median of ~175 tokens, as the real train split has) capped to maxlen;
    padding after the true length as the seed recipe pads (post). Labels are random 0/1."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        lengths = np.clip(rng.lognormal(np.log(175.0), 0.75, size=batch), 10, maxlen).astype(np.int64)
        ids = rng.integers(INDEX_FROM, vocab, size=(batch, maxlen), dtype=np.int64)
        ids[:, 0] = START_ID
        ids[np.arange(maxlen)[None, :] >= lengths[:, None]] = PAD_ID
        labels = rng.integers(0, 2, size=batch).astype(np.float32)
        out.append((ids, labels, lengths))
    return out


def keras_words(text: str):
    """keras.preprocessing.text.text_to_word_sequence (keeps "br" from "<br />")."""
    return text.lower().translate(_FILTER_TABLE).split()


def senti_words(text: str):
    return _SENTI_WORD.findall(_BR.sub(" ", text).translate(_APOSTROPHES).lower())


TOKENIZERS = {"senti": senti_words, "keras": keras_words}


_REVIEW_NAME = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def read_reviews(data_dir):
    """The labeled aclImdb reviews: {"train": [(key, label, text)], "test": [...]}, label 1.0 pos and
    0.0 neg, each split in the archive's order (key = (0 pos / 1 neg, id)). `data_dir` holds
    aclImdb_v1_labeled.tar.gz (read without extracting) or the extracted files (DIR/aclImdb/train/pos/...
    or DIR/train/pos/...)."""
    reviews = {"train": [], "test": []}

    def add(name, raw):
        m = _REVIEW_NAME.search(name)
        if m:
            key = (0 if m.group(2) == "pos" else 1, int(m.group(3)))
            reviews[m.group(1)].append((key, 1.0 if m.group(2) == "pos" else 0.0,
                                        raw.decode("utf-8", errors="replace")))

    archive = os.path.join(data_dir, "aclImdb_v1_labeled.tar.gz")
    if os.path.isfile(archive):
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.isfile() and _REVIEW_NAME.search(member.name):
                    add(member.name, tar.extractfile(member).read())
    else:
        top = os.path.join(data_dir, "aclImdb") if os.path.isdir(os.path.join(data_dir, "aclImdb")) else data_dir
        for split in reviews:
            for cls in ("pos", "neg"):
                folder = os.path.join(top, split, cls)
                for name in os.listdir(folder) if os.path.isdir(folder) else []:
                    with open(os.path.join(folder, name), "rb") as f:
                        add(f"{split}/{cls}/{name}", f.read())
    if not reviews["train"] or not reviews["test"]:
        raise SystemExit(f"{data_dir}: no aclImdb_v1_labeled.tar.gz and no train/ and test/ review files")
    for items in reviews.values():
        items.sort(key=lambda r: r[0])
    return reviews


def load_imdb(data_dir, num_words, maxlen, tokenizer="senti"):
    """The real IMDB with Keras's ids (imdb.load_data(num_words) + pad_sequences(padding/truncating=
    'post')) built from the raw reviews with `tokenizer` (senti's rules by default): returns {"train": (ids, labels, lengths), "test": (...)}, ids int64
    (N, maxlen), each split in the archive's order (pos by id, then neg by id)."""
    import numpy as np

    index = json.load(open(os.path.join(data_dir, "imdb_word_index.json"), encoding="utf-8"))
    reviews = read_reviews(data_dir)
    out = {}
    for split, items in reviews.items():
        ids = np.zeros((len(items), maxlen), dtype=np.int64)
        lengths = np.zeros(len(items), dtype=np.int64)
        for row, (_, _, text) in enumerate(items):
            seq = [START_ID]
            for w in TOKENIZERS[tokenizer](text):
                r = index.get(w)
                seq.append(r + INDEX_FROM if r is not None and r + INDEX_FROM < num_words else OOV_ID)
            seq = seq[:maxlen]
            ids[row, : len(seq)] = seq
            lengths[row] = len(seq)
        labels = np.array([lab for _, lab, _ in items], dtype=np.float32)
        out[split] = (ids, labels, lengths)
    return out


def real_batches(data, n, batch, seed):
    """n batches drawn from the real train split (a fixed-seed shuffle, cycling)."""
    import numpy as np

    ids, labels, lengths = data["train"]
    order = np.random.default_rng(seed).permutation(len(labels))
    out = []
    for k in range(n):
        rows = order[np.arange(k * batch, (k + 1) * batch) % len(order)]
        out.append((ids[rows], labels[rows], lengths[rows]))
    return out


def shuffled_rows(n, seed, limit=0):
    """A fixed-seed shuffle of 0..n-1 (imdb.load_data shuffles with seed 113), cut to `limit` if > 0."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(n)
    return order[:limit] if limit > 0 else order


def limit_test(data, seed, limit):
    """The test split, or `limit` reviews of it drawn by a fixed-seed shuffle (it is ordered by class)."""
    ids, labels, lengths = data["test"]
    rows = shuffled_rows(len(labels), seed + 1, limit)
    return ids[rows], labels[rows], lengths[rows]


def recipe_split(data, seed, limit=0):
    """The seed recipe's split: Keras validation_split=0.2 takes the LAST 20% of the (shuffled)
    training arrays as validation."""
    ids, labels, lengths = data["train"]
    order = shuffled_rows(len(labels), seed, limit)
    n_val = int(round(0.2 * len(order)))
    tr, va = order[: len(order) - n_val], order[len(order) - n_val:]
    return (ids[tr], labels[tr], lengths[tr]), (ids[va], labels[va], lengths[va])


# ---------------------------------------------------------------------------------------------
# Timing and reporting


class StepClock:
    """Host timestamps after each timed step; the caller synchronises the device before stop()."""

    def __init__(self):
        self.marks = []

    def start(self):
        self.marks = [time.perf_counter()]
        self.cpu0 = time.process_time()  # all threads of this process: user + sys

    def tick(self):
        self.marks.append(time.perf_counter())

    def stop(self):
        self.marks[-1] = time.perf_counter()  # the last step's mark, taken after the device sync
        self.cpu1 = time.process_time()

    def summary(self):
        deltas = [b - a for a, b in zip(self.marks, self.marks[1:])]
        total = self.marks[-1] - self.marks[0]
        return dict(total_s=total, ms_per_step=1e3 * total / len(deltas),
                    median_ms=1e3 * statistics.median(deltas),
                    cpu_ms_per_step=1e3 * (self.cpu1 - self.cpu0) / len(deltas))


def record(framework, variant, device, device_desc, shape, args, timing, data_name, extra=None):
    b, t = shape["batch"], shape["maxlen"]
    rec = dict(framework=framework, variant=variant, device=device, device_desc=device_desc,
               batch=b, maxlen=t, embed=shape["embed"], hidden=shape["hidden"], vocab=shape["vocab"],
               data=data_name, warmup=args.warmup, steps=args.steps, threads=args.threads,
               ms_per_step=timing["ms_per_step"], median_ms=timing["median_ms"],
               cpu_ms_per_step=timing.get("cpu_ms_per_step"), load_avg=os.getloadavg()[0],
               samples_per_s=b * 1e3 / timing["ms_per_step"],
               tokens_per_s=b * t * 1e3 / timing["ms_per_step"], host=platform.node())
    rec.update(extra or {})
    return rec


def emit(rec, as_json):
    if as_json:
        print(json.dumps(rec), flush=True)
        return
    for k, v in rec.items():
        print(f"{k:>16}: {v:.4g}" if isinstance(v, float) else f"{k:>16}: {v}")


def batches_for(args, shape):
    n = args.warmup + args.steps
    if args.data:
        data = load_imdb(args.data, shape["vocab"], shape["maxlen"], args.tokenizer)
        return real_batches(data, n, shape["batch"], args.seed), "imdb"
    return synthetic_batches(n, shape["batch"], shape["maxlen"], shape["vocab"], args.seed), "synthetic"


def load_for_full(args, shape):
    t0 = time.perf_counter()
    data = load_imdb(args.data, shape["vocab"], shape["maxlen"], args.tokenizer)
    train, val = recipe_split(data, args.seed, args.limit)
    return limit_test(data, args.seed, args.limit), train, val, time.perf_counter() - t0
