#!/usr/bin/env bash
# npm run test:trace: the page node-wsk-trace writes, loaded in a real headless browser (Debian's
# chromium driven by playwright-core), which must draw every IRP of a traced session. Installs
# chromium first if it is missing (chromium.sh); where it cannot be had, the tests report
# themselves skipped with the reason. About 15 s once chromium is installed (the first install
# adds ~20 s). Not part of npm test: it needs a browser.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! bash test/browser/chromium.sh; then
  export NODE_WSK_NO_CHROMIUM="Debian's chromium could not be installed (see above)"
fi
exec npx jest -c test/browser/jest.config.js "$@"
