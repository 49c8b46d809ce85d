#!/usr/bin/env bash
# The fuzz ctests (CMakeLists.txt here); also usable by hand:
#   run_fuzz.sh build                  configure + build the fuzzers in $FUZZ_BUILD
#   run_fuzz.sh run <target> <seconds> fuzz on a scratch copy of the kept corpus
#   run_fuzz.sh merge <target>         fold new inputs into the kept corpus
#     (<target>: scenario | report)
# Environment: CLANGXX (default: clang++), FUZZ_BUILD (default: build/fuzz
# under the source tree), CMAKE (default: cmake). Exit 77 (ctest: skipped)
# when there is no clang++ with libFuzzer, or under ctest without
# POISONLAB_FUZZ=1.
set -euo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
clangxx=${CLANGXX:-$(command -v clang++ || true)}
build=${FUZZ_BUILD:-$fuzz_dir/../../build/fuzz}
cmake=${CMAKE:-cmake}
action=${1:?usage: run_fuzz.sh build | run <target> <seconds> | merge <target>}

skip() { echo "SKIPPED: $*" >&2; exit 77; }
# Under ctest (which sets POISONLAB_FUZZ_OPT_IN) only when asked for.
if [ "${POISONLAB_FUZZ_OPT_IN:-0}" = 1 ] && [ "${POISONLAB_FUZZ:-0}" != 1 ]; then
  skip "set POISONLAB_FUZZ=1 to build and run the fuzzers (POISONLAB_FUZZ=1 ctest -L fuzz)"
fi

have_libfuzzer() {
  [ -n "$clangxx" ] && [ -x "$(command -v "$clangxx")" ] || skip "no clang++ found (Debian: apt-get install clang libclang-rt-14-dev)"
  local probe
  probe=$(mktemp -d)
  trap 'rm -rf "$probe"' RETURN
  printf '#include <cstdint>\n#include <cstddef>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' >"$probe/p.cpp"
  "$clangxx" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err" ||
    skip "$clangxx cannot link a libFuzzer target (Debian: apt-get install libclang-rt-14-dev): $(head -c 300 "$probe/err")"
}

fuzzer_of() {
  case "$1" in
    scenario | report) echo "$build/$1_fuzzer" ;;
    *) echo "run_fuzz.sh: unknown target '$1' (expected scenario or report)" >&2; exit 2 ;;
  esac
}

case "$action" in
  build)
    have_libfuzzer
    launcher=()
    if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
    "$cmake" -S "$fuzz_dir" -B "$build" -DCMAKE_CXX_COMPILER="$clangxx" "${launcher[@]}"
    "$cmake" --build "$build" --target scenario_fuzzer report_fuzzer
    ;;
  run)
    target=${2:?target}
    seconds=${3:?seconds}
    fuzzer=$(fuzzer_of "$target")
    if [ ! -x "$fuzzer" ]; then have_libfuzzer; echo "no $fuzzer: run fuzz_build first" >&2; exit 1; fi
    # New inputs go to a scratch corpus: a ctest run never changes the kept one.
    scratch="$build/scratch-$target"
    artifacts="$build/artifacts-$target"
    rm -rf "$scratch"
    mkdir -p "$scratch" "$artifacts"
    export TMPDIR="$build"
    # Exit 1, not libFuzzer's 77 (ctest: skipped), on a crash, a leak or a timeout.
    "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -error_exitcode=1 -timeout_exitcode=1 \
      -dict="$fuzz_dir/$target.dict" -artifact_prefix="$artifacts/" "$scratch" "$fuzz_dir/corpus/$target"
    ;;
  merge)
    target=${2:?target}
    fuzzer=$(fuzzer_of "$target")
    export TMPDIR="$build"
    # Keeps only inputs that add coverage: the scratch corpus of the last run
    # folded into the kept one.
    # Edges only (no hit counters): a small corpus to keep in the repository.
    "$fuzzer" -merge=1 -use_counters=0 "$fuzz_dir/corpus/$target" "$build/scratch-$target"
    ;;
  *)
    echo "run_fuzz.sh: unknown action '$action' (expected build, run or merge)" >&2
    exit 2
    ;;
esac
