#!/usr/bin/env bash
# nofile.sh N command...: runs the command with the soft limit on open files raised to N (the
# hard limit too, where the caller may: root). Node cannot call setrlimit, and the processes a
# command starts inherit the limit, so the scale runs are launched through here.
set -euo pipefail
want=$1
shift
if ! ulimit -Sn "$want" 2>/dev/null && ! ulimit -n "$want" 2>/dev/null; then
  echo "nofile.sh: cannot raise the open-files limit to $want (hard limit $(ulimit -Hn)); the scale test needs it" >&2
  exit 1
fi
exec "$@"
