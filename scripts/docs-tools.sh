#!/usr/bin/env bash
# What turning a bulletin (.docx) into PDF and a picture needs, from Debian's packages when missing:
# LibreOffice Writer without its GUI, the CJK fonts the GB/T 9704 faces are mapped to
# (duban/bulletins/fonts.conf), and poppler's pdftoppm for pictures of a rendered page. Run as root.
#   Noto Serif/Sans CJK SC (fonts-noto-cjk): 小标宋, 仿宋 and 宋体 / 黑体
#   AR PL UKai (fonts-arphic-ukai): 楷体      AR PL UMing (fonts-arphic-uming): a second 宋体
#   WenQuanYi Zen Hei (fonts-wqy-zenhei): a second 黑体
set -euo pipefail
missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
for font in fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming fonts-wqy-zenhei; do
  dpkg -s "$font" >/dev/null 2>&1 || missing+=("$font")
done
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
