# shellcheck shell=bash
# Sourced by the tests that install the package for real
# (package_install_test.sh, package_existing_user_test.sh): they run the
# real dpkg on the real .deb, so its maintainer scripts and adduser run for
# real, in a throwaway copy of this machine's root. As root:
#
#   . throwaway_root.sh
#   throwaway_root_enter "$@"   # on the host: re-runs the script in the
#                               # namespaces below, then checks the host;
#                               # in there: makes the copy and returns
#   in_root dpkg -i /tmp/checker.deb
#
# The copy: private mount, pid and network namespaces (unshare), in which an
# overlay of / (lower: the real /, never written; upper: a tmpfs) is mounted
# at $root, with /dev, a /proc of the new pid namespace, an empty /run and
# /tmp (so /run/systemd/system is absent unless a test makes it). Every
# write of dpkg, adduser and the scripts lands in the tmpfs, which goes when
# the namespaces' last process does: the pid namespace's first process is
# killed when the test's unshare dies (--kill-child), and every process
# started in the namespace with it; the network namespace has no interface
# up, so nothing started there can reach or be reached. After it, the host side checks that the real machine is as it
# was: the user and group `checker` in the passwd files, the package's
# state in dpkg's database, the package's paths.
#
# Needs unshare (util-linux), overlayfs and chroot: all on any Debian 12.

throwaway_host_paths=(/etc/checker /var/lib/checker /var/log/checker /usr/sbin/checkerd /usr/bin/checker
                      /usr/lib/checker /lib/systemd/system/checker.service /etc/systemd/system/checker.service
                      /etc/systemd/system/multi-user.target.wants/checker.service
                      /var/lib/systemd/deb-systemd-helper-enabled/checker.service.dsh-also
                      /var/lib/systemd/deb-systemd-helper-masked/checker.service
                      /var/lib/dpkg/info/checker.list /var/lib/dpkg/info/checker.postinst)

# What the tests could have changed on the real machine, if the copy leaked.
# Only the package's own traces: other programs may add users or packages
# meanwhile.
throwaway_host_fingerprint() {
  local file path
  for file in /etc/passwd /etc/group /etc/shadow /etc/gshadow; do
    echo "$file: $(grep '^checker:' "$file" || true)"
  done
  echo "dpkg: $(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' checker 2>/dev/null || true)"
  for path in "${throwaway_host_paths[@]}"; do
    if [ -e "$path" ] || [ -L "$path" ]; then echo "exists: $path"; fi
  done
}

throwaway_root_enter() {
  if [ "${CHECKER_THROWAWAY_ROOT:-}" = "" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "FAIL: $(basename "$0") installs the package in a throwaway root: it needs root" >&2
      exit 1
    fi
    local base before after status=0
    before=$(throwaway_host_fingerprint)
    base=$(mktemp -d "${TMPDIR:-/tmp}/checker-throwaway.XXXXXX")
    CHECKER_THROWAWAY_ROOT=$base unshare --mount --propagation private --pid --net --fork --kill-child \
      /bin/bash "$0" "$@" || status=$?
    # Empty unless the namespace's mounts leaked: then rm must not follow them.
    rmdir "$base/mnt" "$base" || { echo "FAIL: $base is not empty after the test" >&2; status=1; }
    after=$(throwaway_host_fingerprint)
    if [ "$before" != "$after" ]; then
      echo "FAIL: the real machine changed (- before, + after):" >&2
      diff <(echo "$before") <(echo "$after") >&2
      status=1
    fi
    exit "$status"
  fi
  # In the namespaces. A command that fails where the test did not expect it
  # ends the test: say which.
  trap 'echo "FAIL: $(basename "$0") stopped at line $LINENO: $BASH_COMMAND" >&2' ERR
  local base=$CHECKER_THROWAWAY_ROOT
  mkdir "$base/mnt"
  mount -t tmpfs -o mode=0755 throwaway "$base/mnt"
  mkdir "$base/mnt/upper" "$base/mnt/work" "$base/mnt/root"
  root=$base/mnt/root
  mount -t overlay throwaway -o "lowerdir=/,upperdir=$base/mnt/upper,workdir=$base/mnt/work" "$root"
  mount --rbind /dev "$root/dev"
  mount -t proc proc "$root/proc"
  mount -t tmpfs -o mode=0755 throwaway "$root/run"
  mount -t tmpfs -o mode=1777 throwaway "$root/tmp"
  export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
}

# in_root COMMAND...: COMMAND run in the throwaway root.
in_root() {
  chroot "$root" "$@"
}

# Makes the throwaway root a machine that never had checker, whatever this
# one has, and puts the package in its /tmp/checker.deb.
throwaway_root_without_checker() {
  local deb=$1
  [ -f "$deb" ] || { echo "FAIL: no $deb (see the fixture's output)" >&2; exit 1; }
  cp "$deb" "$root/tmp/checker.deb"
  if in_root dpkg-query -W checker >/dev/null 2>&1; then in_root dpkg --purge checker >/dev/null; fi
  if in_root getent passwd checker >/dev/null; then in_root deluser --system --quiet checker >/dev/null 2>&1; fi
  if in_root getent group checker >/dev/null; then in_root delgroup --system --quiet checker; fi
}

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# expect WHAT GOT WANTED: WHAT is WANTED.
expect() {
  [ "$2" = "$3" ] || fail "$1: '$2', expected '$3'"
}
