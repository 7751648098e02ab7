"""Shared by the K-class cases of onnx_export_test.py and checkpoint_pytorch_test.py (standard
library only): where the TREC question set lies, its questions, and a multi-label copy of a
checkpoint."""
import csv
import json
import os

TREC_CLASSES = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]  # sorted labels: the checkpoint's order


def trec_dir(archive):
    """../textclf/trec beside the IMDB archive's folder (shared/data/imdb -> shared/data/textclf)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(archive))), "textclf", "trec")


def trec_questions(trec, n):
    """The first n questions of TREC's test split."""
    with open(os.path.join(trec, "test.csv"), encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)][:n]


def as_multi_label(src, dst):
    """A copy of checkpoint `src` whose model metadata says multi-label: the same (F [+ W], K) dense
    layer read as K independent sigmoids (no trainer writes one yet). The safetensors header is
    rewritten and padded with spaces to 8 bytes; the tensor bytes and their hashes are unchanged."""
    with open(src, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    model = json.loads(header["__metadata__"]["model"])
    model["head"] = "multi-label"
    model["architecture"] = model["architecture"].replace("-softmax", "-sigmoid")
    header["__metadata__"]["model"] = json.dumps(model)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(dst, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + blob[8 + n:])
