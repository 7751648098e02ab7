#!/usr/bin/env bash
# issue 24 measurements (CPU, 2 threads); every figure into results.txt
set -u
S=/work/main/build/senti
D=/work/shared/data/imdb
L=$D/aclImdb_v1_labeled.tar.gz; U=$D/aclImdb_v1_unsup.tar.gz
export SENTI_CPU_THREADS=2 SENTI_CACHE_DIR=/work/exp/cache
r() { echo "== $(date -u +%T) $*" >> results.txt; }
t0=$(date +%s); $S pretrain --data $L --unlabeled-data $U --out lm > lm.log 2>&1; r "lm rc=$? wall=$(( $(date +%s)-t0 ))s"
tail -2 lm/metrics.jsonl >> results.txt
cp -r lm lm2; t0=$(date +%s); $S pretrain --data $L --unlabeled-data $U --out lm2 --resume --epochs 2 > lm2.log 2>&1; r "lm2 rc=$? wall=$(( $(date +%s)-t0 ))s"
tail -1 lm2/metrics.jsonl >> results.txt
for s in 1337 1338 1339; do
  t0=$(date +%s); $S train --preset pretrained --init lm2 --data $L --unlabeled-data $U --out pt2e-$s --seed $s > pt2e-$s.log 2>&1
  r "pt2e seed=$s rc=$? wall=$(( $(date +%s)-t0 ))s"; grep -iE "test|best" pt2e-$s.log | tail -4 >> results.txt
done
for n in 10125 19500 38250; do
  t0=$(date +%s); $S pretrain --data $L --unlabeled-data $U --out lm-n$n --limit $n --validation-split $(python3 -c "print(750/$n)") > lm-n$n.log 2>&1
  r "scaling n=$n rc=$? wall=$(( $(date +%s)-t0 ))s"; tail -1 lm-n$n/metrics.jsonl >> results.txt
done
r done
#!/usr/bin/env bash
# issue 24: a larger LSTM (H 128) pretrained and fine-tuned beside best at H 128 (CPU, 2 threads)
set -u
S=/work/main/build/senti
D=/work/shared/data/imdb
L=$D/aclImdb_v1_labeled.tar.gz; U=$D/aclImdb_v1_unsup.tar.gz
export SENTI_CPU_THREADS=2 SENTI_CACHE_DIR=/work/exp/cache
r() { echo "== $(date -u +%T) $*" >> results2.txt; }
t0=$(date +%s); $S pretrain --data $L --unlabeled-data $U --hidden 128 --out lm-h128 > lm-h128.log 2>&1; r "lm-h128 rc=$? wall=$(( $(date +%s)-t0 ))s"
tail -1 lm-h128/metrics.jsonl >> results2.txt
for s in 1337 1338 1339; do
  t0=$(date +%s); $S train --preset pretrained --init lm-h128 --hidden 128 --data $L --unlabeled-data $U --out pth128-$s --seed $s > pth128-$s.log 2>&1
  r "pth128 seed=$s rc=$? wall=$(( $(date +%s)-t0 ))s"; grep -iE "test:|best val" pth128-$s.log | tail -2 >> results2.txt
  t0=$(date +%s); $S train --preset best --hidden 128 --data $L --unlabeled-data $U --out besth128-$s --seed $s > besth128-$s.log 2>&1
  r "besth128 seed=$s rc=$? wall=$(( $(date +%s)-t0 ))s"; grep -iE "test:|best val" besth128-$s.log | tail -2 >> results2.txt
done
r done
#!/usr/bin/env bash
# issue 24: rerun best and pretrained (lm, 1 epoch) at H 64 for checkpoints to score out of domain
set -u
while pgrep -f chain2.sh > /dev/null; do sleep 10; done
S=/work/main/build/senti
D=/work/shared/data/imdb
L=$D/aclImdb_v1_labeled.tar.gz; U=$D/aclImdb_v1_unsup.tar.gz
export SENTI_CPU_THREADS=2 SENTI_CACHE_DIR=/work/exp/cache
r() { echo "== $(date -u +%T) $*" >> results3.txt; }
for s in 1337 1338 1339; do
  t0=$(date +%s); $S train --preset pretrained --init lm --data $L --unlabeled-data $U --out pt1-$s --seed $s > pt1-$s.log 2>&1
  r "pt1 seed=$s rc=$? wall=$(( $(date +%s)-t0 ))s"; grep -iE "test:|best val" pt1-$s.log | tail -2 >> results3.txt
  t0=$(date +%s); $S train --preset best --data $L --unlabeled-data $U --out best-$s --seed $s > best-$s.log 2>&1
  r "best seed=$s rc=$? wall=$(( $(date +%s)-t0 ))s"; grep -iE "test:|best val" best-$s.log | tail -2 >> results3.txt
done
r done
#!/usr/bin/env bash
# issue 24: --preset best with the id-block validation split (no urls files) beside best-$s (urls)
set -u
while pgrep -f chain3.sh > /dev/null; do sleep 10; done
S=/work/main/build/senti
L=/work/shared/data/imdb/aclImdb_v1_labeled.tar.gz
export SENTI_CPU_THREADS=2 SENTI_CACHE_DIR=/work/exp/cache
r() { echo "== $(date -u +%T) $*" >> results4.txt; }
for s in 1337 1338 1339; do
  t0=$(date +%s); $S train --preset best --data $L --out bestid-$s --seed $s > bestid-$s.log 2>&1
  r "bestid seed=$s rc=$? wall=$(( $(date +%s)-t0 ))s"; grep -iE "validation split|test:|best val" bestid-$s.log | tail -3 >> results4.txt
done
r done
#!/usr/bin/env bash
# issue 24: out-of-domain and short-text accuracy of every fine-tuned checkpoint (best.safetensors)
set -u
while pgrep -f "chain[234].sh" > /dev/null; do sleep 10; done
S=/work/main/build/senti
R=/work/main/benchmarks/results/pretrain-2026-12-06
export SENTI_CPU_THREADS=2
args=()
for k in best pt1 pt2e besth128 pth128; do for s in 1337 1338 1339; do args+=(--checkpoint $k-$s=$k-$s/best.safetensors); done; done
python3 /work/main/benchmarks/out_of_domain.py --senti $S --data /work/shared/data/textclf "${args[@]}" --json $R/out_of_domain.json > $R/out_of_domain.txt 2>&1
for k in best pt1 pth128 besth128; do for s in 1337 1338 1339; do
  python3 /work/main/benchmarks/short_texts.py --senti $S --checkpoint $k-$s/best.safetensors --data /work/shared/data/imdb/aclImdb_v1_labeled.tar.gz --limit 5000 --json $R/short_texts-$k-$s.json > short-$k-$s.txt 2>&1
done; done
echo done > chain5.done
