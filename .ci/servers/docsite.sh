#!/usr/bin/env bash
# The documentation site's browser check (tests/docs/test_site.py) needs a headless Chromium:
# Debian's package. Idempotent: nothing to do when it is installed. The test serves the built
# site itself (127.0.0.1:8780), so no server is started here.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the docs browser check"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
mkdir -p /var/tmp/stanchion-ci/docsite
