#!/usr/bin/env bash
# Installs, with apt, the Debian/Ubuntu packages that building Mailroom needs and that are
# missing: a C compiler for cgo (SQLite, Fyne's GLFW) and the X11/OpenGL headers Fyne links.
# Extra package names given as arguments are installed too (the benchmarks ask for Xvfb).
# Elsewhere (macOS, Windows, other Linux) it only says what to install.
set -euo pipefail

PACKAGES=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
    libxinerama-dev libxi-dev libxxf86vm-dev "$@")

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: not a Debian/Ubuntu system; install a C compiler and Fyne's prerequisites (see README)" >&2
    exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
}

echo "install-deps: installing ${missing[*]}" >&2
apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300)
if ! as_root "${apt[@]}" "${missing[@]}"; then
    as_root apt-get update -q
    as_root "${apt[@]}" "${missing[@]}"
fi
