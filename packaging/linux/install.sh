#!/bin/sh
# Installs Mailroom for you alone, without root: the program in ~/.local/bin, its menu entry
# and icons in ~/.local/share, and Mailroom as the program that opens mailto: links.
# ./uninstall.sh takes it all away again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${XDG_BIN_HOME:-$HOME/.local/bin}
share=${XDG_DATA_HOME:-$HOME/.local/share}
case $bin in *[\"\`\$\\]*)
    echo "install: $bin holds a character a desktop entry cannot name; set XDG_BIN_HOME to another folder" >&2
    exit 1 ;;
esac

mkdir -p "$bin" "$share/applications"
cp "$here/mailroom" "$bin/mailroom.new" && chmod 755 "$bin/mailroom.new" && mv -f "$bin/mailroom.new" "$bin/mailroom"
# The menu runs the program by its full path: ~/.local/bin is not on every desktop's PATH.
sed "s|^Exec=mailroom |Exec=\"$bin/mailroom\" |" "$here/io.mailroom.app.desktop" >"$share/applications/io.mailroom.app.desktop"
(cd "$here/icons" && find hicolor -name '*.png') | while read -r icon; do
    mkdir -p "$share/icons/$(dirname "$icon")"
    cp "$here/icons/$icon" "$share/icons/$icon"
done

if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
fi
if command -v xdg-mime >/dev/null 2>&1; then
    xdg-mime default io.mailroom.app.desktop x-scheme-handler/mailto
    echo "Mailroom opens mailto: links now."
else
    echo "xdg-mime is missing (package xdg-utils): choose Mailroom for mailto: links in your desktop's settings." >&2
fi
echo "Mailroom $("$bin/mailroom" --version | cut -d' ' -f2) is installed: $bin/mailroom, and in your desktop's menu."
