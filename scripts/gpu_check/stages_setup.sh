# Stages that need no GPU: probe, deps, binaries, configure, build (the --dry-run set).
# Each runs in its own process (run_stage.sh) with GC_STAGE_DEADLINE set; helpers in common.sh.
# shellcheck shell=bash

# The CUDA test binaries the check runs on the GPU. Named, never globbed: senti_cuda_emu_tests
# (emulated device) is not for the GPU.
gc_cuda_test_names() { echo "${SENTI_CUDA_TEST_BINARIES:-senti_cuda_tests}"; }

stage_probe() {
  local have_gpu=0 name="" mem="" drv="" cc=""
  if command -v nvidia-smi >/dev/null && bounded 15 nvidia-smi -L >"$GC_LOGS/nvidia-smi.log" 2>&1; then
    have_gpu=1
    bounded 10 nvidia-smi >>"$GC_LOGS/nvidia-smi.log" 2>&1
    name="$(gpu_query name)"; mem="$(gpu_query memory.total)"; drv="$(gpu_query driver_version)"
    cc="$(gpu_query compute_cap)"
  fi
  record gpu_present "$have_gpu"
  record gpu_name "$name"; record gpu_memory "$mem"; record gpu_driver "$drv"; record gpu_cc "$cc"
  record gpu_name_short "${name:-no GPU}"
  if [ "$have_gpu" != 1 ]; then
    if [ "$GC_DRY_RUN" = 1 ]; then note "no GPU (dry run: GPU stages are skipped)"
    else fail "no GPU: nvidia-smi -L failed or is missing (see logs/nvidia-smi.log)"; fi
  fi
  local nvcc_v cuda_v cudnn_v wheel_v san_v cmake_v ninja_v cxx_v glibc torch_v
  nvcc_v="$(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  cuda_v="$("$GC_PY" -c 'import json;print(json.load(open("/usr/local/cuda/version.json"))["cuda"]["version"])' 2>/dev/null ||
    readlink -f /usr/local/cuda 2>/dev/null)"
  cudnn_v="$(cudnn_header_version "$CUDNN_INC")"
  wheel_v="$("$GC_PY" -c 'import importlib.metadata as m
for n in ("nvidia-cudnn-cu13", "nvidia-cudnn-cu12"):
    try: print(n, m.version(n)); break
    except Exception: pass' 2>/dev/null)"
  san_v="$(compute-sanitizer --version 2>/dev/null | sed -n 's/.*Version \(.*\)/\1/p' | head -1)"
  command -v compute-sanitizer >/dev/null && [ -z "$san_v" ] && san_v="present (version unreadable)"
  cmake_v="$(cmake --version 2>/dev/null | head -1 | awk '{print $3}')"
  ninja_v="$(ninja --version 2>/dev/null)"
  cxx_v="$(c++ --version 2>/dev/null | head -1)"
  glibc="$(ldd --version 2>/dev/null | head -1 | awk '{print $NF}')"
  torch_v="$(bounded 15 "$GC_PY" -c 'import torch
print(torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(), "GPU seen:", torch.cuda.is_available())' 2>"$GC_LOGS/probe_torch.log")"
  [ -n "$torch_v" ] || torch_v="unavailable ($(tail -1 "$GC_LOGS/probe_torch.log" 2>/dev/null | cut -c1-120))"
  record cuda_nvcc "$nvcc_v"; record cuda_toolkit "$cuda_v"; record cudnn_version "$cudnn_v"
  record cudnn_include "$CUDNN_INC"; record cudnn_library "$CUDNN_LIB"; record cudnn_from "$CUDNN_FROM"
  record cudnn_wheel "$wheel_v"; record compute_sanitizer "$san_v"; record torch "$torch_v"
  record python "$(bounded 15 "$GC_PY" -c 'import sys; print(sys.executable, sys.version.split()[0])' 2>&1 | tail -1)"
  record glibc "$glibc"; record kernel "$(uname -r)"; record cpus "$GC_JOBS"
  [ -n "$CUDNN_LIB" ] || note "cuDNN not found (set CUDNN_INCLUDE_DIR and CUDNN_LIBRARY)"
  section "## Probe" "" "| what | seen |" "| --- | --- |" \
    "| GPU | ${name:-none} (${mem:-?}, compute capability ${cc:-?}) |" \
    "| driver | ${drv:-?} |" \
    "| CUDA | nvcc ${nvcc_v:-not found}, toolkit ${cuda_v:-?} |" \
    "| cuDNN | ${cudnn_v:-?} from $CUDNN_FROM: $CUDNN_LIB; wheel: ${wheel_v:-none} |" \
    "| compute-sanitizer | ${san_v:-not found} |" \
    "| cmake / ninja / compiler | ${cmake_v:-none} / ${ninja_v:-none} / ${cxx_v:-none} |" \
    "| glibc / kernel / CPUs | ${glibc:-?} / $(uname -r) / $GC_JOBS |" \
    "| python torch ($GC_PY) | $torch_v |" \
    "| LD_LIBRARY_PATH | \`$LD_LIBRARY_PATH\` |"
  record headline_probe "GPU: ${name:-none} (${mem:-?}, cc ${cc:-?}), driver ${drv:-?}, CUDA ${nvcc_v:-?}," \
    "cuDNN ${cudnn_v:-?} ($CUDNN_FROM), compute-sanitizer ${san_v:-none}, torch ${torch_v%% *}"
}

stage_deps() {
  local debs=("$GC_CARRY"/debs/*.deb)
  if [ ! -e "${debs[0]}" ]; then
    fail "no $GC_CARRY/debs/*.deb: run scripts/prepare_gpu_carry.sh here and carry .device-carry"; return
  fi
  local libdir="$GC_PREFIX/usr/lib/$GC_MULTIARCH" stamp
  stamp="$( { ls -l "${debs[@]}" | awk '{print $5, $NF}'; echo "expose_all=${SENTI_DEPS_EXPOSE_ALL:-0}"; } |
    sha256sum | cut -c1-16)"
  if [ "$(cat "$GC_PREFIX/.gpu-check-stamp" 2>/dev/null)" = "$stamp" ]; then
    record deps_packages "${#debs[@]}"
    note "prefix $GC_PREFIX already holds these ${#debs[@]} packages (warm machine); reused"
    section "## Deps" "" "$GC_PREFIX reused: $(cat "$GC_PREFIX/.gpu-check-runtime" 2>/dev/null)"
    return
  fi
  rm -rf "$GC_PREFIX" && mkdir -p "$GC_PREFIX/runtime-lib"
  local d n=0
  for d in "${debs[@]}"; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$d" "$GC_PREFIX" || { fail "dpkg-deb -x $d"; return; }
    else  # no dpkg: a .deb is an ar archive holding data.tar.*
      (cd "$GC_PREFIX" && ar p "$d" "$(ar t "$d" | grep '^data.tar')" | tar -xJ) || { fail "extract $d"; return; }
    fi
    n=$((n + 1))
  done
  # Absolute symlinks (libz.so -> /lib/...) must point into the prefix.
  local l t
  find "$GC_PREFIX" -type l | while read -r l; do
    t="$(readlink "$l")"
    case "$t" in /*) [ -e "$GC_PREFIX$t" ] && ln -sfn "$GC_PREFIX$t" "$l" ;; esac
  done
  # Debian selects the OpenBLAS variant with update-alternatives, which dpkg -x does not run.
  if [ -d "$libdir/openblas-pthread" ]; then
    ln -sfn openblas-pthread/libopenblas.so "$libdir/libopenblas.so"
    ln -sfn openblas-pthread/libopenblas.so.0 "$libdir/libopenblas.so.0"
    [ -e "$libdir/openblas-pthread/libblas.so.3" ] && ln -sfn "$libdir/openblas-pthread/libblas.so.3" "$GC_PREFIX/runtime-lib/libblas.so.3"
  fi
  # Run time: expose only the shared libraries whose soname this system does not already provide,
  # so system tools keep their own (newer) libraries.
  local have missing f soname
  have="$(ldconfig -p 2>/dev/null | awk '{print $1}')"
  # SENTI_DEPS_EXPOSE_ALL=1 (dry runs): expose every carried library, as on a machine that has none.
  [ "${SENTI_DEPS_EXPOSE_ALL:-0}" = 1 ] && have=""
  while IFS= read -r f; do
    if command -v readelf >/dev/null; then
      soname="$(readelf -d "$f" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
    else  # no binutils: Debian names the file or its link after the soname; extra links are harmless
      soname="$(basename "$f")"
    fi
    [ -n "$soname" ] || continue
    grep -qxF "$soname" <<<"$have" || ln -sfn "$f" "$GC_PREFIX/runtime-lib/$soname"
  done < <(find "$GC_PREFIX" \( -type f -o -type l \) -name '*.so*' ! -path '*/runtime-lib/*')
  missing="$(find "$GC_PREFIX/runtime-lib" -mindepth 1 | wc -l)"
  echo "$stamp" >"$GC_PREFIX/.gpu-check-stamp"
  echo "$n packages extracted; $missing carried runtime libraries this system lacks: $(ls "$GC_PREFIX/runtime-lib" | tr '\n' ' ')" \
    >"$GC_PREFIX/.gpu-check-runtime"
  record deps_packages "$n"; record deps_runtime_missing "$missing"
  section "## Deps" "" "$(cat "$GC_PREFIX/.gpu-check-runtime") (prefix $GC_PREFIX)"
}

# check_loads DIR_OF_SENTI DIR_OF_TESTS LABEL: the binaries resolve every library and symbol
# (LD_BIND_NOW) and answer --version / --gtest_list_tests. Records senti_bin and cuda_test_bins.
check_loads() {
  local sdir="$1" tdir="$2" label="$3" t ok=1 bins=""
  if ! LD_BIND_NOW=1 bounded 15 "$sdir/senti" --version >"$GC_LOGS/binaries_$label.log" 2>&1 ||
     ! grep -q '^senti ' "$GC_LOGS/binaries_$label.log"; then
    ok=0; note "$label senti does not run --version: $(tail -2 "$GC_LOGS/binaries_$label.log" | tr '\n' ' ' | cut -c1-200)"
  fi
  for t in $(gc_cuda_test_names); do
    if LD_BIND_NOW=1 bounded 15 "$tdir/$t" --gtest_list_tests >"$GC_LOGS/binaries_${label}_$t.list" 2>&1; then
      bins="$bins $tdir/$t"
    else
      ok=0; note "$label $t does not list its tests: $(tail -2 "$GC_LOGS/binaries_${label}_$t.list" | tr '\n' ' ' | cut -c1-200)"
    fi
  done
  if [ $ok = 0 ]; then
    { ldd "$sdir/senti"; for t in $(gc_cuda_test_names); do ldd "$tdir/$t"; done; } 2>&1 |
      grep 'not found' | sort -u >"$GC_LOGS/binaries_${label}_missing.log"
    [ -s "$GC_LOGS/binaries_${label}_missing.log" ] &&
      note "$label: libraries not found: $(awk '{print $1}' "$GC_LOGS/binaries_${label}_missing.log" | tr '\n' ' ')"
    return 1
  fi
  # Where each library came from (carried prefix, cuDNN wheel, toolkit, system).
  ldd "$sdir/senti" >"$GC_LOGS/binaries_${label}_ldd.log" 2>&1
  record senti_libs_from_carry "$(grep -c "$GC_PREFIX" "$GC_LOGS/binaries_${label}_ldd.log")"
  record senti_cudnn_loaded "$(awk '/libcudnn/ {print $3}' "$GC_LOGS/binaries_${label}_ldd.log" | head -1)"
  record senti_bin "$sdir/senti"
  record cuda_test_bins "${bins# }"
  return 0
}

stage_binaries() {
  local pre="$GC_CARRY/prebuilt" bin="$GC_WORK/bin" info why=""
  info="$pre/BUILD_INFO"
  record need_build 1
  if [ ! -f "$info" ]; then
    why="no carried prebuilt binaries ($pre/BUILD_INFO)"
  else
    local want have built_cudnn here_cudnn arch want_arch
    want="$(result source_hash)"; have="$(sed -n 's/^source_hash=//p' "$info")"
    built_cudnn="$(sed -n 's/^cudnn=//p' "$info")"; here_cudnn="$(cudnn_header_version "$CUDNN_INC")"
    arch="$(sed -n 's/^cuda_arch=//p' "$info")"; want_arch="$(result gpu_cc | tr -d .)"
    if [ "$have" != "$want" ]; then
      why="carried binaries were built from other sources (hash $have, this tree $want)"
    elif [ -n "$here_cudnn" ] && [ -n "$built_cudnn" ] &&
         [ "$(printf '%s\n%s\n' "$built_cudnn" "$here_cudnn" | sort -V | head -1)" != "$built_cudnn" ]; then
      why="carried binaries were built against cuDNN $built_cudnn, this machine has $here_cudnn"
    elif [ -n "$want_arch" ] && [ "$arch" != "$want_arch" ]; then
      why="carried binaries are for sm_$arch, this GPU is sm_$want_arch"
    fi
  fi
  if [ -z "$why" ]; then
    mkdir -p "$bin"
    cp "$pre/senti" "$bin/" && for t in $(gc_cuda_test_names); do cp "$pre/$t" "$bin/" || break; done
    chmod +x "$bin"/* 2>/dev/null
    if check_loads "$bin" "$bin" prebuilt; then
      record need_build 0; record bin_source "prebuilt"
      section "## Binaries" "" "Carried prebuilt binaries used: $(tr '\n' ';' <"$info" | sed 's/;$//; s/;/; /g')." \
        "They resolve every library (LD_BIND_NOW=1) and run: \`$(head -1 "$GC_LOGS/binaries_prebuilt.log")\`;" \
        "$(result senti_libs_from_carry) of senti's libraries come from the carry, cuDNN from $(result senti_cudnn_loaded)."
      record headline_binaries "binaries: carried prebuilt ($(sed -n 's/^cuda_arch=/sm_/p' "$info"), cuDNN $(sed -n 's/^cudnn=//p' "$info") headers) load and run --version"
      return
    fi
    why="carried binaries do not load here (see logs/binaries_prebuilt*)"
  fi
  note "$why: building here"
  section "## Binaries" "" "Building here: $why."
}

stage_configure() {  # runs only when the binaries stage set need_build=1 (or SENTI_GPU_CHECK_BUILD=1)
  gc_configure "$GC_LOGS/configure.log"
}

# The cmake configure the build and cpu_suite stages share.
gc_configure() {
  local log="$1" arch="${SENTI_GPU_ARCH:-}"
  [ -n "$arch" ] || arch="$(result gpu_cc | tr -d .)"
  [ -n "$arch" ] || { [ "$GC_DRY_RUN" = 1 ] && arch=90; }
  if [ -z "$arch" ]; then fail "no GPU architecture (nvidia-smi failed; set SENTI_GPU_ARCH)"; return 1; fi
  if [ -z "$CUDNN_INC" ] || [ -z "$CUDNN_LIB" ]; then fail "cuDNN not found (set CUDNN_INCLUDE_DIR and CUDNN_LIBRARY)"; return 1; fi
  local gen="Unix Makefiles" extra=()
  command -v ninja >/dev/null && gen=Ninja
  [ -f "$GC_BUILD/CMakeCache.txt" ] && gen="$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$GC_BUILD/CMakeCache.txt")"
  if ! command -v pkg-config >/dev/null && [ -x "$GC_PREFIX/usr/bin/pkgconf" ]; then
    extra+=("-DPKG_CONFIG_EXECUTABLE=$GC_PREFIX/usr/bin/pkgconf")
  fi
  command -v ccache >/dev/null && extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  say "configure: sm_$arch, cuDNN $CUDNN_INC, generator $gen, build folder $GC_BUILD"
  if ! bounded 120 cmake -S "$GC_ROOT" -B "$GC_BUILD" -G "$gen" -DCMAKE_BUILD_TYPE=Release -DSENTI_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES="$arch" -DCUDNN_INCLUDE_DIR="$CUDNN_INC" \
      -DCUDNN_LIBRARY="$CUDNN_LIB" "${extra[@]}" >"$log" 2>&1; then
    fail "cmake configure (see logs/$(basename "$log"))"; tail -20 "$log"; return 1
  fi
  grep -q '^CPPHTTPLIB_FOUND:INTERNAL=1' "$GC_BUILD/CMakeCache.txt" ||
    note "cpp-httplib's pkg-config file was not found; senti serve may not link"
  record cuda_arch "sm_$arch"
  section "## Configure" "" "cmake: sm_$arch, generator $gen, cuDNN from $CUDNN_FROM, build folder \`$GC_BUILD\`."
}

stage_build() {
  local t0=$SECONDS targets=(senti) t
  for t in $(gc_cuda_test_names); do targets+=("$t"); done
  if ! bounded 100000 cmake --build "$GC_BUILD" -j "$GC_JOBS" --target "${targets[@]}" >"$GC_LOGS/build.log" 2>&1; then
    fail "build of ${targets[*]} (see logs/build.log)"
    section "## Build" "" "Failed after $((SECONDS - t0)) s:" "$(grep -E 'error|FAILED' "$GC_LOGS/build.log" | head -20 | sed 's/^/    /')"
    return
  fi
  record build_seconds "$((SECONDS - t0))"
  if check_loads "$GC_BUILD" "$GC_BUILD/tests" built; then
    record bin_source "built here"
    record headline_binaries "binaries: built here for $(result cuda_arch) in $((SECONDS - t0)) s (${targets[*]})"
    section "## Build" "" "Built ${targets[*]} in $((SECONDS - t0)) s with $GC_JOBS jobs."
  else
    fail "the binaries just built do not run (see logs/binaries_built*)"
  fi
}
