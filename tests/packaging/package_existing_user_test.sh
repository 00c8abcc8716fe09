#!/usr/bin/env bash
# Installing the package where a user `checker` exists already, with the real
# dpkg in a throwaway copy of this machine's root (throwaway_root.sh):
#   - a system user (what a purged earlier installation leaves): postinst
#     reuses it, uid and all;
#   - an ordinary user (a person called checker): postinst refuses it, so the
#     installation stops half-configured. Taking it would run every job as
#     that person, able to read and change their files.
#
#   package_existing_user_test.sh OUT VERSION   (fixture: stage_package.sh deb OUT)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=throwaway_root.sh
. "$(dirname "$0")/throwaway_root.sh"
throwaway_root_enter "$@"

out=$1 version=$2
throwaway_root_without_checker "$out/checker_${version}_amd64.deb"
# shellcheck disable=SC2016 # dpkg-query's ${field}, not ours
status() { in_root dpkg-query -W -f='${Status}' checker 2>/dev/null || true; }

# --- A system user checker, left by an earlier installation.
in_root adduser --system --group --quiet --no-create-home --home /nonexistent checker
before=$(in_root getent passwd checker)
if ! in_root dpkg -i /tmp/checker.deb >"$root/tmp/install.log" 2>&1; then
  cat "$root/tmp/install.log" >&2
  fail "dpkg -i failed beside an existing system user checker"
fi
expect "status beside an existing system user" "$(status)" "install ok installed"
expect "the existing system user" "$(in_root getent passwd checker)" "$before"
in_root dpkg -P checker >/dev/null
in_root deluser --system --quiet checker >/dev/null 2>&1  # says: no cron, no crontab removal
in_root delgroup --system --quiet checker

# --- An ordinary user checker.
in_root adduser --quiet --disabled-password --gecos "Checker, a person" checker >/dev/null
before=$(in_root getent passwd checker)
if in_root dpkg -i /tmp/checker.deb >"$root/tmp/install.log" 2>&1; then
  fail "dpkg -i succeeded beside an ordinary user checker (uid $(in_root id -u checker)): jobs would run as them"
fi
expect "status beside an ordinary user" "$(status)" "install ok half-configured"
grep -qF "already exists, but is not a system user" "$root/tmp/install.log" ||
  { fail "postinst did not say why it stopped:"; cat "$root/tmp/install.log" >&2; }
expect "the ordinary user checker" "$(in_root getent passwd checker)" "$before"

if [ "$failures" -gt 0 ]; then
  echo "package_existing_user_test: $failures failure(s)" >&2
  exit 1
fi
echo "package_existing_user_test: ok"
