#!/usr/bin/env bash
# Checks what .ci/package.sh built (make test runs it after the package):
#   - the Windows executable is a 64-bit GUI program with an icon, version and manifest;
#   - the Linux tarball holds exactly the program, desktop entry, icons and install scripts,
#     its desktop entry passes desktop-file-validate, the program prints its version;
#   - install.sh installs for one user without root and makes Mailroom the mailto: handler,
#     uninstall.sh takes it away again;
#   - the macOS Info.plist kept in the project is well-formed and names the mailto: scheme.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSION=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml | head -n1)
APPID=$(sed -n 's/^[[:space:]]*ID[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml | head -n1)
fail() { echo "check-package: $*" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Windows
exe=dist/mailroom-$VERSION-windows-amd64.exe
[ -f "$exe" ] || fail "$exe is missing"
file -b "$exe" | grep -q '^PE32+ executable (GUI) x86-64' || fail "$exe is not a 64-bit GUI program: $(file -b "$exe")"
# The resource types at the top of .rsrc, by number: 3 icon, 14 icon group, 16 version, 24 manifest.
types=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n '/The .rsrc Resource Directory/,/^$/p' |
    sed -n 's/^[0-9a-f]*   Entry: ID: 0x\([0-9a-f]*\),.*/\1/p')
for type in 000003:icon 00000e:icon-group 000010:version 000018:manifest; do
    grep -qx "${type%%:*}" <<<"$types" || fail "$exe has no ${type#*:} resource"
done
strings -el "$exe" | grep -x "$VERSION.*" >/dev/null || fail "$exe does not carry version $VERSION"
strings "$exe" | grep "<assemblyIdentity" >/dev/null || fail "$exe has no application manifest"
echo "check-package: $exe: $(file -b "$exe"), icon, version $VERSION and manifest"

# Linux
tarball=dist/mailroom-$VERSION-linux-amd64.tar.xz
[ -f "$tarball" ] || fail "$tarball is missing"
d=mailroom-$VERSION
want=$(printf '%s\n' "$d/mailroom" "$d/io.mailroom.app.desktop" "$d/install.sh" "$d/uninstall.sh" \
    $(for n in 16 24 32 48 64 128 256; do echo "$d/icons/hicolor/${n}x$n/apps/io.mailroom.app.png"; done) | sort)
got=$(tar -tJf "$tarball" | grep -v '/$' | sort)
[ "$got" = "$want" ] || fail "$tarball holds $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
tar -C "$TMP" -xJf "$tarball"
entry=$TMP/$d/io.mailroom.app.desktop
desktop-file-validate "$entry" || fail "desktop-file-validate refuses the desktop entry"
for line in 'Exec=mailroom %u' 'MimeType=x-scheme-handler/mailto;' 'Categories=Network;Email;' 'Icon=io.mailroom.app'; do
    grep -qxF "$line" "$entry" || fail "the desktop entry lacks $line"
done
file -b "$TMP/$d/mailroom" | grep -q 'ELF 64-bit.*x86-64' || fail "the Linux program is $(file -b "$TMP/$d/mailroom")"
[ "$("$TMP/$d/mailroom" --version 2>/dev/null)" = "Mailroom $VERSION" ] || fail "mailroom --version does not print Mailroom $VERSION"
for n in 16 48 256; do
    file -b "$TMP/$d/icons/hicolor/${n}x$n/apps/io.mailroom.app.png" | grep -q "PNG image data, $n x $n" || fail "the ${n}px icon is not ${n}x$n"
done
echo "check-package: $tarball: program, desktop entry (valid), $(ls "$TMP/$d/icons/hicolor" | wc -l) icon sizes, install scripts"

# Install for one user, in a home of its own
home=$TMP/home
mkdir -p "$home"
run_home() { env -i PATH="$PATH" HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" "$@"; }
run_home sh "$TMP/$d/install.sh" >/dev/null
installed=$home/.local/share/applications/io.mailroom.app.desktop
[ -x "$home/.local/bin/mailroom" ] || fail "install.sh did not install the program"
desktop-file-validate "$installed" || fail "desktop-file-validate refuses the installed entry"
grep -qxF "Exec=\"$home/.local/bin/mailroom\" %u" "$installed" || fail "the installed entry does not run $home/.local/bin/mailroom: $(grep ^Exec "$installed")"
[ -f "$home/.local/share/icons/hicolor/48x48/apps/io.mailroom.app.png" ] || fail "install.sh did not install the icons"
handler=$(run_home xdg-mime query default x-scheme-handler/mailto)
[ "$handler" = io.mailroom.app.desktop ] || fail "after install.sh, mailto: opens with '$handler'"
run_home sh "$TMP/$d/uninstall.sh" >/dev/null
[ ! -e "$home/.local/bin/mailroom" ] && [ ! -e "$installed" ] || fail "uninstall.sh left the program or its entry"
[ -z "$(find "$home/.local/share/icons" -name 'io.mailroom.app.png')" ] || fail "uninstall.sh left icons"
[ -z "$(run_home xdg-mime query default x-scheme-handler/mailto)" ] || fail "uninstall.sh left Mailroom as the mailto: handler"
echo "check-package: install.sh installs for the user and registers mailto:; uninstall.sh removes it"

# macOS: the bundle settings kept in the project
python3 - "$APPID" packaging/darwin/Info.plist <<'PY' || fail "packaging/darwin/Info.plist is not right"
import plistlib, sys
app_id, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    p = plistlib.load(f)
schemes = [s for t in p.get("CFBundleURLTypes", []) for s in t.get("CFBundleURLSchemes", [])]
assert p["CFBundleIdentifier"] == app_id, p["CFBundleIdentifier"]
assert "mailto" in schemes, schemes
assert p["CFBundleIconFile"] == "icon.icns"
assert p["CFBundleShortVersionString"] == "@VERSION@"
PY
echo "check-package: packaging/darwin/Info.plist: $APPID, mailto: URL type, icon"
