#!/usr/bin/env python3
"""fastText (PyPI `fasttext`) on aclImdb: the time-to-accuracy baseline beside the LSTMs.

    python3 benchmarks/baselines/fasttext_imdb.py --data ../shared/data/imdb [--threads 2] [--json]

A bag of words and word pairs with a linear classifier, trained by fastText's own C++ code (no
BLAS): the cheap model an LSTM has to beat on accuracy per second. The reference setting is the
fastText CLI's `supervised -epoch 5 -lr 0.5 -dim 50 -wordNgrams 2` on all 25,000 training reviews
(no validation split: fastText has no early stopping to feed), tested on all 25,000 test reviews.

Text as the fastText tutorial prepares it (its `sed -e "s/\\([.\\!?,'/()]\\)/ \\1 /g" | tr
"[:upper:]" "[:lower:]"`), after removing the reviews' `<br />` line breaks: lower case, and the
punctuation . ! ? , ' / ( ) split off as tokens of their own. The training lines are shuffled with
a fixed seed: the archive's order is all pos, then all neg, and fastText reads its file in order.

Times, reported apart: data preparation (read the reviews, normalise, write the `__label__pos|neg`
files; `load_s`, as the other baselines name their data loading) and training (`train_wall_s`:
train_supervised, which reads the file and builds the dictionary too, as the CLI figure counts).
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from importlib import metadata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import fasttext_text  # noqa: E402

# fasttext is imported in main() only: the normalisation (fasttext_text.py) is tested with the
# standard library.
normalise = fasttext_text.normalise


def label_line(label, text):
    """`__label__pos <words>` for label 1.0, `__label__neg <words>` for 0.0."""
    return fasttext_text.label_line(fasttext_text.label_token("pos" if label else "neg"), text)


def write_split(path, items, rows):
    with open(path, "w", encoding="utf-8") as f:
        for k in rows:
            _, label, text = items[k]
            f.write(label_line(label, text) + "\n")


def prepare(data_dir, folder, seed, limit):
    """Writes train.txt and test.txt into `folder`; returns their paths and line counts. --limit N:
    N reviews of each split drawn by the same fixed-seed shuffles as the LSTM baselines."""
    reviews = common.read_reviews(data_dir)
    train_rows = common.shuffled_rows(len(reviews["train"]), seed, limit)
    test_rows = common.shuffled_rows(len(reviews["test"]), seed + 1, limit)
    paths = os.path.join(folder, "train.txt"), os.path.join(folder, "test.txt")
    write_split(paths[0], reviews["train"], train_rows)
    write_split(paths[1], reviews["test"], test_rows)
    return paths, len(train_rows), len(test_rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, metavar="DIR",
                   help="aclImdb_v1_labeled.tar.gz's folder, or the extracted aclImdb files")
    p.add_argument("--threads", type=int, default=0, help="fastText threads (0 = all cores)")
    p.add_argument("--epoch", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--dim", type=int, default=50)
    p.add_argument("--word-ngrams", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234, help="line shuffle and fastText's own seed")
    p.add_argument("--limit", type=int, default=0, help="N training and N test reviews only (0 = all)")
    p.add_argument("--json", action="store_true", help="print one JSON record as the last line")
    args = p.parse_args()
    import fasttext

    threads = args.threads or os.cpu_count() or 1
    folder = tempfile.mkdtemp(prefix="fasttext-imdb-")
    try:
        t0 = time.perf_counter()
        (train_path, test_path), n_train, n_test = prepare(args.data, folder, args.seed, args.limit)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = fasttext.train_supervised(input=train_path, epoch=args.epoch, lr=args.lr, dim=args.dim,
                                          wordNgrams=args.word_ngrams, thread=threads, seed=args.seed,
                                          verbose=0)
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, precision_at_1, _ = model.test(test_path)  # one label per line: precision@1 = accuracy
        eval_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    version = metadata.version("fasttext")  # the module itself carries no __version__
    common.emit(dict(framework="fasttext", variant="supervised", device="cpu",
                     device_desc=f"cpu (fastText {version}, {threads} threads)", data="imdb",
                     version=f"fasttext {version}", threads=threads, epochs=args.epoch, lr=args.lr,
                     dim=args.dim, word_ngrams=args.word_ngrams, train_samples=n_train, test_samples=n_test,
                     load_s=load_s, train_wall_s=train_s, eval_s=eval_s, test_accuracy=precision_at_1,
                     samples_per_s=n_train * args.epoch / train_s, ms_per_step=None,
                     blas=dict(library="none (fastText's own C++ code)", threads=threads)),
                args.json)


if __name__ == "__main__":
    main()
