# The two commands of the README: `make run` opens Mailroom, `make test` runs every test.
# Each installs what it needs first (Go modules through go itself; C libraries, and for
# tests the mail servers and keyring, with apt on Debian/Ubuntu).

GO ?= go
ARGS ?=

.PHONY: run test build deps bench package package-macos package-deps

run: deps
	$(GO) run . $(ARGS)

build: deps
	$(GO) build -o mailroom .

# Unit, GUI and integration tests, with the race detector, against a real Dovecot, Postfix
# and gnome-keyring that .ci/with-test-env.sh starts on 127.0.0.1 and stops afterwards.
# One package at a time (-p 1): mailclient's watcher test restarts the shared Dovecot, and a
# message the GUI tests send meanwhile waits in Postfix's queue for minutes.
# Then it builds the Linux package and the Windows executable and checks them (.ci/check-package.sh).
test: deps
	@bash .ci/install-deps.sh xvfb xdotool
	bash .ci/with-test-env.sh $(GO) test -race -count=1 -p 1 ./...
	$(MAKE) --no-print-directory package
	bash .ci/check-package.sh

deps:
	@bash .ci/install-deps.sh

# dist/mailroom-VERSION-linux-amd64.tar.xz and dist/mailroom-VERSION-windows-amd64.exe (VERSION
# from FyneApp.toml), with mingw-w64 for the Windows cross-build and the fyne tool (go install).
package: deps package-deps
	bash .ci/package.sh linux windows

# On a Mac with Xcode's command line tools: dist/mailroom-VERSION-macos-ARCH.zip (Mailroom.app).
package-macos:
	bash .ci/package.sh macos

package-deps:
	@bash .ci/install-deps.sh gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 xz-utils file desktop-file-utils xdg-utils python3

# Benchmarks: go test -bench plus the scripts under bench/, each printed as a ratio to its baseline.
bench: deps
	@bash .ci/install-deps.sh xvfb xdotool time
	bash bench/run.sh
