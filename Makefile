# The two commands of the README: `make run` opens Mailroom, `make test` runs every test.
# Each installs what it needs first (Go modules through go itself; C libraries, and for
# tests the mail servers and keyring, with apt on Debian/Ubuntu).

GO ?= go
ARGS ?=

.PHONY: run test build deps bench

run: deps
	$(GO) run . $(ARGS)

build: deps
	$(GO) build -o mailroom .

# Unit, GUI and integration tests, with the race detector, against a real Dovecot, Postfix
# and gnome-keyring that .ci/with-test-env.sh starts on 127.0.0.1 and stops afterwards.
# TestWatchInboxAgainstDovecot stops and restarts the shared test Dovecot, so it runs on its own
# after the rest, whose packages run in parallel and would lose their connections meanwhile.
SERIAL_TESTS = ^TestWatchInboxAgainstDovecot$$
test: deps
	bash .ci/with-test-env.sh sh -c '$(GO) test -race -count=1 -skip "$(SERIAL_TESTS)" ./... && \
		$(GO) test -race -count=1 -run "$(SERIAL_TESTS)" -v ./mailclient/'

deps:
	@bash .ci/install-deps.sh

# Benchmarks: go test -bench plus the scripts under bench/, each printed as a ratio to its baseline.
bench: deps
	@bash .ci/install-deps.sh xvfb xdotool time
	bash bench/run.sh
