#!/usr/bin/env bash
# npm run test:verifier:drivers: the driver ports of test/drivers/ (their own jest harnesses,
# unchanged) under NODE_WSK_VERIFIER, one jest run per seed (issue 17, part 3), two modes:
#   - the faults a correct driver survives with the same result (pending, partial, reorder,
#     delay): every harness test must pass as it does without injection;
#   - every fault together (lowres and reset added): a harness test may then fail on the bytes or
#     status it expects (the driver reports the failure, as it should), but nothing may be a
#     verifier error, a crash or an uncaught exception, and a seed that injected no lowres and no
#     reset must pass whole. The harnesses do not clean up after a failed check (a WskAcceptAsync
#     that completes after its test gave up holds a socket nobody closes, and the WskDeregister
#     of afterEach then waits for it): such a timeout is reported, not counted, and jest runs
#     with --forceExit, since what such a test left open would keep it from exiting.
# Prints what was injected per seed.
#
#   SEEDS=20 bash scripts/drivers-under-faults.sh       (the default; ~10 s per seed and mode)
#   MODES=faithful SEEDS=5 bash scripts/drivers-under-faults.sh
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=${SEEDS:-20}
modes=${MODES:-faithful all}
log=$(mktemp /tmp/node-wsk-driver-faults.XXXXXX)
failed=0
for mode in $modes; do
faults=pending,partial,reorder,delay=5
[ "$mode" = all ] && faults=pending,partial,reorder,lowres=0.01,reset=0.01,delay=5
for seed in $(seq 1 "$seeds"); do
  NODE_WSK_VERIFIER="$faults,seed=$seed" NODE_WSK_FAULT_LOG="$log" \
    npx jest --forceExit --selectProjects "default poller" --testPathPattern 'test/drivers/' >"$log.out" 2>&1
  rc=$?
  injected=$(node -e '
    const counts = {};
    for (const line of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line);
      if (!r.spec.endsWith(`seed=${process.argv[2]}`)) continue;
      for (const [k, n] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + n;
    }
    console.log(Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(", "));
  ' "$log" "$seed")
  status=passed
  if [ "$mode" = faithful ] && [ "$rc" -ne 0 ]; then
    status=FAILED
  elif [ "$mode" = all ] && grep -qE 'WskVerifierError|SIGSEGV|SIGABRT|core dumped|uncaught' "$log.out"; then
    status=FAILED
  elif [ "$rc" -ne 0 ] && ! echo "$injected" | grep -qE '(lowres|reset) [1-9]'; then
    status=FAILED
  elif [ "$rc" -ne 0 ]; then
    status="passed (harness checks failed where a fault was injected: $(grep -c '●' "$log.out"))"
    grep -qE 'Exceeded timeout|left open' "$log.out" && status="$status; the harness's cleanup after them timed out"
  fi
  if [ "${status%% *}" = FAILED ]; then
    failed=$((failed + 1))
    cat "$log.out"
  fi
  echo "$mode seed $seed: $status, injected $injected"
  : >"$log"
done
done
rm -f "$log" "$log.out"
echo "driver ports under NODE_WSK_VERIFIER ($modes): $failed failed of $seeds seeds per mode"
[ "$failed" -eq 0 ]
