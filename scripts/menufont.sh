#!/usr/bin/env bash
# Rebuilds adapters/line/font/menu.ttf, the font the LINE rich menu images
# are drawn with: VL PGothic (Debian fonts-vlgothic; TrueType outlines,
# which golang.org/x/image renders) cut down to ASCII, Latin-1, Cyrillic
# (Russian and Kyrgyz), the ellipsis and the Japanese characters of the
# menu labels in the content, so the embedded font stays small (the full
# font is 4 MB). Run it after a menu label or menu_bar text changes;
# TestMenuFontCoversLabels (cmd/sswbot) fails until then. Also reachable as
# `go generate ./adapters/line`.
set -euo pipefail
cd "$(dirname "$0")/.."

src=/usr/share/fonts/truetype/vlgothic/VL-PGothic-Regular.ttf
# Debian's python3 has fontTools; a pyenv or venv python on PATH may not.
py=/usr/bin/python3
if [ ! -f "$src" ] || ! "$py" -c 'import fontTools.subset' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-vlgothic python3-fonttools >/dev/null
fi

text=$(go run ./cmd/sswbot line setup --labels)
out=adapters/line/font
"$py" -m fontTools.subset "$src" \
  --text="$text" \
  --unicodes="U+0020-007E,U+00A0-00FF,U+0400-04FF,U+2026" \
  --layout-features='' --no-hinting --desubroutinize \
  --name-IDs='*' --name-languages='*' \
  --output-file="$out/menu.ttf"
cp /usr/share/doc/fonts-vlgothic/copyright "$out/LICENSE"
echo "wrote $out/menu.ttf ($(stat -c %s "$out/menu.ttf") bytes) and $out/LICENSE"
