#!/bin/sh
# Removes what install.sh put in place. Your mail database and settings stay
# (~/.local/share/Mailroom, ~/.config/fyne/io.mailroom.app).
set -eu
bin=${XDG_BIN_HOME:-$HOME/.local/bin}
share=${XDG_DATA_HOME:-$HOME/.local/share}
config=${XDG_CONFIG_HOME:-$HOME/.config}
rm -f "$bin/mailroom" "$share/applications/io.mailroom.app.desktop"
find "$share/icons/hicolor" -path '*/apps/io.mailroom.app.png' -delete 2>/dev/null || true
if [ -f "$config/mimeapps.list" ]; then
    sed -i '/^x-scheme-handler\/mailto=io\.mailroom\.app\.desktop;*$/d' "$config/mimeapps.list"
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share/applications" || true
fi
echo "Mailroom is uninstalled; your mail database and settings are kept."
