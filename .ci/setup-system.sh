#!/usr/bin/env bash
# System packages the tests use: fonts with Latin, Greek and Cyrillic glyphs for the
# printables, and CUPS with a cups-pdf queue for the real printing tests.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null
fi
bash "$(dirname "$0")/setup-cups.sh"
