#!/bin/bash
# Instructions per round trip of bench B in steady state, counted by valgrind (cachegrind):
# the run of 25,000 round trips minus the run of 5,000, over 20,000. Unlike CPU time it barely
# moves between runs, so two trees compare on one run each (the IRP-path regression of the
# redesign was found and closed with it).
#   bash bench/instructions.sh [TREE] [tcp-rr.js options...]    e.g. --recv=irp, --recv=event
# TREE (default: this checkout) must be built (npm run build). Needs valgrind.
set -euo pipefail
tree=.
if [ $# -gt 0 ] && [ -d "$1" ]; then tree=$1; shift; fi
command -v valgrind >/dev/null || { echo "bench/instructions.sh: valgrind is not installed" >&2; exit 2; }
cd "$tree"
ir() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    node --expose-gc dist/bench/cases/tcp-rr.js --impl=wsk --mode=one "$@" 2>&1 >/dev/null |
    awk '/I +refs/ { gsub(",", "", $4); print $4 }'
}
a=$(ir --count=5000 "$@")
b=$(ir --count=25000 "$@")
echo "$(pwd) $*: $(((b - a) / 20000)) instructions per round trip"
