#!/usr/bin/env bash
# The Debian package as dpkg sees it (fixture: stage_package.sh deb OUT):
# its file list and modes, control fields and dependencies, conffiles,
# maintainer scripts, the systemd unit (systemd-analyze verify, when there
# is one), and no trace of the build (no build paths, no RPATH, no test or
# benchmark programs).
#
#   package_contents_test.sh OUT VERSION BUILD_DIR SOURCE_DIR
set -euo pipefail

out=$1 version=$2 build=$3 source=$4
deb=$out/checker_${version}_amd64.deb
root=$out/root
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# contains FILE TEXT: FILE has a line containing TEXT (fixed string).
contains() {
  grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks: $2"
}

[ -f "$deb" ] || { echo "FAIL: no $deb (see the fixture's output)" >&2; exit 1; }
echo "package: $deb, $(stat -c %s "$deb") bytes"

# --- Files: exactly these, with these modes and owners.
dpkg-deb -c "$deb" | awk '{ sub(/^\.\//, "", $6); sub(/\/$/, "", $6); if ($6 != "") print $1, $2, $6 }' |
  sort -k3 >"$work/list"
cat >"$work/expected" <<LIST
drwxr-xr-x root/root etc
drwxr-xr-x root/root etc/checker
-rw------- root/root etc/checker/settings.cfg
drwxr-xr-x root/root lib
drwxr-xr-x root/root lib/systemd
drwxr-xr-x root/root lib/systemd/system
-rw-r--r-- root/root lib/systemd/system/checker.service
drwxr-xr-x root/root usr
drwxr-xr-x root/root usr/bin
-rwxr-xr-x root/root usr/bin/checker
drwxr-xr-x root/root usr/include
drwxr-xr-x root/root usr/include/checker
drwxr-xr-x root/root usr/include/checker/jobs
-rw-r--r-- root/root usr/include/checker/jobs/job_base.h
-rw-r--r-- root/root usr/include/checker/jobs/plugin.h
drwxr-xr-x root/root usr/lib
drwxr-xr-x root/root usr/lib/checker
-rwxr-xr-x root/root usr/lib/checker/checker-mailer
-rw-r--r-- root/root usr/lib/checker/checker-net-jobs.so
-rwxr-xr-x root/root usr/lib/checker/checker-peerd
-rwxr-xr-x root/root usr/lib/checker/checker-worker
drwxr-xr-x root/root usr/lib/checker/plugins
drwxr-xr-x root/root usr/lib/x86_64-linux-gnu
lrwxrwxrwx root/root usr/lib/x86_64-linux-gnu/libchecker_job_api.so
-rw-r--r-- root/root usr/lib/x86_64-linux-gnu/libchecker_job_api.so.$version
lrwxrwxrwx root/root usr/lib/x86_64-linux-gnu/libchecker_job_api.so.1
drwxr-xr-x root/root usr/lib/x86_64-linux-gnu/pkgconfig
-rw-r--r-- root/root usr/lib/x86_64-linux-gnu/pkgconfig/checker-job-api.pc
drwxr-xr-x root/root usr/sbin
-rwxr-xr-x root/root usr/sbin/checkerd
drwxr-xr-x root/root usr/share
drwxr-xr-x root/root usr/share/doc
drwxr-xr-x root/root usr/share/doc/checker
-rw-r--r-- root/root usr/share/doc/checker/README.md
-rw-r--r-- root/root usr/share/doc/checker/architecture.md
-rw-r--r-- root/root usr/share/doc/checker/changelog.gz
-rw-r--r-- root/root usr/share/doc/checker/cli.md
-rw-r--r-- root/root usr/share/doc/checker/copyright
-rw-r--r-- root/root usr/share/doc/checker/configuration.md
-rw-r--r-- root/root usr/share/doc/checker/decisions.md
drwxr-xr-x root/root usr/share/doc/checker/examples
-rw-r--r-- root/root usr/share/doc/checker/examples/ExampleCheck.cpp
drwxr-xr-x root/root usr/share/lintian
drwxr-xr-x root/root usr/share/lintian/overrides
-rw-r--r-- root/root usr/share/lintian/overrides/checker
drwxr-xr-x root/root usr/share/man
drwxr-xr-x root/root usr/share/man/man1
-rw-r--r-- root/root usr/share/man/man1/checker.1.gz
drwxr-xr-x root/root usr/share/man/man8
-rw-r--r-- root/root usr/share/man/man8/checkerd.8.gz
LIST
sort -k3 -o "$work/expected" "$work/expected"
if ! diff -u "$work/expected" "$work/list" >"$work/diff"; then
  fail "the file list differs from the expected one (- expected, + in the package):"
  cat "$work/diff" >&2
fi
[ "$(readlink "$root/usr/lib/x86_64-linux-gnu/libchecker_job_api.so.1")" = "libchecker_job_api.so.$version" ] ||
  fail "libchecker_job_api.so.1 does not point to libchecker_job_api.so.$version"

# --- Every program on the PATH has its manual page (section 1 for bin, 8
# for sbin), gzipped, made from its own --help: it renders without a
# warning and holds what --help says (the options, the exit codes).
for program in "$root"/usr/bin/* "$root"/usr/sbin/*; do
  name=$(basename "$program")
  case "$program" in */sbin/*) section=8 ;; *) section=1 ;; esac
  page=$root/usr/share/man/man$section/$name.$section.gz
  if [ ! -f "$page" ]; then
    fail "$name has no manual page ($page)"
    continue
  fi
  gzip -t "$page" || fail "$page is not gzip"
  gzip -dc "$page" | grep -q "^\.TH ${name^^} $section " || fail "$page has no .TH ${name^^} $section"
  if command -v man >/dev/null; then
    MANWIDTH=200 man --warnings -E UTF-8 -l "$page" >"$work/$name.txt" 2>"$work/$name.warnings" ||
      fail "man cannot render $page"
    [ ! -s "$work/$name.warnings" ] || { fail "man warns about $page:"; cat "$work/$name.warnings" >&2; }
    grep -q -- "-c, --config FILE\|-c FILE " "$work/$name.txt" || fail "$page lacks the -c option of --help"
    grep -q "exit codes:" "$work/$name.txt" || fail "$page lacks the exit codes of --help"
  fi
done
if command -v man >/dev/null; then
  # Each command's own help is in checker(1).
  for command in check-config run-job status reload peers test-email import-state; do
    grep -q "usage: checker $command " "$work/checker.txt" || fail "checker.1 lacks 'checker help $command'"
  done
fi

# --- Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = checker ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
echo "Depends: $depends"
for package in libc6 libuv1 libcapnp- libcurl4 liblmdb0 libhttp-parser libssl3 libstdc++6 libdate-tz3 adduser tzdata; do
  [[ ", $depends" == *", $package"* ]] || fail "Depends lacks $package"
done
# What dh_installsystemd declares for deb-systemd-helper and -invoke.
[ "$(field Pre-Depends)" = "init-system-helpers (>= 1.54~)" ] || fail "Pre-Depends: $(field Pre-Depends)"
for package in libasan libubsan libgtest libgmock; do
  [[ "$depends" != *"$package"* ]] || fail "Depends has $package: a test or sanitizer build was packaged"
done

# The changelog's latest entry is this version: a new version needs its entry
# in packaging/debian/changelog.
changelog_version=$(gzip -dc "$root/usr/share/doc/checker/changelog.gz" | awk -F'[()]' 'NR == 1 {print $2}')
[ "$changelog_version" = "$version" ] ||
  fail "the changelog's latest entry is for '$changelog_version', the package is $version: add an entry to packaging/debian/changelog"

# --- Control files: conffiles, maintainer scripts, ldconfig trigger, shlibs.
dpkg-deb -e "$deb" "$work/control"
c=$work/control
[ "$(cat "$c/conffiles")" = /etc/checker/settings.cfg ] || fail "conffiles: $(cat "$c/conffiles")"
[ "$(cat "$c/triggers")" = "activate-noawait ldconfig" ] || fail "triggers: $(cat "$c/triggers")"
[ "$(cat "$c/shlibs")" = "libchecker_job_api 1 checker (>= $version)" ] || fail "shlibs: $(cat "$c/shlibs")"
for script in postinst prerm postrm; do
  [ -x "$c/$script" ] || fail "$script is not executable"
  head -n1 "$c/$script" | grep -qx '#!/bin/sh' || fail "$script does not start with #!/bin/sh"
  sh -n "$c/$script" || fail "$script: syntax error"
  contains "$c/$script" "set -e"
done
contains "$c/postinst" "adduser --system --group --quiet --no-create-home --home /nonexistent"
contains "$c/postinst" "deb-systemd-helper enable 'checker.service'"
contains "$c/postinst" "deb-systemd-helper unmask 'checker.service'"
contains "$c/postinst" "deb-systemd-invoke \"\$action\" 'checker.service'"
contains "$c/prerm" "deb-systemd-invoke stop 'checker.service'"
contains "$c/postrm" "deb-systemd-helper mask 'checker.service'"
contains "$c/postrm" "deb-systemd-helper purge 'checker.service'"
contains "$c/postrm" "rm -rf /var/lib/checker /var/log/checker"
if command -v shellcheck >/dev/null; then
  shellcheck -s sh "$c/postinst" "$c/prerm" "$c/postrm" || fail "shellcheck found problems in the maintainer scripts"
fi

# --- The unit.
unit=$root/lib/systemd/system/checker.service
contains "$unit" "Type=notify"
contains "$unit" "NotifyAccess=main"
contains "$unit" "WatchdogSec=30s"
contains "$unit" "ExecStart=/usr/sbin/checkerd -c /etc/checker/settings.cfg --job-user checker"
# shellcheck disable=SC2016 # the unit's own $MAINPID, not ours
contains "$unit" 'ExecReload=/bin/kill -HUP $MAINPID'
contains "$unit" "Restart=on-failure"
contains "$unit" "StateDirectory=checker"
contains "$unit" "ConfigurationDirectory=checker"
contains "$unit" "Delegate=yes"
contains "$unit" "ProtectControlGroups=no"
contains "$unit" "NoNewPrivileges=yes"
contains "$unit" "CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL CAP_SYS_ADMIN CAP_NET_RAW CAP_DAC_OVERRIDE CAP_SYS_CHROOT"
contains "$unit" "WantedBy=multi-user.target"
grep -q '^User=' "$unit" && fail "the unit sets User=: workers could not drop to the job user"
# The user postinst makes is the one the unit's checkerd drops jobs to.
grep -q -- "--job-user checker\$" "$unit" || fail "the unit's --job-user is not the package's user"
if command -v systemd-analyze >/dev/null; then
  # verify wants ExecStart's program to exist: the unpacked one stands in.
  sed "s|^ExecStart=/usr/sbin/checkerd|ExecStart=$root/usr/sbin/checkerd|" "$unit" >"$work/checker.service"
  if ! systemd-analyze verify "$work/checker.service" >"$work/verify" 2>&1 || [ -s "$work/verify" ]; then
    fail "systemd-analyze verify:"
    cat "$work/verify" >&2
  fi
else
  echo "package: no systemd-analyze here: the unit is not verified"
fi

# --- The shipped config keeps the service harmless until it is edited.
settings=$root/etc/checker/settings.cfg
contains "$settings" "nomail = yes"
contains "$settings" "listen = 127.0.0.1:5000"
contains "$settings" "statefile = /var/lib/checker"

# --- Nothing of the build: its paths (debug info, __FILE__, RPATH), test
# and benchmark programs.
for path in "$build" "$source"; do
  if grep -rlF -- "$path" "$root" >"$work/leaks"; then
    fail "files that name $path:"
    cat "$work/leaks" >&2
  fi
done
while IFS= read -r -d '' file; do
  if readelf -h "$file" >/dev/null 2>&1; then
    readelf -d "$file" | grep -qE 'RPATH|RUNPATH' && fail "$file has an RPATH/RUNPATH"
    readelf -S "$file" | grep -qF .debug_info && fail "$file has debug info"
  fi
done < <(find "$root" -type f -print0)

if [ "$failures" -gt 0 ]; then
  echo "package_contents_test: $failures failure(s)" >&2
  exit 1
fi
echo "package_contents_test: ok"
