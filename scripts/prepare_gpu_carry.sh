#!/usr/bin/env bash
# Prepares .device-carry/ (git-ignored): everything scripts/gpu_check.sh needs on a GPU machine that
# has CUDA, cmake and python but no package registry. Run it HERE, on a Debian 12 (bookworm)
# machine with apt; it needs no root. See docs/gpu-check.md.
#
#   scripts/prepare_gpu_carry.sh            # -> .device-carry/{debs/*.deb, data, MANIFEST}
#
# What goes in:
#   debs/   the build's dependencies beyond CUDA/cmake/python, fetched with `apt-get download`
#           (CLI11, nlohmann-json, libarchive + runtime deps, OpenBLAS pthread -dev + runtime,
#           GoogleTest, OpenSSL, xxHash, cpp-httplib + the .pc/headers its pkg-config file requires, zlib, pkgconf,
#           libxsmm). Each .deb is slimmed (docs, man pages and static archives other than
#           GoogleTest's and libxsmm.a dropped) and rebuilt with dpkg-deb, so it is still a .deb that `dpkg -x` extracts.
#   aclImdb_v1_labeled.tar.gz, imdb_word_index.json   the dataset (from $SENTI_DATA_DIR, default
#           ../shared/data/imdb).
#   prebuilt/  senti and the CUDA test binaries built here for sm_90 (H100/H200) in build-carry/,
#           with BUILD_INFO (source hash, architecture, cuDNN and CUDA versions), so the GPU machine
#           skips its build when they match its tree and load there. SENTI_CARRY_PREBUILT=0: none;
#           SENTI_CARRY_ARCH (90), SENTI_CARRY_BUILD_DIR (build-carry), SENTI_CARRY_JOBS (2).
#   MANIFEST  package versions, sha256 of every file, the commit the carry was made at.
# Fails if the folder exceeds $SENTI_CARRY_LIMIT_MIB (default 60) MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.device-carry
data_dir="${SENTI_DATA_DIR:-../shared/data/imdb}"
limit_mib="${SENTI_CARRY_LIMIT_MIB:-60}"

packages=(
  # header-only
  libcli11-dev nlohmann-json3-dev
  # libarchive and what libarchive13 links (libxml2 pulls libicu72)
  libarchive-dev libarchive13 libacl1 libbz2-1.0 liblz4-1 liblzma5 libnettle8 libxml2 libicu72
  libzstd1 zlib1g zlib1g-dev
  # OpenBLAS, pthread variant (libopenblas-dev is the metapackage that selects it)
  libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libgfortran5 libquadmath0
  # GoogleTest (static libraries + CMake config)
  libgtest-dev
  # OpenSSL (SHA-256 of the dataset; also required by cpp-httplib) and xxHash (token cache)
  libssl-dev libssl3 libxxhash-dev libxxhash0
  # cpp-httplib: Debian ships it compiled; its .pc requires openssl, zlib and brotli .pc files
  libcpp-httplib-dev libcpp-httplib0.11 libbrotli-dev libbrotli1
  # pkg-config, for machines without one (CMake finds cpp-httplib and libxsmm through it)
  pkgconf-bin libpkgconf3
  # libxsmm: the CPU backend's JIT GEMMs (a static library only; its libxsmm.a is kept below)
  libxsmm-dev
  # libcsv: the CSV/TSV reader (host/data/labeled_csv.cpp); ICU: the unicode tokenizer
  libcsv-dev libcsv3 libicu-dev
)

for f in aclImdb_v1_labeled.tar.gz imdb_word_index.json; do
  [ -f "$data_dir/$f" ] || { echo "prepare_gpu_carry: $data_dir/$f not found (set SENTI_DATA_DIR)" >&2; exit 1; }
done
command -v apt-get >/dev/null || { echo "prepare_gpu_carry: needs apt-get (Debian 12)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dl"
echo "prepare_gpu_carry: downloading ${#packages[@]} packages"
if ! (cd "$work/dl" && apt-get download -q "${packages[@]}" >"$work/apt.log" 2>&1); then
  cat "$work/apt.log" >&2
  echo "prepare_gpu_carry: apt-get download failed; try 'apt-get update' first" >&2
  exit 1
fi

mkdir -p "$out/debs"
# Drop carried packages that are no longer wanted (or whose version changed).
for old in "$out"/debs/*.deb; do
  [ -e "$old" ] && [ ! -e "$work/dl/$(basename "$old")" ] && rm -f "$old"
done
for deb in "$work"/dl/*.deb; do
  name="$(basename "$deb")"
  [ -s "$out/debs/$name" ] && continue  # slimmed on an earlier run (same file name = same version)
  root="$work/root"
  rm -rf "$root"
  dpkg-deb -R "$deb" "$root"
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" "$root/usr/share/locale"
  # Static archives are not linked (shared libraries are); GoogleTest ships only static ones.
  # (Only archives: .so links point into other packages and must stay.)
  find "$root" -name '*.a' ! -name 'libgtest*' ! -name 'libgmock*' ! -name 'libxsmm.a' -delete
  rm -f "$root/DEBIAN/md5sums"   # lists removed files; dpkg -x does not read it
  dpkg-deb --root-owner-group -Zxz -b "$root" "$out/debs/$name" >/dev/null
done

cp "$data_dir/aclImdb_v1_labeled.tar.gz" "$data_dir/imdb_word_index.json" "$out/"
chmod u+w "$out"/*.gz "$out"/*.json

# Prebuilt binaries for the GPU: only the targets the check runs (scripts/gpu_check.sh names them).
rm -rf "$out/prebuilt"
if [ "${SENTI_CARRY_PREBUILT:-1}" = 1 ]; then
  build="${SENTI_CARRY_BUILD_DIR:-build-carry}" arch="${SENTI_CARRY_ARCH:-90}"
  tests="${SENTI_CUDA_TEST_BINARIES:-senti_cuda_tests}"
  [ -d /usr/local/cuda/bin ] && export PATH="$PATH:/usr/local/cuda/bin"
  launch=()
  command -v ccache >/dev/null && launch=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  gen=()
  [ -f "$build/CMakeCache.txt" ] || { command -v ninja >/dev/null && gen=(-G Ninja); }
  echo "prepare_gpu_carry: building senti $tests for sm_$arch in $build (takes minutes the first time)"
  cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DSENTI_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="$arch" "${launch[@]}" >"$work/configure.log" 2>&1 ||
    { tail -20 "$work/configure.log" >&2; echo "prepare_gpu_carry: cmake failed" >&2; exit 1; }
  # shellcheck disable=SC2086
  cmake --build "$build" -j "${SENTI_CARRY_JOBS:-2}" --target senti $tests >"$work/build.log" 2>&1 ||
    { grep -E 'error|FAILED' "$work/build.log" | head -20 >&2; echo "prepare_gpu_carry: build failed" >&2; exit 1; }
  mkdir -p "$out/prebuilt"
  cp "$build/senti" "$out/prebuilt/"
  for t in $tests; do cp "$build/tests/$t" "$out/prebuilt/"; done
  cudnn_inc="$(sed -n 's/^CUDNN_INCLUDE_DIR:PATH=//p' "$build/CMakeCache.txt")"
  {
    echo "source_hash=$(scripts/gpu_check/source_hash.sh .)"
    echo "cuda_arch=$arch"
    echo "cudnn=$(awk '/#define CUDNN_MAJOR |#define CUDNN_MINOR |#define CUDNN_PATCHLEVEL /{printf "%s%s", sep, $3; sep="."}' "$cudnn_inc/cudnn_version.h")"
    echo "cuda=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
    echo "glibc=$(ldd --version | head -1 | awk '{print $NF}')"
    echo "compiler=$(c++ --version | head -1)"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "binaries=senti $tests"
  } >"$out/prebuilt/BUILD_INFO"
fi

{
  echo "# senti GPU carry, made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (working tree had changes)')"
  echo "## packages"
  for deb in "$out"/debs/*.deb; do
    echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
  done
  echo "## sha256"
  (cd "$out" && sha256sum aclImdb_v1_labeled.tar.gz imdb_word_index.json debs/*.deb $(ls prebuilt/* 2>/dev/null))
  if [ -f "$out/prebuilt/BUILD_INFO" ]; then echo "## prebuilt"; cat "$out/prebuilt/BUILD_INFO"; fi
} >"$out/MANIFEST"

size_kib="$(du -sk "$out" | cut -f1)"
size_mib=$(( (size_kib + 1023) / 1024 ))
echo "prepare_gpu_carry: $out is ${size_mib} MiB ($(ls "$out"/debs | wc -l) packages, data$( [ -d "$out/prebuilt" ] && echo ", prebuilt binaries $(du -sh "$out/prebuilt" | cut -f1)"))"
if [ "$size_mib" -gt "$limit_mib" ]; then
  echo "prepare_gpu_carry: larger than the ${limit_mib} MiB limit" >&2
  exit 1
fi
