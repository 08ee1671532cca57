#!/usr/bin/env bash
# npm run test:faults — WSK over an impaired network. Two network namespaces of our own, A and B,
# joined by one TUN device each; tools/netfault/forwarder.c carries the packets between them and
# drops, delays, reorders and duplicates them (this kernel has no netem and no iptables). The
# jest suite in test/faults runs inside A (so the WSK code under test runs in-process, on
# A's network); its peers run in B. Needs root; skips every test with the reason otherwise.
#
#   NETFAULT_SEED=N   replay the packet fates of an earlier run (the seed is printed first)
#   extra arguments   go to jest (e.g. -t reset)
set -uo pipefail
cd "$(dirname "$0")/../.."

# The impairment of issue 14, in each direction.
LOSS=0.05 DELAY_MS=20 JITTER_MS=5 REORDER=0.10 DUPLICATE=0.01
SEED=${NETFAULT_SEED:-$(( (RANDOM << 15) | RANDOM ))}
NS_A="wskfault-$$-a" NS_B="wskfault-$$-b" DEV=wskf0
# RFC 2544's benchmarking range (198.18.0.0/15) and RFC 5180's (2001:2::/48): addresses meant
# for test networks, configured only inside the two namespaces, which have no other way out.
A4=198.18.0.1 B4=198.18.0.2 A6=2001:2::1 B6=2001:2::2

JEST=(npx jest -c test/faults/jest.config.js --runInBand)
JEST_ARGS=("$@")

skip_reason() {
  [ "$(id -u)" = 0 ] || { echo "not root (network namespaces and TUN devices need CAP_NET_ADMIN)"; return; }
  [ -c /dev/net/tun ] || { echo "no /dev/net/tun"; return; }
  local tool
  for tool in ip ss cc; do
    command -v "$tool" >/dev/null || { echo "no $tool on PATH"; return; }
  done
  ip netns list >/dev/null 2>&1 || echo "ip netns does not work here"
}

# A run killed with SIGKILL leaves its namespaces behind; their names carry the dead pid.
remove_stale_namespaces() {
  local ns pid
  for ns in $(ip netns list | grep -oE '^wskfault-[0-9]+-[ab]'); do
    pid=${ns#wskfault-}
    pid=${pid%-*}
    kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null
  done
}

WORK="" FORWARDER=""
cleanup() {
  local ns pid
  trap '' PIPE # a reader that went away (| head) must not stop the clean-up half-way
  if [ -n "$FORWARDER" ]; then
    kill -TERM "$FORWARDER" 2>/dev/null
    wait "$FORWARDER" 2>/dev/null
  fi
  for ns in "$NS_A" "$NS_B"; do
    # Whatever still runs in our namespaces was started by this run (a peer left by a killed jest).
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  if [ -n "$WORK" ]; then
    [ -s "$WORK/report.txt" ] && { echo; echo "== netfault figures (seed $SEED)"; cat "$WORK/report.txt"; }
    [ -s "$WORK/forwarder.out" ] && { echo "forwarder totals: $(grep seed "$WORK/forwarder.out")"; }
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every test is reported skipped, with the reason, rather than silently passing.
skip() {
  echo "test:faults skipped: $1"
  NETFAULT_SKIP="$1" "${JEST[@]}" "${JEST_ARGS[@]}"
  exit $?
}

reason=$(skip_reason)
[ -z "$reason" ] || skip "$reason"

remove_stale_namespaces
WORK=$(mktemp -d /tmp/netfault.XXXXXX)
echo "== netfault: seed $SEED (NETFAULT_SEED=$SEED npm run test:faults replays these packet fates)"

# Built here, from source, every run: nothing prebuilt is kept in the repository.
cc -O2 -Wall -Wextra -o "$WORK/forwarder" tools/netfault/forwarder.c || exit 1
npx tsc -p test/faults/tsconfig.json --outDir "$WORK/js" || exit 1

err=$(ip netns add "$NS_A" 2>&1 && ip netns add "$NS_B" 2>&1) || skip "cannot make network namespaces here ($err)"
"$WORK/forwarder" --ns-a "/run/netns/$NS_A" --ns-b "/run/netns/$NS_B" --dev "$DEV" --seed "$SEED" \
  --loss $LOSS --delay-ms $DELAY_MS --jitter-ms $JITTER_MS --reorder $REORDER --duplicate $DUPLICATE \
  --stats "$WORK/stats.json" >"$WORK/forwarder.out" &
FORWARDER=$!
for _ in $(seq 100); do
  grep -q '^ready' "$WORK/forwarder.out" 2>/dev/null && break
  kill -0 "$FORWARDER" 2>/dev/null || { echo "the forwarder failed to start"; exit 1; }
  sleep 0.05
done
grep -q '^ready' "$WORK/forwarder.out" || { echo "the forwarder did not get ready in 5 s"; exit 1; }

set -e
for ns in "$NS_A" "$NS_B"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$DEV" up
done
ip -n "$NS_A" addr add $A4/24 dev $DEV
ip -n "$NS_A" addr add $A6/64 dev $DEV nodad
ip -n "$NS_B" addr add $B4/24 dev $DEV
ip -n "$NS_B" addr add $B6/64 dev $DEV nodad
# A sends all of 198.18.0.0/16 to B; 198.19.0.0/16 has no route in A (a local ENETUNREACH).
ip -n "$NS_A" route add 198.18.0.0/16 dev $DEV
# B routes, so that it answers for the addresses beyond it as a router would: 198.18.1.0/24
# with ICMP host unreachable, 198.18.2.0/24 (no route at all) with ICMP net unreachable, and
# 198.18.3.0/24 not at all (a black hole: connects time out).
ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_B" route add unreachable 198.18.1.0/24
ip -n "$NS_B" route add blackhole 198.18.3.0/24
set +e

cat >"$WORK/config.json" <<EOF
{
  "nsA": "$NS_A", "nsB": "$NS_B", "dev": "$DEV", "seed": $SEED,
  "a4": "$A4", "b4": "$B4", "a6": "$A6", "b6": "$B6",
  "noRoute4": "198.19.0.1", "hostUnreachable4": "198.18.1.1", "netUnreachable4": "198.18.2.1",
  "blackHole4": "198.18.3.1",
  "impairment": { "loss": $LOSS, "delayMs": $DELAY_MS, "jitterMs": $JITTER_MS, "reorder": $REORDER, "duplicate": $DUPLICATE },
  "forwarderPid": $FORWARDER, "stats": "$WORK/stats.json", "report": "$WORK/report.txt",
  "peer": "$WORK/js/peer.js"
}
EOF

started=$(date +%s)
# In the background, so that a TERM or INT to this script is handled at once: the clean-up then
# ends jest and its peers (everything running in the two namespaces).
NETFAULT_CONFIG="$WORK/config.json" timeout 900 ip netns exec "$NS_A" "${JEST[@]}" "${JEST_ARGS[@]}" &
wait $!
rc=$?
echo "test:faults took $(( $(date +%s) - started )) s (jest inside $NS_A)"
exit $rc
