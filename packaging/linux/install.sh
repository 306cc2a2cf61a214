#!/bin/sh
# Install pwtray for this user only (no root): the program under ~/.local/opt/pwtray, a command
# in ~/.local/bin, a menu entry, icons and the AppStream metadata under ~/.local/share.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
prefix=$HOME/.local/opt/pwtray
bin=$HOME/.local/bin

if [ -x "$prefix/pwtray" ]; then
  echo "Updating the pwtray in $prefix"
  rm -rf "$prefix"
fi
mkdir -p "$prefix" "$bin" "$data/applications" "$data/metainfo"
cp -R "$here/pwtray" "$here/_internal" "$prefix/"
ln -sf "$prefix/pwtray" "$bin/pwtray"
for size_dir in "$here"/share/icons/hicolor/*; do
  size=$(basename "$size_dir")
  mkdir -p "$data/icons/hicolor/$size/apps"
  cp "$size_dir/apps/pwtray.png" "$data/icons/hicolor/$size/apps/pwtray.png"
done
sed "s|^Exec=pwtray|Exec=$prefix/pwtray|" "$here/share/applications/io.github.pwtray.desktop" \
  > "$data/applications/io.github.pwtray.desktop"
cp "$here/share/metainfo/io.github.pwtray.metainfo.xml" "$data/metainfo/"
cp "$here/uninstall.sh" "$prefix/uninstall.sh"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "pwtray is installed: start it from your applications menu, or run $prefix/pwtray."
echo "To remove it: $prefix/uninstall.sh"
