#!/usr/bin/env bash
# Builds Mailroom for people to install, into dist/ (VERSION is FyneApp.toml's):
#   linux    dist/mailroom-VERSION-linux-amd64.tar.xz: the program, its desktop entry, icons,
#            install.sh / uninstall.sh for one user without root
#   windows  dist/mailroom-VERSION-windows-amd64.exe: cross-compiled with mingw-w64, a GUI
#            program with icon, version and manifest (fyne package)
#   macos    dist/mailroom-VERSION-macos-ARCH.zip: Mailroom.app, on a Mac only
# With no argument: linux and windows. Each build says how long it took.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
GO=${GO:-go}
VERSION=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml | head -n1)
BUILD=$(sed -n 's/^[[:space:]]*Build[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' FyneApp.toml | head -n1)
[ -n "$VERSION" ] || { echo "package: no Version in FyneApp.toml" >&2; exit 1; }
FYNE_TOOL_VERSION=v1.7.4
FYNE=$ROOT/build/tools/fyne
mkdir -p dist build

fyne_tool() {
    if ! "$FYNE" version 2>/dev/null | grep "$FYNE_TOOL_VERSION" >/dev/null; then
        echo "package: installing the fyne tool $FYNE_TOOL_VERSION" >&2
        GOBIN=$ROOT/build/tools "$GO" install "fyne.io/tools/cmd/fyne@$FYNE_TOOL_VERSION"
    fi
}

# source_copy DIR puts the sources in DIR: fyne package writes files into the folder it builds
# (fyne.syso, which every Go build there would link), so it builds a copy.
source_copy() {
    rm -rf "$1" && mkdir -p "$1"
    tar --exclude=./build --exclude=./dist --exclude=./.git -cf - . | tar -C "$1" -xf -
}

timed() {
    local what=$1 start=$SECONDS
    shift
    "$@"
    echo "package: $what built in $((SECONDS - start)) s" >&2
}

linux() {
    local stage=build/linux/mailroom-$VERSION
    rm -rf build/linux && mkdir -p "$stage"
    CGO_ENABLED=1 "$GO" build -ldflags "-s -w" -o "$stage/mailroom" .
    "$GO" run ./internal/cmd/mkicons -src assets/icon.png -name io.mailroom.app -dir "$stage/icons"
    install -m 644 packaging/linux/io.mailroom.app.desktop "$stage/"
    install -m 755 packaging/linux/install.sh packaging/linux/uninstall.sh "$stage/"
    tar -C build/linux --owner=0 --group=0 -cJf "dist/mailroom-$VERSION-linux-amd64.tar.xz" "mailroom-$VERSION"
    echo "package: dist/mailroom-$VERSION-linux-amd64.tar.xz" >&2
}

windows() {
    fyne_tool
    source_copy build/windows
    (cd build/windows && CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
        "$FYNE" package -os windows -name Mailroom)
    mv build/windows/Mailroom.exe "dist/mailroom-$VERSION-windows-amd64.exe"
    echo "package: dist/mailroom-$VERSION-windows-amd64.exe" >&2
}

macos() {
    [ "$(uname -s)" = Darwin ] || { echo "package: the macOS app is built on a Mac (see README)" >&2; exit 1; }
    fyne_tool
    source_copy build/macos
    (cd build/macos && "$FYNE" package -os darwin -release -name Mailroom)
    local app=build/macos/Mailroom.app exe
    exe=$(ls "$app/Contents/MacOS")
    # Fyne's own Info.plist has no URL types; ours makes Mailroom a mailto: handler.
    sed -e "s/@VERSION@/$VERSION/" -e "s/@BUILD@/$BUILD/" -e "s/@EXE@/$exe/" packaging/darwin/Info.plist >"$app/Contents/Info.plist"
    codesign --force --deep --sign - "$app"
    local zip=dist/mailroom-$VERSION-macos-$(uname -m).zip
    rm -f "$zip" && ditto -c -k --keepParent "$app" "$zip"
    echo "package: $zip" >&2
}

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(linux windows)
for t in "${targets[@]}"; do
    case $t in
    linux | windows | macos) timed "$t" "$t" ;;
    *) echo "package: unknown target $t (linux, windows, macos)" >&2; exit 2 ;;
    esac
done
