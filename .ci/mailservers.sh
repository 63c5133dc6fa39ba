#!/usr/bin/env bash
# Real mail servers on loopback for Mailroom's integration tests.
#
#   .ci/mailservers.sh install      install Dovecot, Postfix, gnome-keyring, dbus, openssl if missing
#   .ci/mailservers.sh start DIR    start private Dovecot + Postfix instances under DIR, write DIR/env
#   .ci/mailservers.sh stop DIR     stop everything started under DIR
#
# Everything an instance needs (config, CA, certs, sockets, queue, logs, maildirs) lives in DIR.
# DIR must be searchable by the `mail` user (Dovecot refuses to store mail as root), so use
# something like $(mktemp -d /tmp/mailroom-test.XXXXXX), not a folder inside /root.
#
# Listeners (ports chosen dynamically, see DIR/env):
#   IMAPS (implicit TLS)        127.0.0.1   MAILROOM_TEST_IMAPS_PORT
#   IMAP + STARTTLS             127.0.0.1   MAILROOM_TEST_IMAP_STARTTLS_PORT
#                               (Dovecot treats 127.0.0.1->127.0.0.1 as secure and would accept
#                               LOGIN before STARTTLS here)
#   IMAP, plain, LOGINDISABLED  127.0.0.2   MAILROOM_TEST_IMAP_PLAIN_ADDR  (looks like a remote
#                               server: LOGIN only after STARTTLS)
#   SMTPS (implicit TLS, AUTH)  127.0.0.1   MAILROOM_TEST_SMTPS_PORT
#   submission (STARTTLS, AUTH) 127.0.0.1   MAILROOM_TEST_SUBMISSION_PORT
#   silent server               127.0.0.1   MAILROOM_TEST_SILENT_ADDR  (accepts TCP, never speaks;
#                               for timeout tests)
#   OAuth 2.0 server (http)     127.0.0.1   MAILROOM_TEST_OAUTH_URL, client MAILROOM_TEST_OAUTH_CLIENT_ID
#                  (https)      127.0.0.1   MAILROOM_TEST_OAUTH_HTTPS_URL (the same server, test CA)
#                               (.ci/oauth-server.py; Dovecot checks tokens there, so IMAP and,
#                               through Dovecot SASL, Postfix take XOAUTH2 and OAUTHBEARER)
# Mail to @example.test goes to Dovecot via LMTP; everything else is discarded by Postfix.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# minisign: the tests check that minisign's own tool verifies a published provider list.
PACKAGES=(dovecot-core dovecot-imapd dovecot-lmtpd postfix gnome-keyring dbus openssl python3 minisign)
USERS_SPEC="ann@example.test:ann-secret-1,bob@example.test:bob-secret-2"
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"

log() { echo "mailservers: $*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) for: $*"; fi
}

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

# Stop the system-wide instances a package installation may have started, so our own
# instances own their ports. Only the default instances are touched.
stop_system_daemons() {
    if [ -f /etc/postfix/main.cf ] && as_root postfix status >/dev/null 2>&1; then
        as_root postfix stop >/dev/null 2>&1 || true
    fi
    if [ -f /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
        as_root doveadm stop >/dev/null 2>&1 || as_root kill "$(cat /run/dovecot/master.pid)" || true
    fi
    # A system Dovecot runs with the default config (no -c), so its command line is exactly this.
    # (A Postfix master's command line does not show its config dir: never pkill it by name.)
    as_root pkill -x -f '/usr/sbin/dovecot( -F)?' 2>/dev/null || true
}

cmd_install() {
    local missing
    missing="$(missing_packages | tr '\n' ' ')"
    if [ -z "${missing// /}" ]; then
        log "all packages present"
        stop_system_daemons
        return 0
    fi
    log "installing: $missing"
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    # Keep maintainer scripts from starting the system daemons (invoke-rc.d honours policy-rc.d).
    local policy_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod 755 /usr/sbin/policy-rc.d
        policy_created=1
    fi
    local rc=0
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300)
    if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
        as_root apt-get update -q || true
    fi
    # shellcheck disable=SC2086
    if ! as_root "${apt[@]}" $missing; then
        as_root apt-get update -q || true
        # shellcheck disable=SC2086
        as_root "${apt[@]}" $missing || rc=$?
    fi
    [ "$policy_created" = 1 ] && as_root rm -f /usr/sbin/policy-rc.d
    stop_system_daemons
    [ "$rc" = 0 ] || die "apt-get install failed ($rc)"
    log "installed"
}

# Print N free TCP ports. The sockets are bound at the same time so the ports are distinct;
# each one is also checked to be free on 127.0.0.2.
free_ports() {
    "$PY" - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1]); socks = []; ports = []
while len(ports) < n:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.2", p))
    except OSError:
        s.close(); continue
    finally:
        t.close()
    socks.append(s); ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

make_certs() {
    local d="$1/tls"
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Mailroom Test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        >/dev/null 2>&1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mail.example.test" \
        -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1
    cat >"$d/server.ext" <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:mail.example.test,IP:127.0.0.1,IP:127.0.0.2
EOF
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 30 -extfile "$d/server.ext" -out "$d/server.pem" >/dev/null 2>&1
    chmod 644 "$d/ca.pem" "$d/server.pem"
    chmod 600 "$d/ca.key" "$d/server.key"
}

write_dovecot_conf() {
    local dir="$1" imaps="$2" imapst="$3" imapplain="$4"
    local dv="$dir/dovecot"
    mkdir -p "$dv/state"
    : >"$dv/users"
    local entry user pass
    IFS=',' read -ra entries <<<"$USERS_SPEC"
    for entry in "${entries[@]}"; do
        user="${entry%%:*}"; pass="${entry#*:}"
        echo "$user:{SHA512-CRYPT}$(openssl passwd -6 "$pass"):::::" >>"$dv/users"
    done
    chmod 644 "$dv/users"
    cat >"$dv/dovecot.conf" <<EOF
# Generated by .ci/mailservers.sh for Mailroom integration tests. Do not use in production.
instance_name = $(basename "$dir")
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
shutdown_clients = yes

ssl = yes
ssl_cert = <$dir/tls/server.pem
ssl_key = <$dir/tls/server.key
ssl_min_protocol = TLSv1.2

disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
# No slow-down after failed logins (it also slows Postfix SASL through us).
auth_failure_delay = 0
auth_cache_size = 0

mail_uid = mail
mail_gid = mail
first_valid_uid = $(id -u mail)
first_valid_gid = $(id -g mail)
mail_location = maildir:$dir/maildir/%d/%n/Maildir
postmaster_address = postmaster@example.test

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u $dv/users
}
# OAuth 2.0 access tokens (XOAUTH2, OAUTHBEARER), checked at the test authorization server.
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dv/oauth2.conf.ext
}
userdb {
  driver = passwd-file
  args = username_format=%u $dv/users
  default_fields = uid=mail gid=mail home=$dir/maildir/%d/%n
}

namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imapst
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps
    ssl = yes
  }
  inet_listener imap_remote {
    address = 127.0.0.2
    port = $imapplain
  }
}
service lmtp {
  unix_listener lmtp-postfix {
    mode = 0666
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
# No anvil auth penalty (the 2, 4, 8... s slow-down per IP after a failure).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}

write_dovecot_oauth_conf() {
    local dir="$1" port="$2"
    cat >"$dir/dovecot/oauth2.conf.ext" <<EOF
introspection_url = http://127.0.0.1:$port/introspect
introspection_mode = post
username_attribute = username
active_attribute = active
active_value = true
EOF
}

start_oauth_server() {
    local dir="$1" port="$2" tlsport="$3"
    nohup "$PY" "$SCRIPT_DIR/oauth-server.py" "$port" mailroom-test "$tlsport" "$dir/tls/server.pem" "$dir/tls/server.key" \
        >"$dir/oauth.log" 2>&1 </dev/null &
    echo $! >"$dir/oauth.pid"
}

write_postfix_conf() {
    local dir="$1" smtps="$2" sub="$3"
    local pc="$dir/postfix" pq="$dir/postfix-queue" pd="$dir/postfix-data"
    mkdir -p "$pc" "$pq" "$pd"
    chown postfix:postfix "$pd"
    cat >"$pc/main.cf" <<EOF
# Generated by .ci/mailservers.sh for Mailroom integration tests. Do not use in production.
compatibility_level = 3.6
queue_directory = $pq
data_directory = $pd
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/postfix.log
maillog_file_prefixes = /var, /dev/stdout, $dir
myhostname = mail.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
smtputf8_enable = yes

# Test users live in Dovecot; everything else is thrown away so nothing leaves the machine.
virtual_mailbox_domains = example.test
virtual_transport = lmtp:unix:$dir/dovecot/run/lmtp-postfix
local_transport = discard:
relay_transport = discard:
default_transport = discard:
relayhost =

smtpd_tls_cert_file = $dir/tls/server.pem
smtpd_tls_key_file = $dir/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dir/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = yes
smtpd_client_restrictions = permit_sasl_authenticated, reject
smtpd_relay_restrictions = permit_sasl_authenticated, reject
# rejected@example.test is refused at RCPT (554) so tests can meet a permanent refusal.
smtpd_recipient_restrictions = check_recipient_access inline:{ rejected@example.test=REJECT }, permit_sasl_authenticated, reject
# 50 MB (below mailbox_size_limit) instead of 10 MB: the send benchmark mails a 25 MB attachment (34 MB encoded).
message_size_limit = 50000000
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_rate_limit = 0
anvil_rate_time_unit = 60s
EOF
    cat >"$pc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$smtps inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
127.0.0.1:$sub inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

start_silent_server() {
    local dir="$1" port="$2"
    # Accepts connections and holds them open without ever sending a byte.
    nohup "$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)
    held = [h for h in held if h.fileno() != -1][-200:]
' "$port" >"$dir/silent.log" 2>&1 </dev/null &
    echo $! >"$dir/silent.pid"
}

# Log in for real on every listener; retry until all succeed or time runs out.
wait_ready() {
    local dir="$1"
    "$PY" - "$dir" <<'EOF'
import imaplib, smtplib, ssl, sys, time
env = dict(l.split("=", 1) for l in open(sys.argv[1] + "/env").read().split())
ctx = ssl.create_default_context(cafile=env["MAILROOM_TEST_CA"])
user, pw = env["MAILROOM_TEST_USERS"].split(",")[0].split(":", 1)
host2, port2 = env["MAILROOM_TEST_IMAP_PLAIN_ADDR"].rsplit(":", 1)
def imaps():
    with imaplib.IMAP4_SSL("127.0.0.1", int(env["MAILROOM_TEST_IMAPS_PORT"]), ssl_context=ctx, timeout=5) as c:
        c.login(user, pw); c.logout()
def imap_starttls():
    with imaplib.IMAP4("127.0.0.1", int(env["MAILROOM_TEST_IMAP_STARTTLS_PORT"]), timeout=5) as c:
        c.starttls(ssl_context=ctx); c.login(user, pw); c.logout()
def imap_plain():
    with imaplib.IMAP4(host2, int(port2), timeout=5) as c:
        assert "LOGINDISABLED" in c.capabilities, c.capabilities
        c.starttls(ssl_context=ctx); c.login(user, pw); c.logout()
def smtps():
    with smtplib.SMTP_SSL("127.0.0.1", int(env["MAILROOM_TEST_SMTPS_PORT"]), context=ctx, timeout=5) as c:
        c.login(user, pw)
def submission():
    with smtplib.SMTP("127.0.0.1", int(env["MAILROOM_TEST_SUBMISSION_PORT"]), timeout=5) as c:
        c.starttls(context=ctx); c.login(user, pw)
def oauth():
    import urllib.request
    urllib.request.urlopen(env["MAILROOM_TEST_OAUTH_URL"] + "/health", timeout=5).read()
    urllib.request.urlopen(env["MAILROOM_TEST_OAUTH_HTTPS_URL"] + "/health", timeout=5, context=ctx).read()
pending = [imaps, imap_starttls, imap_plain, smtps, submission, oauth]
deadline = time.time() + 30
while pending:
    f = pending[0]
    try:
        f(); pending.pop(0)
    except Exception as e:
        if time.time() > deadline:
            print(f"mailservers: {f.__name__} not ready: {e!r}", file=sys.stderr); sys.exit(1)
        time.sleep(0.1)
EOF
}

cmd_stop() {
    local dir="${1:?usage: $0 stop DIR}"
    [ -d "$dir" ] || return 0
    dir="$(cd "$dir" && pwd)"
    local pids=() p
    if [ -f "$dir/postfix/main.cf" ]; then
        p="$(cat "$dir/postfix-queue/pid/master.pid" 2>/dev/null | tr -d ' ' || true)"
        [ -n "$p" ] && pids+=("$p")
        postfix -c "$dir/postfix" stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/dovecot/dovecot.conf" ]; then
        p="$(cat "$dir/dovecot/run/master.pid" 2>/dev/null || true)"
        [ -n "$p" ] && pids+=("$p")
        # Same as `doveadm stop` (SIGTERM to the master), without its serial wait: we wait below,
        # in parallel with Postfix. Dovecot needs about 2.5 s to shut down.
        if [ -n "$p" ]; then kill "$p" 2>/dev/null || true
        else doveadm -c "$dir/dovecot/dovecot.conf" stop >/dev/null 2>&1 || true; fi
    fi
    if [ -f "$dir/oauth.pid" ]; then
        p="$(cat "$dir/oauth.pid")"
        kill "$p" 2>/dev/null || true
        pids+=("$p")
        rm -f "$dir/oauth.pid"
    fi
    if [ -f "$dir/silent.pid" ]; then
        p="$(cat "$dir/silent.pid")"
        kill "$p" 2>/dev/null || true
        pids+=("$p")
        rm -f "$dir/silent.pid"
    fi
    # Wait for the master processes (and so their children) to go away.
    local i
    for p in "${pids[@]}"; do
        for i in $(seq 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$p" 2>/dev/null && { log "pid $p still alive, killing"; kill -9 "$p" 2>/dev/null || true; }
    done
    return 0
}

cmd_start() {
    local dir="${1:?usage: $0 start DIR}"
    [ "$(id -u)" = 0 ] || die "start must run as root (Dovecot and Postfix masters need it)"
    command -v dovecot >/dev/null && command -v postfix >/dev/null || die "not installed; run $0 install"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    local t0=$SECONDS
    cmd_stop "$dir"
    rm -rf "${dir:?}/tls" "$dir/dovecot" "$dir/postfix" "$dir/postfix-queue" "$dir/postfix-data" \
        "$dir/maildir" "$dir/env" "$dir"/*.log
    # The mail user must be able to reach DIR/maildir.
    local d="$dir"
    while [ "$d" != / ]; do
        su -s /bin/sh mail -c "test -x '$d'" 2>/dev/null || chmod o+x "$d"
        d="$(dirname "$d")"
    done
    chmod 755 "$dir"

    local ports imaps imapst imapplain smtps sub silent
    ports="$(free_ports 8)"
    read -r imaps imapst imapplain smtps sub silent oauth oauths <<<"$ports"

    make_certs "$dir"
    mkdir -p "$dir/maildir"
    chown mail:mail "$dir/maildir"
    chmod 755 "$dir/maildir"
    write_dovecot_conf "$dir" "$imaps" "$imapst" "$imapplain"
    write_dovecot_oauth_conf "$dir" "$oauth"
    write_postfix_conf "$dir" "$smtps" "$sub"

    cat >"$dir/env" <<EOF
MAILROOM_TEST_DIR=$dir
MAILROOM_TEST_CA=$dir/tls/ca.pem
MAILROOM_TEST_IMAPS_PORT=$imaps
MAILROOM_TEST_IMAP_STARTTLS_PORT=$imapst
MAILROOM_TEST_IMAP_PLAIN_ADDR=127.0.0.2:$imapplain
MAILROOM_TEST_SMTPS_PORT=$smtps
MAILROOM_TEST_SUBMISSION_PORT=$sub
MAILROOM_TEST_SILENT_ADDR=127.0.0.1:$silent
MAILROOM_TEST_USERS=$USERS_SPEC
MAILROOM_TEST_MAILDIR=$dir/maildir
MAILROOM_TEST_OAUTH_URL=http://127.0.0.1:$oauth
MAILROOM_TEST_OAUTH_CLIENT_ID=mailroom-test
MAILROOM_TEST_OAUTH_HTTPS_URL=https://127.0.0.1:$oauths
EOF

    # Dovecot keeps the starter's stdout open: always redirect.
    dovecot -c "$dir/dovecot/dovecot.conf" >>"$dir/dovecot/dovecot.log" 2>&1 </dev/null \
        || { tail -20 "$dir/dovecot/dovecot.log" >&2; die "dovecot failed to start"; }
    # Postfix prints config errors only to a terminal; capture them via `script` on failure.
    if ! postfix -c "$dir/postfix" start >>"$dir/postfix.log" 2>&1 </dev/null; then
        script -qec "postfix -c '$dir/postfix' check" /dev/null >&2 || true
        tail -20 "$dir/postfix.log" >&2 || true
        cmd_stop "$dir"
        die "postfix failed to start"
    fi
    start_silent_server "$dir" "$silent"
    start_oauth_server "$dir" "$oauth" "$oauths"

    if ! wait_ready "$dir"; then
        tail -20 "$dir/dovecot/dovecot.log" "$dir/postfix.log" >&2 || true
        cmd_stop "$dir"
        die "servers did not become ready"
    fi
    log "ready in $((SECONDS - t0))s; env in $dir/env"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
