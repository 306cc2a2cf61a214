#!/bin/sh
# Remove the per-user pwtray: program, command, menu entry, icons, metadata and the start-at-login
# entry. Settings (~/.config/pwtray), history (~/.local/share/pwtray) and the password in the
# keyring stay unless --purge is given.
set -eu
data=${XDG_DATA_HOME:-$HOME/.local/share}
config=${XDG_CONFIG_HOME:-$HOME/.config}
state=${XDG_STATE_HOME:-$HOME/.local/state}
rm -rf "$HOME/.local/opt/pwtray"
rm -f "$HOME/.local/bin/pwtray" "$data/applications/io.github.pwtray.desktop" \
      "$data/metainfo/io.github.pwtray.metainfo.xml" "$config/autostart/pwtray.desktop"
for icon in "$data"/icons/hicolor/*/apps/pwtray.png; do
  [ -e "$icon" ] && rm -f "$icon"
done
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$config/pwtray" "$data/pwtray" "$state/pwtray"
  echo "Settings, history and logs removed. The password stays in your keyring under 'pwtray'"
  echo "(remove it with your keyring manager, e.g. Seahorse or KWalletManager)."
fi
echo "pwtray is uninstalled."
