#!/bin/sh
# Build pwtray.app and a drag-to-Applications disk image, on macOS.
#
#   packaging/macos/make_dmg.sh            (from the repository root, with .venv set up)
#
# The .app comes from packaging/pwtray.spec (BUNDLE: LSUIElement, so pwtray lives in the menu bar
# and not in the Dock). hdiutil makes a compressed image with an Applications link beside the app.
# Unsigned builds open with right-click > Open the first time; to sign and notarise, set
# CODESIGN_IDENTITY (a "Developer ID Application" identity) and NOTARY_PROFILE (a profile saved
# with `xcrun notarytool store-credentials`).
set -eu
cd "$(dirname "$0")/../.."
version=$(.venv/bin/python -c 'from importlib.metadata import version; print(version("pwtray"))')
.venv/bin/python -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
  packaging/pwtray.spec
app=dist/pwtray.app
/usr/libexec/PlistBuddy -c "Print :LSUIElement" "$app/Contents/Info.plist" | grep -q true
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp -s "$CODESIGN_IDENTITY" "$app"
else
  codesign --force --deep -s - "$app"   # ad hoc: required to run on Apple silicon
fi
"$app/Contents/MacOS/pwtray" --selftest
stage=build/dmg
rm -rf "$stage" && mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
image="dist/pwtray-$version-macos-$(uname -m).dmg"
rm -f "$image"
hdiutil create -volname "pwtray $version" -srcfolder "$stage" -ov -format UDZO "$image"
if [ -n "${CODESIGN_IDENTITY:-}" ] && [ -n "${NOTARY_PROFILE:-}" ]; then
  codesign -s "$CODESIGN_IDENTITY" --timestamp "$image"
  xcrun notarytool submit "$image" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$image"
fi
echo "built $image"
