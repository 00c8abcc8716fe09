#!/usr/bin/env bash
# The package under a real systemd: a throwaway copy of this machine's root
# (throwaway_root.sh) booted in systemd-nspawn, the .deb installed there with
# dpkg while systemd runs, so postinst enables and starts the unit as on a
# real machine. Asserts: the unit becomes active (Type=notify: only once
# checkerd said READY=1), systemd made the state and log directories
# (0750 root), a reload reaches checkerd, an upgrade restarts it, a
# SIGSTOPped checkerd is killed by the watchdog and restarted, removal
# stops it cleanly (every process of the unit gone), purge deletes the
# state. Afterwards the real machine is checked to be as it was.
#
# The watchdog part shortens WatchdogSec to 4 s with a drop-in, as an
# administrator would: the shipped 30 s would make the test a minute
# longer and prove nothing more (that checkerd feeds what systemd asks for,
# WATCHDOG_USEC, and that systemd restarts a checkerd that stops feeding).
#
#   package_systemd_test.sh OUT VERSION   (fixture: stage_package.sh deb OUT)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=throwaway_root.sh
. "$(dirname "$0")/throwaway_root.sh"
throwaway_boot=yes
throwaway_root_enter "$@"

out=$1 version=$2
throwaway_root_without_checker "$out/checker_${version}_amd64.deb"
# Where the booted container can read it (systemd mounts a tmpfs on /tmp).
mkdir -p "$root/var/tmp"
cp "$root/tmp/checker.deb" "$root/var/tmp/checker.deb"
# A container image's policy-rc.d forbids every start: not on a real machine.
rm -f "$root/usr/sbin/policy-rc.d"
# Boot no further than the package needs: no other service of this machine.
cat >"$root/etc/systemd/system/checker-test.target" <<'UNIT'
[Unit]
Description=package_systemd_test: nothing but what a test starts
UNIT
start=$(date +%s)
throwaway_root_boot checker-test.target
echo "package_systemd_test: systemd booted in $(( $(date +%s) - start )) s"

show() { in_container systemctl show -p "$1" --value checker.service; }
# wait_for WHAT SECONDS COMMAND...: COMMAND succeeds within SECONDS.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    "$@" && return 0
    sleep 0.1
  done
  fail "$what: not within $seconds s"
  return 1
}
# The unit's processes: checkerd and its children, by their cgroup.
unit_processes() {
  in_container sh -c 'grep -l "/system.slice/checker.service" /proc/[0-9]*/cgroup 2>/dev/null | wc -l'
}
journal() { in_container journalctl -u checker.service --no-pager -o cat; }

# --- Install: postinst enables the unit and starts it.
if ! in_container dpkg -i /var/tmp/checker.deb >"$root.install.log" 2>&1; then
  cat "$root.install.log" >&2
  fail "dpkg -i failed"
fi
expect "is-enabled after installation" "$(in_container systemctl is-enabled checker.service || true)" enabled
# Type=notify: active (running) only after READY=1; activating until then.
expect "Type" "$(show Type)" notify
expect "state after installation" "$(show ActiveState)/$(show SubState)" active/running
expect "StatusText" "$(show StatusText)" "scheduling 1 job(s)"
main=$(show MainPID)
expect "the main process" "$(in_container cat "/proc/$main/comm" 2>/dev/null || true)" checkerd
expect "NRestarts after installation" "$(show NRestarts)" 0
# StateDirectory=, LogsDirectory=: made by systemd, root's, 0750.
expect "/var/lib/checker" "$(in_container stat -c '%a %U:%G' /var/lib/checker 2>&1)" "750 root:root"
expect "/var/log/checker" "$(in_container stat -c '%a %U:%G' /var/log/checker 2>&1)" "750 root:root"
in_container test -f /var/lib/checker/data.mdb || fail "checkerd made no state in /var/lib/checker"
journal | grep -F "sandbox: jobs run as checker (uid " >/dev/null || fail "checkerd does not say it runs jobs as checker"

# --- Reload: SIGHUP reaches checkerd, which stays. The reloaded config
# adds two jobs that need the unit's allowances for the runs' sandbox: one
# in its own namespaces (a private /tmp, a read-only /etc, only its own
# processes in /proc) and check_ping with `capabilities = net_raw`.
in_container sh -c 'cat >>/etc/checker/settings.cfg' <<'JOBS'
[job isolated]
type = exec
shell = yes
every = 2s
command = echo x >/tmp/probe && ! touch /etc/checker-probe 2>/dev/null && test "$(ls /proc | grep -c "^[0-9]")" -le 6
JOBS
if [ -x "$root/usr/lib/nagios/plugins/check_ping" ]; then
  in_container sh -c 'cat >>/etc/checker/settings.cfg' <<'JOBS'
[job ping]
type = exec
every = 2s
capabilities = net_raw
command = /usr/lib/nagios/plugins/check_ping -H 127.0.0.1 -w 100,20% -c 200,40% -p 1
JOBS
fi
in_container systemctl reload checker.service
reloaded() { journal | grep -F "reload (SIGHUP)" >/dev/null; }
wait_for "checkerd's reload line in the journal" 10 reloaded
expect "MainPID after a reload" "$(show MainPID)" "$main"
isolated_ok() { journal | grep -F "job isolated: ok" >/dev/null; }
wait_for "an isolated run ok under the unit" 15 isolated_ok || journal | tail -20 >&2
if [ -x "$root/usr/lib/nagios/plugins/check_ping" ]; then
  ping_ok() { journal | grep -F "job ping: ok" >/dev/null; }
  wait_for "check_ping with net_raw ok under the unit" 15 ping_ok || journal | tail -20 >&2
fi

# --- Upgrade (the same version again): postinst restarts the unit.
in_container dpkg -i /var/tmp/checker.deb >"$root.install2.log" 2>&1 || { cat "$root.install2.log" >&2; fail "dpkg -i failed"; }
expect "state after the upgrade" "$(show ActiveState)/$(show SubState)" active/running
[ "$(show MainPID)" != "$main" ] || fail "the upgrade did not restart checkerd (MainPID $main)"

# --- Watchdog: checkerd feeds it at the interval systemd gives; a stopped
# checkerd is killed (Result=watchdog) and restarted.
mkdir -p "$root/etc/systemd/system/checker.service.d"
in_container sh -c 'printf "[Service]\nWatchdogSec=4s\nRestartSec=1s\n" >/etc/systemd/system/checker.service.d/test-watchdog.conf'
in_container systemctl daemon-reload
in_container systemctl restart checker.service
expect "WatchdogUSec with the drop-in" "$(show WatchdogUSec)" 4s
main=$(show MainPID)
sleep 6  # longer than WatchdogSec: fed, so not restarted
expect "state 6 s into a 4 s watchdog" "$(show ActiveState)/$(show MainPID)/$(show NRestarts)" "active/$main/0"
in_container kill -STOP "$main"
restarted() { [ "$(show NRestarts)" = 1 ] && [ "$(show ActiveState)/$(show SubState)" = active/running ]; }
if wait_for "checkerd restarted after SIGSTOP" 20 restarted; then
  [ "$(show MainPID)" != "$main" ] || fail "the watchdog restart kept MainPID $main"
  journal_text=$(in_container journalctl -u checker.service --no-pager)
  grep -qF "Watchdog timeout" <<<"$journal_text" || fail "no 'Watchdog timeout' in the journal"
  grep -qF "Failed with result 'watchdog'" <<<"$journal_text" || fail "no result 'watchdog' in the journal"
fi
rm "$root/etc/systemd/system/checker.service.d/test-watchdog.conf"
in_container systemctl daemon-reload

# --- Remove: prerm stops the unit; checkerd stops its children and exits 0.
main=$(show MainPID)
in_container dpkg -r checker >"$root.remove.log" 2>&1 || { cat "$root.remove.log" >&2; fail "dpkg -r failed"; }
expect "processes of the unit after removal" "$(unit_processes)" 0
in_container test -d "/proc/$main" && fail "checkerd ($main) still runs after removal"
journal | grep -F "stopped: " >/dev/null || fail "checkerd did not say it stopped"
in_container journalctl -u checker.service --no-pager | grep -F "checker.service: Deactivated successfully" >/dev/null ||
  fail "the unit did not stop cleanly"
in_container test -d /var/lib/checker || fail "removal deleted the state"

# --- Purge: the state and logs go.
in_container dpkg -P checker >"$root.purge.log" 2>&1 || { cat "$root.purge.log" >&2; fail "dpkg -P failed"; }
in_container test -e /var/lib/checker && fail "/var/lib/checker is still there after purge"
in_container test -e /var/log/checker && fail "/var/log/checker is still there after purge"

throwaway_root_halt
if [ "$failures" -gt 0 ]; then
  echo "package_systemd_test: $failures failure(s)" >&2
  exit 1
fi
echo "package_systemd_test: ok in $(( $(date +%s) - start )) s"
