#!/usr/bin/env bash
# The three journeys of PRODUCT.md, end to end, in the real window under Xvfb against the
# project's Dovecot and Postfix (started by .ci/with-test-env.sh, which this script runs itself
# in when they are not up yet), driving Mailroom with xdotool and saving a screenshot per step.
#
#   bash bench/journeys.sh            # prints the folder of screenshots and steps.txt
#
# Each step waits by polling (a window's name, a pixel, the database through the command line),
# never by a long fixed sleep, and records "ok" or "FAILED: why" in steps.txt; a failed step
# does not stop the journey. The exit status is 1 when a step failed. Not run in CI.
# JOURNEY_DISPLAY (":37") chooses the X display; JOURNEY_OUT the folder for the screenshots.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${MAILROOM_TEST_DIR:-}" ]; then
    exec bash "$ROOT/.ci/with-test-env.sh" bash "$ROOT/bench/journeys.sh" "$@"
fi
cd "$ROOT"
OUT="${JOURNEY_OUT:-$(mktemp -d /tmp/mailroom-journeys.XXXXXX)}"
mkdir -p "$OUT"
WORK="$MAILROOM_TEST_DIR/journeys"
mkdir -p "$WORK"
BIN="$WORK/mailroom"
go build -o "$BIN" . || exit 1
DISP="${JOURNEY_DISPLAY:-:$((90 + RANDOM % 100))}"
export DISPLAY="$DISP"
if xdpyinfo >/dev/null 2>&1; then
    echo "journeys: display $DISP is already in use; choose another with JOURNEY_DISPLAY" >&2
    exit 1
fi
Xvfb "$DISP" -screen 0 1280x800x24 >/dev/null 2>&1 &
XPID=$!
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
PIDS=()
finish() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    kill "$XPID" 2>/dev/null
}
trap finish EXIT
export LANG=C.UTF-8
ANN_PW="${MAILROOM_TEST_USERS#*:}"; ANN_PW="${ANN_PW%%,*}"
BOB_PW="${MAILROOM_TEST_USERS##*:}"
N=0
FAILED=0

log() { echo "$*" | tee -a "$OUT/steps.txt"; }

# shot NAME WHAT: a screenshot of the whole screen as NN-NAME.png, listed in steps.txt.
shot() {
    N=$((N + 1))
    local f
    f=$(printf '%02d-%s.png' "$N" "$1")
    import -window root "$OUT/$f" 2>/dev/null
    log "  $f: $2"
}

# check WHAT CMD...: records whether CMD succeeded.
check() {
    local what="$1"; shift
    if "$@"; then log "  ok: $what"; else log "  FAILED: $what"; FAILED=1; fi
}

# poll SECONDS CMD...: true once CMD succeeds, trying every 0.2 s.
poll() {
    local end=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# win TITLE: the id of the visible window named TITLE (an extended regular expression).
win() { xdotool search --onlyvisible --name "^($1)\$" 2>/dev/null | head -1; }
haswin() { [ -n "$(win "$1")" ]; }
nowin() { [ -z "$(win "$1")" ]; }

# focus TITLE: gives the keyboard to window TITLE.
focus() {
    local id
    id=$(win "$1")
    [ -n "$id" ] && xdotool windowfocus --sync "$id" 2>/dev/null
    sleep 0.2
}

# at X Y: clicks at X,Y of the main window (it opens at 0,0 on an empty Xvfb).
at() { xdotool mousemove --sync "$1" "$2" click 1; sleep 0.3; }
keys() { xdotool key --delay 60 "$@"; sleep 0.3; }
typed() { xdotool type --delay 25 "$1"; sleep 0.2; }

# The left navigation's tabs, by their place in the main window.
tab() {
    case "$1" in
    mail) at 88 45 ;; mailboxes) at 88 130 ;; outbox) at 88 213 ;; providers) at 88 296 ;;
    domains) at 88 380 ;; permissions) at 88 463 ;; settings) at 88 546 ;;
    esac
    sleep 0.5
}

# drawn: true once the main window shows its screens (the Mail tab's blue icon is drawn).
drawn() {
    local id px
    id=$(win Mailroom) || return 1
    [ -n "$id" ] || return 1
    px=$(import -window "$id" -crop 1x1+95+32 -depth 8 txt:- 2>/dev/null | sed -n 's/.*srgb(\([0-9]*\),\([0-9]*\),\([0-9]*\)).*/\1 \2 \3/p')
    set -- $px
    [ "$#" = 3 ] && [ "$3" -gt $(($1 + 80)) ]
}

# start DB [ENV...]: starts Mailroom's window on DB and waits until its screens are drawn.
start() {
    local db="$1"; shift
    env "$@" "$BIN" --db "$db" >>"$WORK/window.log" 2>&1 &
    PIDS+=("$!")
    MR=$!
    poll 30 drawn
}

# quit: Ctrl+Q in the main window, waiting until the process has ended.
quit() {
    focus Mailroom
    keys ctrl+q
    poll 10 bash -c "! kill -0 $MR 2>/dev/null" || kill "$MR" 2>/dev/null
}

# compose_fields TO SUBJECT BODY: fills the compose window (at 0,0) by clicking its fields.
compose_fields() {
    at 400 60;  typed "$1"
    at 400 176; typed "$2"
    at 400 400; typed "$3"
}

mr() { "$BIN" --db "$DB" "$@" 2>>"$WORK/cli.log"; }

# The office's provider files: the test servers' example.test, a Google entry to set up for
# OAuth, and a name with a letter beyond ASCII, to see the sorting.
FILES="$WORK/office-providers"
mkdir -p "$FILES"
provider() { # FILE ID NAME DOMAIN IMAPHOST IMAPPORT SMTPHOST SMTPPORT AUTH
    cat >"$FILES/$1" <<EOF
<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="$2">
<domain>$4</domain><displayName>$3</displayName>
<incomingServer type="imap"><hostname>$5</hostname><port>$6</port><socketType>SSL</socketType><authentication>$9</authentication><username>%EMAILADDRESS%</username></incomingServer>
<outgoingServer type="smtp"><hostname>$7</hostname><port>$8</port><socketType>SSL</socketType><authentication>$9</authentication><username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>
EOF
}
provider example.xml example.test "Example Test Mail" example.test 127.0.0.1 "$MAILROOM_TEST_IMAPS_PORT" 127.0.0.1 "$MAILROOM_TEST_SMTPS_PORT" password-cleartext
provider google.xml googlemail.com "Google" gmail.com imap.gmail.com 993 smtp.gmail.com 465 OAuth2
provider cesky.xml cesky.example "Český Telecom" cesky.example imap.cesky.example 993 smtp.cesky.example 465 password-cleartext

# deliver FROM PASSWORD TO SUBJECT: sends a message through Postfix's submission.
deliver() {
    python3 - "$1" "$2" "$3" "$4" <<'EOF'
import smtplib, ssl, sys, os
frm, pw, to, subject = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=os.environ["MAILROOM_TEST_CA"])
msg = f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello Ann,\r\nthe report is at https://example.test/report.\r\n"
with smtplib.SMTP_SSL("127.0.0.1", int(os.environ["MAILROOM_TEST_SMTPS_PORT"]), context=ctx, timeout=10) as c:
    c.login(frm, pw)
    c.sendmail(frm, [to], msg)
EOF
}

log "Journeys of PRODUCT.md, $(date -u '+%Y-%m-%d %H:%M UTC'), screenshots in $OUT"

# ---------------------------------------------------------------------------------------------
log "Journey 1: the office administrator"
DB="$WORK/office.db"
check "a first start on a new database shows its window" start "$DB" SSL_CERT_FILE="$MAILROOM_TEST_CA"
shot welcome "first start on an empty database: the welcome page"
check "the provider files import (providers import)" mr providers import "$FILES"
tab providers
check "the providers are in the database" poll 10 bash -c "'$BIN' --db '$DB' providers list | grep -q 'Český'"
sleep 2
shot providers-imported "Email providers, 2 s after importing the office's files from the command line while the window is open (does the grid follow the store?)"
at 210 21   # Add
at 260 60   # IMAP / SMTP
check "Add opens a provider card" poll 10 haswin "New email provider"
focus "New email provider"
# The card opens at 0,0 (no window manager): its fields by their place.
at 430 24;  typed "Office Mail"
at 460 148; typed "127.0.0.1"
at 500 356; typed "127.0.0.1"
at 400 706; typed "office.example"
at 754 706
shot provider-card "a new provider card filled in by hand (name, servers, a domain; the logo's file dialog is not driven)"
keys ctrl+s
check "Ctrl+S (focus in the Domains field) saves the card and closes it" poll 10 nowin "New email provider"
if haswin "New email provider"; then
    shot provider-card-after-ctrl-s "the card after Ctrl+S"
    at 766 756 # Save
    check "the Save button saves the card and closes it" poll 10 nowin "New email provider"
fi
check "the provider is saved" poll 5 bash -c "'$BIN' --db '$DB' providers list | grep -q 'Office Mail'"
tab providers
shot providers-with-office "Email providers with the one added by hand"
check "the Google provider takes the office's OAuth client ID" mr providers oauth Google --client-id office-client-id.apps.example
check "the signed list is published to the shared folder" mr providers publish --dir "$WORK/share"
tab settings
shot published "Settings after publishing: the list's last publication"
KEY=$(mr providers key | grep -o 'RW[A-Za-z0-9+/=]*' | head -1)
COLLEAGUE_DB="$WORK/colleague.db"
COLLEAGUE_KEY=$(DB="$COLLEAGUE_DB" mr providers key | grep -o 'RW[A-Za-z0-9+/=]*' | head -1)
check "a colleague is granted the right to publish" mr providers publishers grant "$COLLEAGUE_KEY" --name "Colleague"
tab permissions
shot permissions "Operation permissions with the colleague granted"
quit
check "the colleague subscribes with the compared key" env DB="$COLLEAGUE_DB" bash -c "'$BIN' --db '$COLLEAGUE_DB' providers subscribe '$WORK/share' --key '$KEY'"
check "the colleague's window opens" start "$COLLEAGUE_DB" SSL_CERT_FILE="$MAILROOM_TEST_CA"
tab settings
shot colleague-subscribed "the colleague's Settings: subscribed to the office's list"
tab providers
shot colleague-providers "the colleague's Email providers, from the subscribed list"
quit

# ---------------------------------------------------------------------------------------------
log "Journey 2: a single user"
check "bob's message is delivered to ann" deliver bob@example.test "$BOB_PW" ann@example.test "The report"
check "Mailroom starts on the office database" start "$DB" SSL_CERT_FILE="$MAILROOM_TEST_CA"
tab mail
shot mail-welcome "Mail before any mailbox: the welcome page"
at 452 370  # Add your mailbox
check "Add your mailbox opens its window" poll 10 haswin "New mailbox"
focus "New mailbox"
typed "ann@example.test"
sleep 1
shot mailbox-address "the new-mailbox window, the address typed: the provider recognized?"
keys Tab
typed "$ANN_PW"
shot mailbox-password "the password typed"
keys ctrl+s
check "after Save the window is the saved mailbox's" poll 30 haswin "Mailbox — ann@example.test"
shot mailbox-saved "after Save: the test step by step and 'Saved', in the window that stays open"
check "the mailbox is saved" poll 20 bash -c "'$BIN' --db '$DB' mailbox list | grep -q ann@example.test"
focus "Mailbox — ann@example.test"
keys Escape
check "Escape closes the saved mailbox's window" poll 10 nowin "Mailbox — ann@example.test"
focus Mailroom
tab mail
sleep 3
shot inbox "the Mail screen after adding the mailbox: the Inbox filling"
at 560 125  # the first message of the list
sleep 1
shot message-open "the first message opened in the reader"
focus Mailroom
keys ctrl+r
check "Ctrl+R opens a reply" poll 10 haswin "Re: The report"
focus "Re: The report"
typed "Thanks, Bob."
keys ctrl+Return
check "the reply leaves (its window closes)" poll 20 nowin "Re: The report"
check "the reply is sent" poll 60 bash -c "'$BIN' --db '$DB' outbox list | grep -qi sent"
shot reply-sent "after sending the reply"
focus Mailroom
keys F5
sleep 3
at 250 178 # Sent, in the folder tree
sleep 1
shot sent-folder "the Sent folder after the reply (it should show the reply once)"
"$BIN" --db "$DB" "mailto:bob@example.test?subject=From%20a%20web%20page" >>"$WORK/window.log" 2>&1
check "a mailto: link opens a compose window in the running Mailroom" poll 10 haswin "From a web page"
shot mailto "the compose window of a mailto: link"
focus "From a web page"
keys Escape
poll 5 haswin "From a web page" && keys Tab Return
quit

# ---------------------------------------------------------------------------------------------
log "Journey 3: something goes wrong"
DB="$WORK/trouble.db"
check "the example.test provider is imported" mr providers import "$FILES/example.xml"
# No SSL_CERT_FILE: the test CA is unknown, so the server's certificate looks self-signed.
check "Mailroom starts" start "$DB"
at 452 370  # Add your mailbox
check "Add your mailbox opens its window" poll 10 haswin "New mailbox"
focus "New mailbox"
typed "ann@example.test"
keys Tab
typed "wrong-password"
keys ctrl+s
sleep 4
shot untrusted-certificate "the server's certificate is not trusted: its fingerprint to compare"
at 472 500 # Trust this certificate
sleep 4
shot wrong-password "after trusting the certificate: the wrong password, said beside the field?"
poll 5 haswin "New mailbox" && { focus "New mailbox"; keys Escape; poll 5 haswin "New mailbox" && keys Tab Return; }
quit
# Sending while the network is down: Postfix stopped, a message queued, Postfix back.
check "ann's mailbox is added from the command line" bash -c "printf '%s\n' '$ANN_PW' | SSL_CERT_FILE='$MAILROOM_TEST_CA' '$BIN' --db '$DB' mailbox add ann@example.test --password-stdin"
check "Mailroom starts" start "$DB" SSL_CERT_FILE="$MAILROOM_TEST_CA"
postfix -c "$MAILROOM_TEST_DIR/postfix" stop >/dev/null 2>&1
focus Mailroom
keys ctrl+n
check "Ctrl+N opens a compose window" poll 10 haswin "New message"
focus "New message"
compose_fields "bob@example.test" "Sent while the server is down" "This waits in the Outbox."
keys ctrl+Return
poll 20 nowin "Sent while the server is down"
focus Mailroom
tab outbox
sleep 3
shot outbox-waiting "the Outbox while the server is down: why it waits, Send now"
postfix -c "$MAILROOM_TEST_DIR/postfix" start >/dev/null 2>&1
at 1000 140 # Send now, on the first row
check "the message leaves once the server is back" poll 60 bash -c "'$BIN' --db '$DB' outbox list | grep -qi sent"
sleep 1
shot outbox-sent "the Outbox after the server came back"
# Killed while composing: the draft is there at the next start.
focus Mailroom
keys ctrl+n
poll 10 haswin "New message"
focus "New message"
compose_fields "bob@example.test" "Killed while writing" "These words must survive."
sleep 3
shot composing "composing, before Mailroom is killed"
kill -9 "$MR"
poll 10 bash -c "! kill -0 $MR 2>/dev/null"
check "Mailroom starts again after being killed" start "$DB" SSL_CERT_FILE="$MAILROOM_TEST_CA"
tab outbox
sleep 1
shot draft-kept "the Outbox after the restart: the draft kept"
quit

log "Screenshots: $OUT"
echo "$OUT"
exit "$FAILED"
