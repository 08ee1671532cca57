#!/usr/bin/env bash
# Runs today's fuzzer (fuzz/) against lib/ and native/ as they were at an older commit: how the
# fuzzer is shown to find bugs fixed since (README "Reliability -> Fuzzer").
#   bash scripts/fuzz-at.sh COMMIT [npm run fuzz arguments: --seconds=N --seed=S --target=api ...]
# The commit is checked out in a scratch worktree under /tmp (removed at the end), its addon and
# TypeScript built there with this checkout's node_modules. Findings land in this checkout's
# fuzz-findings/; replay one with this script too (... COMMIT --replay-file=FILE). Building takes
# about a minute.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:?usage: fuzz-at.sh COMMIT [fuzz arguments]}
shift
dir=$(mktemp -d /tmp/node-wsk-fuzz-at.XXXXXX)
cleanup() {
  git -C "$root" worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
  git -C "$root" worktree prune
}
trap cleanup EXIT
git -C "$root" worktree add --detach --force "$dir" "$commit" >/dev/null
rm -rf "$dir/fuzz"
cp -r "$root/fuzz" "$dir/fuzz"
ln -s "$root/node_modules" "$dir/node_modules"
cd "$dir"
echo "fuzz-at: building $(git log --oneline -1 HEAD) in $dir"
npm run --silent build >/dev/null
# The fuzzer against that commit's lib: type errors (names added since) do not stop the output.
printf '{ "extends": "./tsconfig.json", "include": ["lib/**/*.ts", "fuzz/**/*.ts"] }\n' > tsconfig.fuzz-at.json
npx tsc -p tsconfig.fuzz-at.json >/dev/null || echo "fuzz-at: (type errors against this lib: the JavaScript is emitted anyway)"
cd "$root"
node "$dir/dist/fuzz/main.js" "$@"
