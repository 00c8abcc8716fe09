#!/usr/bin/env bash
# Real mail servers on loopback for the mailer's integration tests, from
# Debian's packages (packaging/install-deps --test). Run as root.
#
#   mail_servers.sh start DIR      start them; writes DIR/env (below)
#   mail_servers.sh stop DIR       stop them; exit 0 even if already stopped
#   mail_servers.sh smtp-down DIR  stop OpenSMTPD only: Dovecot's submission
#                                  then answers 4xx (it cannot reach its relay)
#   mail_servers.sh smtp-up DIR    start OpenSMTPD again on the same port
#
# The shape (a setup known to work on Debian 12):
#   OpenSMTPD, plain SMTP on 127.0.0.1:SMTP_PORT, delivers over LMTP (a Unix
#   socket) into Dovecot. Dovecot serves IMAP (STARTTLS) on IMAP_PORT, IMAPS on
#   IMAPS_PORT, and its submission service, which relays into OpenSMTPD, with
#   STARTTLS + AUTH on SUBMISSION_PORT and implicit TLS + AUTH on SMTPS_PORT.
#   The certificate is for localhost (DNS:localhost, IP:127.0.0.1), signed by
#   a CA made here (CA_FILE). Users u1..u45, password pw-uN, address
#   uN@localhost. Any other recipient (REJECT_ADDRESS, nobody-here@localhost)
#   is refused with 550 at RCPT.
#
# What a client sees: a wrong password gets 535 after Dovecot's usual 2 s
# auth_failure_delay (libcurl: error 67); REJECT_ADDRESS gets 550 at RCPT
# (libcurl: 55); after smtp-down, submission still accepts STARTTLS and AUTH
# but answers "421 4.4.0 Failed to connect to relay server" at MAIL FROM
# (libcurl: 55), until smtp-up. smtp-down affects every test using these
# servers: such a test must run alone (CTest RUN_SERIAL).
#
# DIR/env has KEY=VALUE lines: HOST SMTP_PORT SUBMISSION_PORT SMTPS_PORT
# IMAP_PORT IMAPS_PORT CA_FILE USERS REJECT_ADDRESS SMTPD_PID_FILE
# DOVECOT_PID_FILE. Logs: DIR/smtpd.log, DIR/dovecot.log.
#
# Only one OpenSMTPD can normally run per machine (fixed /var/spool/smtpd and
# /run/smtpd.sock). Ours runs in a private mount namespace (unshare) with
# those two paths under DIR, so two test runs on one machine do not collide;
# an OpenSMTPD running in the machine's own namespace (the system's, say) is
# refused. Without unshare, ours uses the real paths and any other OpenSMTPD
# is refused.
set -euo pipefail

readonly users=45
readonly reject_address=nobody-here@localhost
readonly mail_uid=65534 mail_gid=65534  # nobody: Dovecot refuses uid 0 and uids < 500
readonly wait_seconds=10
readonly marker=.checker-mail-fixture

say() { echo "mail_servers: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  echo "usage: $0 start|stop|smtp-down|smtp-up DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
[ "$(id -u)" -eq 0 ] || die "run as root (OpenSMTPD needs it)"
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

smtpd_pid_file="$dir/smtpd/smtpd.pid"
dovecot_pid_file="$dir/dovecot/run/master.pid"

# ---- processes ---------------------------------------------------------------

read_pid() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

# Pids of the live processes in session SID (both servers run in their own
# session: OpenSMTPD through setsid, Dovecot's master calls setsid itself).
# Zombies are dead: their parent is gone and init reaps them, in its own time
# (seconds, in some containers).
session_pids() {
  local sid=$1 stat rest
  for stat in /proc/[0-9]*/stat; do
    read -r rest 2>/dev/null <"$stat" || continue  # no fork per process
    rest=${rest##*) }  # after "pid (comm) ": state ppid pgrp session ...
    set -- $rest
    [ "${4:-}" = "$sid" ] && [ "$1" != Z ] && { stat=${stat#/proc/}; echo "${stat%/stat}"; }
  done
  return 0
}

# Whether process PID is one of our servers' processes: its command line
# names DIR (smtpd -d -f DIR/..., dovecot -c DIR/...) or is one of their
# children's. Guards against a pid file whose pid was reused meanwhile.
is_ours() {
  local args=() comm
  mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
  read -r comm 2>/dev/null <"/proc/$1/comm" || return 1
  [ "$comm" = smtpd ] && return 0
  case "${args[0]:-}" in dovecot-checker-mail-fixture-*) return 0 ;; esac
  case " ${args[*]} " in *" $dir/"*) return 0 ;; esac
  return 1
}

# Our live processes in session SID.
our_session_pids() {
  local p
  for p in $(session_pids "$1"); do
    if is_ours "$p"; then echo "$p"; fi
  done
  return 0
}

# Waits, bounded, until none of our processes is left in session SID; then
# SIGKILLs what remains.
wait_session_gone() {
  local sid=$1 what=$2 i
  for ((i = 0; i < wait_seconds * 20; i++)); do
    [ -z "$(our_session_pids "$sid")" ] && return 0
    sleep 0.05
  done
  say "$what did not stop within ${wait_seconds}s: killing $(our_session_pids "$sid" | tr '\n' ' ')"
  our_session_pids "$sid" | xargs -r kill -KILL 2>/dev/null || true
  sleep 0.2
}

stop_smtpd() {
  local pid
  pid=$(read_pid "$smtpd_pid_file")
  [ -n "$pid" ] || return 0
  if [ -n "$(our_session_pids "$pid")" ]; then
    if is_ours "$pid"; then
      kill -TERM -- "-$pid" 2>/dev/null || true
    else  # the leader is gone: its orphans, one by one
      our_session_pids "$pid" | xargs -r kill -TERM 2>/dev/null || true
    fi
    wait_session_gone "$pid" OpenSMTPD
  fi
  rm -f "$smtpd_pid_file"
}

stop_dovecot() {
  local pid
  pid=$(read_pid "$dovecot_pid_file")
  [ -n "$pid" ] || return 0
  if [ -n "$(our_session_pids "$pid")" ]; then
    # The whole process group, not just the master: it stops asynchronously,
    # and a login process can linger for seconds after the master is gone.
    if is_ours "$pid"; then
      kill -TERM -- "-$pid" 2>/dev/null || true
    else
      our_session_pids "$pid" | xargs -r kill -TERM 2>/dev/null || true
    fi
    wait_session_gone "$pid" Dovecot
  fi
  rm -f "$dovecot_pid_file"
}

stop_all() {
  stop_dovecot
  stop_smtpd
}

# ---- OpenSMTPD -----------------------------------------------------------------

isolate=no
if command -v unshare >/dev/null && unshare --mount --propagation private true 2>/dev/null; then
  case "$dir/" in
    /run/* | /var/run/* | /var/spool/*) ;;  # hidden by our own bind mounts
    *) isolate=yes ;;
  esac
fi

# Prints "pid cmdline" of each OpenSMTPD process that is not ours and that
# shares /var/spool/smtpd and /run/smtpd.sock with ours.
foreign_smtpd() {
  local our_sid our_ns p sid comm rest
  our_sid=$(read_pid "$smtpd_pid_file")
  our_ns=$(readlink /proc/self/ns/mnt)
  for p in /proc/[0-9]*; do
    read -r comm 2>/dev/null <"$p/comm" || continue
    [ "$comm" = smtpd ] || continue
    read -r rest 2>/dev/null <"$p/stat" || continue
    rest=${rest##*) }
    set -- $rest
    [ "$1" = Z ] && continue
    sid=${4:-}
    [ -n "$our_sid" ] && [ "$sid" = "$our_sid" ] && continue
    if [ "$isolate" = yes ] && [ "$(readlink "$p/ns/mnt" 2>/dev/null)" != "$our_ns" ]; then
      continue  # in a private namespace of its own: another test run's
    fi
    echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
  done
}

refuse_foreign_smtpd() {
  local foreign
  foreign=$(foreign_smtpd)
  [ -z "$foreign" ] && return 0
  say "an OpenSMTPD that is not this fixture's is running:"
  echo "$foreign" | sed "s/^/mail_servers:   /" >&2
  die "refusing to start; stop it first (e.g. systemctl stop opensmtpd; packaging/install-deps disables it)"
}

# Starts OpenSMTPD in the background in a session of its own (setsid and
# unshare exec, so $! is smtpd's pid, its session id, and its pid file).
start_smtpd() {
  local port=$1
  refuse_foreign_smtpd
  sed -i "s/^listen on 127.0.0.1 port [0-9]* /listen on 127.0.0.1 port $port /" "$dir/smtpd/smtpd.conf"
  local inner='exec smtpd -d -f "$1/smtpd/smtpd.conf"'
  if [ "$isolate" = yes ]; then
    # A private /var/spool (for /var/spool/smtpd) and /run (for smtpd.sock).
    inner='mount --bind "$1/smtpd/spool" /var/spool && mount --bind "$1/smtpd/run" /run && '$inner
    setsid unshare --mount --propagation private -- /bin/bash -c "$inner" smtpd "$dir" \
      >>"$dir/smtpd.log" 2>&1 </dev/null &
  else
    setsid /bin/bash -c "$inner" smtpd "$dir" >>"$dir/smtpd.log" 2>&1 </dev/null &
  fi
  echo $! >"$smtpd_pid_file"
}

# ---- waiting -------------------------------------------------------------------

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits, bounded, until every port in $@ accepts a connection. Returns 1 (and
# says which) if one does not, or if a server died meanwhile.
wait_ports() {
  local i p pending
  for ((i = 0; i < wait_seconds * 20; i++)); do
    pending=()
    for p in "$@"; do accepts "$p" || pending+=("$p"); done
    [ ${#pending[@]} -eq 0 ] && return 0
    sleep 0.05
  done
  say "port(s) ${pending[*]} not accepting connections after ${wait_seconds}s"
  return 1
}

# ---- start ---------------------------------------------------------------------

# N free loopback ports, distinct. The kernel hands out ports for port 0 from
# its ephemeral range in a randomized order, so two runs rarely pick the same;
# if a server then cannot bind, start tries again with new ports.
free_ports() {
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3  # not a pyenv shim if we can avoid it
  "$py" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

make_certificates() {
  local ssl="$dir/ssl"
  mkdir -p "$ssl"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$ssl/ca.key" -out "$ssl/ca.pem" -days 30 -subj "/CN=checker test mail CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$ssl/server.key" -out "$ssl/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$ssl/server.ext"
  openssl x509 -req -in "$ssl/server.csr" -CA "$ssl/ca.pem" -CAkey "$ssl/ca.key" \
    -CAcreateserial -days 30 -extfile "$ssl/server.ext" -out "$ssl/server.pem" 2>/dev/null
  chmod 644 "$ssl/ca.pem" "$ssl/server.pem"
  chmod 600 "$ssl/ca.key" "$ssl/server.key"  # Dovecot reads it as root
}

make_users() {
  local n home
  : >"$dir/dovecot/passwd"
  : >"$dir/smtpd/users"
  for ((n = 1; n <= users; n++)); do
    home="$dir/mail/u$n"
    mkdir -p "$home/Maildir"
    echo "u$n:{PLAIN}pw-u$n:$mail_uid:$mail_gid::$home::" >>"$dir/dovecot/passwd"
    echo "u$n $mail_uid:$mail_gid:$home" >>"$dir/smtpd/users"
  done
  chown -R "$mail_uid:$mail_gid" "$dir/mail"
  chmod 644 "$dir/dovecot/passwd" "$dir/smtpd/users"
}

write_configs() {
  local smtp=$1 submission=$2 smtps=$3 imap=$4 imaps=$5
  cat >"$dir/dovecot/dovecot.conf" <<EOF
# Written by tests/mail/mail_servers.sh.
instance_name = checker-mail-fixture-$$
base_dir = $dir/dovecot/run
state_dir = $dir/dovecot/state
log_path = $dir/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp submission
hostname = localhost
postmaster_address = postmaster@localhost

ssl = yes
ssl_cert = <$dir/ssl/server.pem
ssl_key = <$dir/ssl/server.key
ssl_min_protocol = TLSv1.2

auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $dir/dovecot/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%n $dir/dovecot/passwd
}
mail_location = maildir:~/Maildir
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid

service imap-login {
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = $imaps
    ssl = yes
  }
}
service submission-login {
  inet_listener submission {
    port = $submission
  }
  inet_listener submissions {
    port = $smtps
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
# No auth penalty (each failed login from an IP delays the next logins from
# it by 2..15 s): the parallel tests all come from 127.0.0.1, so one test's
# wrong password would slow down the others. Mode 0 removes the listener.
# A failed login itself is still answered after auth_failure_delay (2 s).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
submission_host = localhost
submission_relay_host = 127.0.0.1
submission_relay_port = $smtp
submission_relay_ssl = no
# No stats process: a login process still waiting for its handshake when
# Dovecot stops hangs the stop for 5 s ("Timeout waiting for handshake").
stats_writer_socket_path =
EOF
  cat >"$dir/smtpd/smtpd.conf" <<EOF
# Written by tests/mail/mail_servers.sh.
table mailusers file:$dir/smtpd/users
listen on 127.0.0.1 port $smtp hostname localhost
action "to_dovecot" lmtp "$dir/dovecot/run/lmtp" rcpt-to userbase <mailusers>
match from local for any action "to_dovecot"
EOF
}

# Removes DIR's previous contents, but only if this script made them.
fresh_dir() {
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    [ -e "$dir/$marker" ] || die "$dir is not empty and not a mail fixture's directory: not touching it"
    stop_all
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  chmod 755 "$dir"  # Dovecot's auth process (user dovecot) reads the passwd-file
  touch "$dir/$marker"
  mkdir -p "$dir/dovecot/run" "$dir/dovecot/state" "$dir/smtpd/spool" "$dir/smtpd/run" "$dir/mail"
}

# The log of a server that failed to come up, for the test output.
show_logs() {
  local f
  for f in "$dir/smtpd.log" "$dir/dovecot.log" "$dir/dovecot.stderr"; do
    [ -s "$f" ] || continue
    say "--- last lines of $f"
    tail -n 15 "$f" >&2
  done
}

start() {
  local t0=$EPOCHREALTIME attempt smtp submission smtps imap imaps up=no
  refuse_foreign_smtpd
  fresh_dir
  make_certificates
  make_users
  for attempt in 1 2 3; do
    read -r smtp submission smtps imap imaps <<<"$(free_ports 5)"
    write_configs "$smtp" "$submission" "$smtps" "$imap" "$imaps"
    : >"$dir/smtpd.log"
    : >"$dir/dovecot.log"
    start_smtpd "$smtp"
    if ! dovecot -c "$dir/dovecot/dovecot.conf" >"$dir/dovecot.stderr" 2>&1 </dev/null; then
      say "dovecot did not start"
      show_logs
      stop_all
      [ "$attempt" -lt 3 ] && say "trying again with other ports"
      continue
    fi
    if wait_ports "$smtp" "$submission" "$smtps" "$imap" "$imaps"; then
      up=yes
      break
    fi
    show_logs
    stop_all
    [ "$attempt" -lt 3 ] && say "trying again with other ports"
  done
  [ "$up" = yes ] || die "mail servers did not come up"

  cat >"$dir/env.tmp" <<EOF
HOST=localhost
SMTP_PORT=$smtp
SUBMISSION_PORT=$submission
SMTPS_PORT=$smtps
IMAP_PORT=$imap
IMAPS_PORT=$imaps
CA_FILE=$dir/ssl/ca.pem
USERS=$users
REJECT_ADDRESS=$reject_address
SMTPD_PID_FILE=$smtpd_pid_file
DOVECOT_PID_FILE=$dovecot_pid_file
EOF
  mv "$dir/env.tmp" "$dir/env"
  say "started in $(elapsed "$t0")s (smtpd in a private mount namespace: $isolate):"
  sed 's/^/  /' "$dir/env" >&2
}

# Seconds since $1 (an $EPOCHREALTIME), to the millisecond.
elapsed() {
  local now=$EPOCHREALTIME
  local us=$(( (${now/./} - ${1/./}) ))
  printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

env_value() { sed -n "s/^$1=//p" "$dir/env" 2>/dev/null; }

case "$cmd" in
  start)
    start
    ;;
  stop)
    [ -e "$dir/$marker" ] || exit 0  # never started here (or not ours)
    t0=$EPOCHREALTIME
    stop_all
    rm -f "$dir/env"
    say "stopped in $(elapsed "$t0")s"
    ;;
  smtp-down)
    [ -s "$dir/env" ] || die "no mail servers running in $dir"
    stop_smtpd
    ;;
  smtp-up)
    [ -s "$dir/env" ] || die "no mail servers running in $dir"
    pid=$(read_pid "$smtpd_pid_file")
    if [ -z "$pid" ] || [ -z "$(our_session_pids "$pid")" ]; then
      port=$(env_value SMTP_PORT)
      start_smtpd "$port"
      wait_ports "$port" || { show_logs; die "OpenSMTPD did not come back on port $port"; }
    fi
    ;;
  *)
    usage
    ;;
esac
