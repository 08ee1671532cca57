#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser checks of the IRP timeline
# (npm run test:trace, npm run docs:timeline): installs it with apt-get when it is missing.
# Exit 0: it is there. Exit 3: it cannot be had here (not root, no apt-get, the install failed);
# the reason is printed, and the caller reports its checks skipped.
set -uo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium.sh: $CHROMIUM is missing and cannot be installed here (needs root and apt-get)"
  exit 3
fi
echo "chromium.sh: installing Debian's chromium (apt-get, about a minute the first time)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }; then
  echo "chromium.sh: apt-get could not install chromium"
  exit 3
fi
[ -x "$CHROMIUM" ] || { echo "chromium.sh: chromium installed, but $CHROMIUM is not there"; exit 3; }
