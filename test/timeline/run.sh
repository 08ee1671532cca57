#!/usr/bin/env bash
# npm run test:trace (jest.config.js beside this): the page node-wsk-trace writes, loaded in a
# real headless browser (Debian's chromium driven by playwright-core), which must draw every IRP
# of a traced session; and the npm test files again with the timeline recording. Installs
# chromium first if it is missing (chromium.sh); where it cannot be had, the page tests report
# themselves skipped with the reason. ~35 s idle, ~70 s loaded (the first chromium install adds
# ~20 s). Not part of npm test: it needs a browser.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! bash test/timeline/chromium.sh; then
  export NODE_WSK_NO_CHROMIUM="Debian's chromium could not be installed (see above)"
fi
exec npx jest -c test/timeline/jest.config.js "$@"
