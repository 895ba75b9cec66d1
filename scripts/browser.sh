#!/usr/bin/env bash
# The browser the page tests drive (Debian's chromium, through Playwright) and the CJK fonts that
# screenshots and PDFs need, from Debian's packages when they are missing. Run as root.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
