#!/usr/bin/env bash
# npm run test:asan: the addon built with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ (build/Release is left alone), loaded instead of the normal one, the whole jest
# suite run under it, then `npm run fuzz` under it where that script exists. It passes only
# with 0 sanitizer reports: a leak in native/, an out-of-bounds or freed access, undefined
# behaviour, in jest or in any process it starts, fails it, and the report is printed.
#
#   npm run test:asan                   build, jest, fuzz for FUZZ_SECONDS (default 60)
#   FUZZ_SECONDS=0 npm run test:asan    without the fuzz step
#   ASAN_JEST_ARGS='test/native-' npm run test:asan    part of the suite
#
# How: node is not instrumented, so libasan is preloaded (LD_PRELOAD) for the addon's
# instrumented code to find its runtime; node-gyp-build loads the addon from
# $NODE_WSK_PREBUILD/build/Release when that is set, in jest and in every child and worker.
# Reports go to files (log_path), one per process, so that none is lost in a child's stderr;
# UBSan's checks trap and ASan reports the trap there too.
# Leaks of V8 itself at process.exit() are suppressed by name (scripts/lsan.supp).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
asan_root=$root/build-asan
reports=$asan_root/reports
fuzz_seconds=${FUZZ_SECONDS:-60}
started=$SECONDS

say() { printf '== test:asan: %s (%d s)\n' "$*" $((SECONDS - started)); }
die() {
  printf 'test:asan FAILED: %s\n' "$*" >&2
  exit 1
}

libasan=$(g++ -print-file-name=libasan.so)
[ -f "$libasan" ] || die "g++ has no libasan.so (gcc's libasan package)"
command -v node-gyp > /dev/null || die "node-gyp is not on PATH: run this as npm run test:asan"

build() {
  say "building the addon with -fsanitize=address,undefined into build-asan/"
  mkdir -p "$asan_root"
  # The same binding.gyp and sources, seen from another directory: node-gyp builds there.
  ln -sfn ../binding.gyp "$asan_root/binding.gyp"
  ln -sfn ../native "$asan_root/native"
  # UBSan's checks trap (ud2) instead of calling libubsan: with libasan loaded first, GCC's
  # libubsan ignores log_path (its __sanitizer_set_report_path is libasan's) and would print
  # only to the stderr of whichever process hit it. ASan reports the trap (handle_sigill) as
  # "ILL" with the stack, file and line of the undefined operation, in the report files.
  local flags="-fsanitize=address,undefined -fsanitize-undefined-trap-on-error -fno-omit-frame-pointer -g"
  if ! (cd "$asan_root" && CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS="-fsanitize=address" node-gyp rebuild) > "$asan_root/build.log" 2>&1; then
    tail -n 40 "$asan_root/build.log" >&2
    die "the ASan build failed (build-asan/build.log)"
  fi
}

# Every process from here on: the sanitizer runtime first, the ASan addon, reports to files.
use_sanitizers() {
  rm -rf "$reports"
  mkdir -p "$reports"
  export NODE_WSK_PREBUILD=$asan_root
  export LD_PRELOAD=$libasan
  export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:halt_on_error=1:handle_sigill=1:strict_string_checks=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
}

# The addon every loader will pick, loaded once: proof that the run tests the ASan build.
check_loaded() {
  local want=$asan_root/build/Release/node_wsk.node
  local got
  got=$(node -e "const f = require('node-gyp-build').resolve(process.cwd()); require(f); process.stdout.write(f)") ||
    die "the ASan addon does not load"
  [ "$got" = "$want" ] || die "node-gyp-build loads $got, not $want"
  say "jest and its children load $got"
}

run_jest() {
  # In band: one jest process, which exits normally, so that LeakSanitizer's check at exit
  # is not cut short by jest killing its workers. Timeouts are longer under ASan.
  say "jest, in band, under the sanitizers"
  # shellcheck disable=SC2086
  node node_modules/jest/bin/jest.js --runInBand --testTimeout=120000 ${ASAN_JEST_ARGS:-}
}

run_fuzz() {
  if [ "$fuzz_seconds" = 0 ]; then
    say "fuzz: skipped (FUZZ_SECONDS=0)"
    return 0
  fi
  if ! node -e "process.exit(require('./package.json').scripts?.fuzz ? 0 : 1)"; then
    say "fuzz: skipped, package.json has no fuzz script yet"
    return 0
  fi
  say "npm run fuzz -- --seconds=$fuzz_seconds, under the sanitizers"
  npm run fuzz -- --seconds="$fuzz_seconds"
}

# Any report file is a failure, whatever the exit codes said.
count_reports() {
  shopt -s nullglob
  local files=("$reports"/*)
  if [ ${#files[@]} -eq 0 ]; then
    return 0
  fi
  for f in "${files[@]}"; do
    printf '\n---- %s\n' "$f" >&2
    head -n 80 "$f" >&2
  done
  printf '\n' >&2
  echo "${#files[@]}"
  return 1
}

build
use_sanitizers
check_loaded
run_jest
jest_rc=$?
run_fuzz
fuzz_rc=$?
if ! found=$(count_reports); then
  die "$found sanitizer report(s), in $reports (the first lines of each are above)"
fi
[ "$jest_rc" -eq 0 ] || die "jest failed under the sanitizers (exit $jest_rc) with no sanitizer report"
[ "$fuzz_rc" -eq 0 ] || die "the fuzz run failed under the sanitizers (exit $fuzz_rc) with no sanitizer report"
say "0 sanitizer reports, jest passed; done"
