#!/usr/bin/env bash
# Regenerates the committed seed corpora in tests/fuzz/corpus/<target>/ from a tiny synthetic
# aclImdb tree written here (made-up reviews: no byte of the IMDB dataset). Needs a built senti
# (for the token cache and checkpoint seeds) and python3.
#   tests/fuzz/make_corpus.sh [SENTI_BIN]
set -euo pipefail
cd "$(dirname "$0")"
bin=$(realpath "${1:-../../build/senti}")
out=$PWD/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"/{aclimdb_archive,aclimdb_directory,tokenizer,token_cache,safetensors,checkpoint,serve_request}

# --- a synthetic aclImdb tree: 3 reviews a class folder, plus the files the reader must skip ---
tree=$work/aclImdb
review() { mkdir -p "$tree/$1"; printf '%s' "$3" >"$tree/$1/$2"; }
review train/pos 0_9.txt  "A warm, funny film.<br /><br />The cast is wonderful and the plot moves."
review train/pos 1_7.txt  "Good fun from start to finish; I'd watch it again."
review train/pos 2_10.txt "Great acting, great music, a great film."
review train/neg 3_2.txt  "Dull and far too long. The plot goes nowhere."
review train/neg 4_1.txt  "Awful acting, a boring plot, and no fun at all."
review train/neg 5_4.txt  "Not good. The music is loud and the film is slow."
review test/pos 6_8.txt   "A lovely, funny story with a fine cast."
review test/pos 7_10.txt  "Wonderful! Très bien. Fun for everyone."
review test/neg 8_3.txt   "Boring. I didn't like the acting or the plot."
review test/neg 9_1.txt   "The worst film: long, loud and dull."
mkdir -p "$tree/train/unsup"; printf 'Unlabeled text.' >"$tree/train/unsup/10_0.txt"
printf 'A made-up dataset for fuzzing seeds.\n' >"$tree/README"

# --- aclimdb_archive: the tree as .tar.gz and .tar, without the aclImdb/ prefix, and broken ---
(cd "$work" && tar --sort=name --owner=0 --group=0 --mtime=@0 -czf "$out/aclimdb_archive/tiny.tar.gz" aclImdb)
(cd "$work" && tar --sort=name --owner=0 --group=0 --mtime=@0 -cf "$work/tiny.tar" aclImdb/train/pos aclImdb/train/neg aclImdb/test)
cp "$work/tiny.tar" "$out/aclimdb_archive/tiny.tar"
(cd "$tree" && tar --sort=name --owner=0 --group=0 --mtime=@0 -czf "$out/aclimdb_archive/no_prefix.tar.gz" train test)
head -c 700 "$out/aclimdb_archive/tiny.tar.gz" >"$out/aclimdb_archive/truncated.tar.gz"
mkdir -p "$work/bad/aclImdb/train/pos"; printf 'x' >"$work/bad/aclImdb/train/pos/not_a_review.txt"
(cd "$work/bad" && tar --owner=0 --group=0 --mtime=@0 -czf "$out/aclimdb_archive/bad_name.tar.gz" aclImdb)

# --- aclimdb_directory: "path<TAB>content" lines, "path/" for a folder ---
(cd "$work" && find aclImdb -type f | sort | while read -r f; do printf '%s\t%s\n' "$f" "$(cat "$f")"; done) \
  >"$out/aclimdb_directory/tiny.txt"
printf 'train/pos/1_7.txt\tGood.\ntrain/neg/2_2.txt\tBad.\ntest/pos/3_9.txt\tFine.\ntest/neg/4_1.txt\tPoor.\n' \
  >"$out/aclimdb_directory/no_prefix.txt"
printf 'aclImdb/train/pos/\naclImdb/train/neg/1_1.txt\tx\naclImdb/test/\n' >"$out/aclimdb_directory/missing.txt"
printf 'aclImdb/train/pos/1_11.txt\tx\naclImdb/train/pos/x_1.txt\ty\n' >"$out/aclimdb_directory/bad_names.txt"

# --- tokenizer: the rules' corner cases ---
cp "$tree/train/pos/0_9.txt" "$out/tokenizer/html_breaks.txt"
printf "Don't 'quote' rock'n'roll tom's '' it''s \`x\` \xe2\x80\x99tis\xe2\x80\x99 a\xc2\xb4b" >"$out/tokenizer/apostrophes.txt"
printf 'Caf\xc3\xa9 \xc3\x84RGER \xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1 \xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 \xe6\x98\xa0\xe7\x94\xbb \xc3\x97\xc3\xb7 \xe2\x80\x94 \xef\xbb\xbf' >"$out/tokenizer/unicode.txt"
printf 'bad \xff\xfe bytes \xc0\xaf overlong \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big \xe2\x82 cut' >"$out/tokenizer/invalid_utf8.txt"
printf '10/10 well-made <BR/>x<br >y<Br />z \x91cp1252\x92 \x93q\x94' >"$out/tokenizer/separators.txt"

# --- token_cache: `senti prepare` on the tree, and a truncated copy ---
"$bin" prepare --data "$tree" --num-words 40 --out "$work/cache" >/dev/null 2>&1
cp "$work"/cache/tokens-*.bin "$out/token_cache/tiny.bin"
head -c 200 "$out/token_cache/tiny.bin" >"$out/token_cache/truncated.bin"

# --- checkpoint: a tiny model trained one epoch on the tree (with and without Adam moments) ---
"$bin" train --device cpu --data "$tree" --cache-dir "$work/cache" --num-words 40 --maxlen 12 \
  --embed 4 --hidden 2 --batch 2 --epochs 1 --validation-split 0.34 --test-limit 0 \
  --out "$work/run" >/dev/null 2>&1
cp "$work/run/latest.safetensors" "$out/checkpoint/tiny.safetensors"
cmp -s "$work/run/latest.safetensors" "$work/run/best.safetensors" ||
  cp "$work/run/best.safetensors" "$out/checkpoint/tiny_best.safetensors"

# --- safetensors: minimal files, and the checkpoint ---
python3 - "$out/safetensors" <<'PY'
import json, struct, sys
out = sys.argv[1]
def write(name, header, data):
    h = json.dumps(header, separators=(",", ":")).encode()
    open(f"{out}/{name}", "wb").write(struct.pack("<Q", len(h)) + h + data)
f32 = lambda *v: struct.pack(f"<{len(v)}f", *v)
write("one.safetensors", {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}},
      f32(1, 2, 3, 4))
write("two_meta.safetensors", {"__metadata__": {"format": "x", "n": "[1,2]"},
      "a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
      "b": {"dtype": "F32", "shape": [], "data_offsets": [12, 16]}}, f32(0.5, -1, 2, 7))
write("empty_tensor.safetensors", {"z": {"dtype": "F32", "shape": [0, 5], "data_offsets": [0, 0]}}, b"")
write("f16.safetensors", {"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, b"\0\0\0\0")
PY
cp "$out/checkpoint/tiny.safetensors" "$out/safetensors/checkpoint.safetensors"

# --- serve_request: request bodies ---
sr=$out/serve_request
printf '{"texts": ["A joy from start to finish.", "Awful."]}' >"$sr/two.json"
printf '{"texts": ["caf\\u00e9 \\ud83d\\ude00", "", "x"], "extra": {"a": [1, 2.5e3, null, true]}}' >"$sr/escapes.json"
printf '{"texts": [1e999999]}' >"$sr/big_number.json"
printf '{"texts": [[[[[[[[[[[[[[[[[["a"]]]]]]]]]]]]]]]]]]}' >"$sr/deep.json"
printf '{"texts": ["a", "b", "c", "d", "e"]}' >"$sr/many.json"
printf '{"texts": "not an array"}' >"$sr/not_array.json"
printf '[{"texts": []}]' >"$sr/array.json"
echo "seeds written to $out:"
for d in "$out"/*; do echo "  $(basename "$d"): $(ls "$d" | wc -l) files, $(du -sb "$d" | cut -f1) bytes"; done
