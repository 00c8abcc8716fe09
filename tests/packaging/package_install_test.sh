#!/usr/bin/env bash
# The package's life with the real dpkg, in a throwaway copy of this
# machine's root (throwaway_root.sh): install (postinst configure creates
# the system user `checker`, enables the unit), install again (an upgrade:
# nothing changes, the administrator's edits stay), remove (the conffile,
# state, logs and user stay; the unit is masked), purge (all but the user
# goes, as Debian keeps system users). systemctl is a stub that records its
# calls, so the scripts' systemd branch runs too: start on installation,
# restart on upgrade, stop on removal. Afterwards the real machine is
# checked to be as it was.
#
#   package_install_test.sh OUT VERSION   (fixture: stage_package.sh deb OUT)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=throwaway_root.sh
. "$(dirname "$0")/throwaway_root.sh"
throwaway_root_enter "$@"

out=$1 version=$2
throwaway_root_without_checker "$out/checker_${version}_amd64.deb"

# A systemd that is running, as far as the scripts can tell: they look for
# /run/systemd/system and call systemctl (directly and through
# deb-systemd-invoke). The stub logs every call, answers is-active as for a
# unit that is not running, and does nothing for the calls that would act on
# a running systemd (daemon-reload, start, restart, stop); the rest (preset,
# is-enabled...: files only) is the real systemctl's. No policy-rc.d: a
# container's denies every start.
mkdir -p "$root/run/systemd/system"
rm -f "$root/usr/sbin/policy-rc.d"
[ -x "$root/usr/bin/systemctl" ] || { echo "FAIL: no systemctl: run packaging/install-deps --test" >&2; exit 1; }
mv "$root/usr/bin/systemctl" "$root/usr/bin/systemctl.real"
calls=$root/tmp/systemctl.calls
cat >"$root/usr/bin/systemctl" <<'STUB'
#!/bin/sh
echo "$*" >>/tmp/systemctl.calls
case " $* " in
  *" is-active "*) exit 3 ;;
  *" daemon-reload "* | *" start "* | *" restart "* | *" stop "*) exit 0 ;;
esac
exec systemctl.real "$@"
STUB
chmod 755 "$root/usr/bin/systemctl"
# systemctl_calls: the calls that act on systemd since the last time
# (daemon-reload, start, restart, stop), in order, a repeated one once (the
# script and deb-systemd-helper may both reload).
systemctl_calls() {
  touch "$calls"
  sed -n -e 's/.*daemon-reload.*/daemon-reload/p' \
         -e 's/^--quiet --system \(start\|restart\) checker.service$/\1/p' \
         -e 's/^stop checker.service$/stop/p' "$calls" | uniq | tr '\n' ' '
  : >"$calls"
}

# shellcheck disable=SC2016 # dpkg-query's ${field}, not ours
status() { in_root dpkg-query -W -f='${Status}' checker 2>/dev/null || true; }
mode() { in_root stat -c '%a %U:%G' "$1"; }
exists() { [ -e "$root$1" ] || [ -L "$root$1" ]; }
wants=/etc/systemd/system/multi-user.target.wants/checker.service

# --- Install.
if ! in_root dpkg -i /tmp/checker.deb >"$root/tmp/install.log" 2>&1; then
  cat "$root/tmp/install.log" >&2
  fail "dpkg -i failed"
fi
expect "status after installation" "$(status)" "install ok installed"
expect "systemctl calls on installation" "$(systemctl_calls)" "daemon-reload start "

# The jobs' user: a system user and group of its own, no home, no shell,
# no password.
IFS=: read -r name _ uid gid _ home shell < <(in_root getent passwd checker) ||
  fail "postinst made no user checker"
expect "user" "${name:-}" checker
if [ "${uid:-0}" -lt 100 ] || [ "${uid:-0}" -gt 999 ]; then fail "checker's uid ${uid:-} is not a system uid (100-999)"; fi
expect "checker's primary group" "$(in_root getent group "${gid:-x}" | cut -d: -f1)" checker
if [ "${gid:-0}" -lt 100 ] || [ "${gid:-0}" -gt 999 ]; then fail "checker's gid ${gid:-} is not a system gid (100-999)"; fi
expect "members of group checker" "$(in_root getent group checker | cut -d: -f4)" ""
expect "checker's home" "${home:-}" /nonexistent
exists /nonexistent && fail "postinst made checker's home /nonexistent"
expect "checker's shell" "${shell:-}" /usr/sbin/nologin
password=$(in_root getent shadow checker | cut -d: -f2 || true)
[[ "$password" == '!'* || "$password" == '*'* ]] || fail "checker's password is not locked: '$password'"
user_lines() { grep -h '^checker:' "$root"/etc/{passwd,group,shadow,gshadow} || true; }
user_before=$(user_lines)

# The config: a conffile readable by root only (the mail password, peer
# secrets), not by the jobs' user; its directory made by the package.
# shellcheck disable=SC2016 # dpkg-query's ${field}, not ours
expect "conffiles" "$(in_root dpkg-query -W -f='${Conffiles}' checker | awk '{print $1}')" /etc/checker/settings.cfg
expect "/etc/checker/settings.cfg" "$(mode /etc/checker/settings.cfg)" "600 root:root"
expect "/etc/checker" "$(mode /etc/checker)" "755 root:root"
cmp -s "$root/etc/checker/settings.cfg" "$out/root/etc/checker/settings.cfg" ||
  fail "the installed settings.cfg is not the packaged one"
in_root setpriv --reuid=checker --regid=checker --clear-groups cat /etc/checker/settings.cfg >/dev/null 2>&1 &&
  fail "the user checker can read /etc/checker/settings.cfg"

# The state and log directories are the unit's (StateDirectory=,
# LogsDirectory=: systemd makes them at the start, 0750 root), or checkerd's
# (it makes its state directory 0750): not the package's.
exists /var/lib/checker && fail "the package made /var/lib/checker (the unit's StateDirectory= does)"
exists /var/log/checker && fail "the package made /var/log/checker (the unit's LogsDirectory= does)"

# The unit, enabled as deb-systemd-helper does; the job API library in
# ld.so's cache (the ldconfig trigger).
expect "$wants" "$(readlink "$root$wants" || true)" /lib/systemd/system/checker.service
in_root ldconfig -p | grep -F "libchecker_job_api.so.1 " >/dev/null || fail "libchecker_job_api.so.1 is not in ld.so.cache"

# --- Install again (an upgrade to the same version): the user is not made
# twice, an edited conffile stays as the administrator left it, the unit is
# restarted; a unit the administrator disabled stays disabled.
echo "# edited by the administrator" >>"$root/etc/checker/settings.cfg"
edited=$(cat "$root/etc/checker/settings.cfg")
if ! in_root dpkg -i /tmp/checker.deb >"$root/tmp/install2.log" 2>&1; then
  cat "$root/tmp/install2.log" >&2
  fail "dpkg -i over the installed package failed"
fi
expect "status after the upgrade" "$(status)" "install ok installed"
expect "the user and group after the upgrade" "$(user_lines)" "$user_before"
expect "settings.cfg after the upgrade" "$(cat "$root/etc/checker/settings.cfg")" "$edited"
expect "/etc/checker/settings.cfg after the upgrade" "$(mode /etc/checker/settings.cfg)" "600 root:root"
expect "systemctl calls on the upgrade" "$(systemctl_calls)" "daemon-reload restart "
expect "$wants after the upgrade" "$(readlink "$root$wants" || true)" /lib/systemd/system/checker.service

rm "$root$wants"  # systemctl disable checker
in_root dpkg -i /tmp/checker.deb >"$root/tmp/install3.log" 2>&1 || { cat "$root/tmp/install3.log" >&2; fail "dpkg -i failed"; }
exists "$wants" && fail "an upgrade enabled the unit that the administrator had disabled"
expect "systemctl calls on the upgrade of a disabled unit" "$(systemctl_calls)" "daemon-reload "
ln -s /lib/systemd/system/checker.service "$root$wants"  # systemctl enable checker

# What a run of the service leaves (StateDirectory=, LogsDirectory=).
mkdir -m 0750 "$root/var/lib/checker" "$root/var/log/checker"
touch "$root/var/lib/checker/data.mdb" "$root/var/log/checker/checker.log"

# --- Remove: the programs go; the conffile, state, logs and user stay; the
# unit is stopped first and masked (a leftover enablement must not start it).
if ! in_root dpkg -r checker >"$root/tmp/remove.log" 2>&1; then
  cat "$root/tmp/remove.log" >&2
  fail "dpkg -r failed"
fi
expect "status after removal" "$(status)" "deinstall ok config-files"
for path in /usr/sbin/checkerd /usr/bin/checker /usr/lib/checker /lib/systemd/system/checker.service; do
  exists "$path" && fail "$path is still there after removal"
done
expect "settings.cfg after removal" "$(cat "$root/etc/checker/settings.cfg" 2>/dev/null)" "$edited"
exists /var/lib/checker/data.mdb || fail "removal deleted the state"
exists /var/log/checker/checker.log || fail "removal deleted the logs"
expect "the user and group after removal" "$(user_lines)" "$user_before"
expect "systemctl calls on removal" "$(systemctl_calls)" "stop daemon-reload "
expect "/etc/systemd/system/checker.service after removal" \
  "$(readlink "$root/etc/systemd/system/checker.service" || true)" /dev/null
in_root ldconfig -p | grep -F "libchecker_job_api.so.1 " >/dev/null && fail "libchecker_job_api.so.1 is still in ld.so.cache"

# --- Purge: the conffile, its directory, the state, the logs and every trace
# of the unit go. The user stays (Debian keeps system users: files it owns
# elsewhere must not pass to a later user given its uid).
if ! in_root dpkg -P checker >"$root/tmp/purge.log" 2>&1; then
  cat "$root/tmp/purge.log" >&2
  fail "dpkg -P failed"
fi
expect "status after purge" "$(status)" ""
for path in /etc/checker /var/lib/checker /var/log/checker /etc/systemd/system/checker.service "$wants" \
            /var/lib/systemd/deb-systemd-helper-enabled/checker.service.dsh-also \
            /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/checker.service \
            /var/lib/systemd/deb-systemd-helper-masked/checker.service; do
  exists "$path" && fail "$path is still there after purge"
done
expect "the user and group after purge" "$(user_lines)" "$user_before"

if [ "$failures" -gt 0 ]; then
  echo "package_install_test: $failures failure(s)" >&2
  exit 1
fi
echo "package_install_test: ok"
