# shellcheck shell=bash
# Sourced by the tests that install the package for real
# (package_install_test.sh, package_existing_user_test.sh,
# package_systemd_test.sh): they run the real dpkg on the real .deb, so its
# maintainer scripts and adduser run for real, in a throwaway copy of this
# machine's root. As root:
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
# up, so nothing started there can reach or be reached. After it, the host
# side checks that the real machine is as it was: the user and group
# `checker` in the passwd files, the package's state in dpkg's database, the
# package's paths.
#
# throwaway_root_boot (set throwaway_boot=yes before throwaway_root_enter)
# boots the copy with a real systemd as its PID 1, in systemd-nspawn: a
# container keeps systemd off the host's kernel settings (/proc/sys and
# /sys read-only, no binfmt or module loading), /dev and hostname. nspawn
# runs in a cgroup of the test's own (in the v2 and name=systemd
# hierarchies, where it makes the container's), which the host side
# removes afterwards.
#
# Needs unshare (util-linux), overlayfs and chroot, all on any Debian 12;
# the boot also systemd-nspawn (package systemd-container).

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

# The directories of this process's cgroup in the hierarchies where nspawn
# makes a container's: cgroup v2's and, on a v1 or hybrid host, name=systemd.
throwaway_cgroup_dirs() {
  local controllers path v2="" named="" line mount_root mount_point fstype options
  while IFS=: read -r _ controllers path; do
    case "$controllers" in
      "") v2=$path ;;
      name=systemd) named=$path ;;
    esac
  done </proc/self/cgroup
  while IFS= read -r line; do
    read -r _ _ _ mount_root mount_point _ <<<"$line"
    read -r fstype _ options <<<"${line#* - }"
    if [ "$fstype" = cgroup2 ] && [ -n "$v2" ]; then
      echo "${mount_point%/}${v2#"${mount_root%/}"}"
    elif [ "$fstype" = cgroup ] && [[ ",$options," == *,name=systemd,* ]] && [ -n "$named" ]; then
      echo "${mount_point%/}${named#"${mount_root%/}"}"
    fi
  done </proc/self/mountinfo
}

throwaway_root_enter() {
  if [ "${CHECKER_THROWAWAY_ROOT:-}" = "" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "FAIL: $(basename "$0") installs the package in a throwaway root: it needs root" >&2
      exit 1
    fi
    local base before after status=0 dir cgroups=()
    before=$(throwaway_host_fingerprint)
    base=$(mktemp -d "${TMPDIR:-/tmp}/checker-throwaway.XXXXXX")
    if [ "${throwaway_boot:-}" = yes ]; then
      while IFS= read -r dir; do
        dir=${dir%/}/checker-throwaway-$$
        mkdir "$dir" || { rmdir "$base"; exit 1; }
        cgroups+=("$dir")
      done < <(throwaway_cgroup_dirs)
    fi
    CHECKER_THROWAWAY_ROOT=$base CHECKER_THROWAWAY_CGROUPS="${cgroups[*]}" \
      unshare --mount --propagation private --pid --net --fork --kill-child /bin/bash "$0" "$@" || status=$?
    # The pid namespace is gone, and every process in it: its cgroups are
    # empty (the kernel may take a moment to say so).
    for dir in "${cgroups[@]}"; do
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [ -d "$dir" ] || break
        sleep 0.2
      done
      [ -d "$dir" ] && { echo "FAIL: cannot remove the cgroup $dir" >&2; status=1; }
    done
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
  mount -t proc proc /proc  # this pid namespace's
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

# throwaway_root_boot TARGET: boots the throwaway root in systemd-nspawn,
# systemd starting TARGET (and what it needs) instead of the default
# target, and waits until the boot is done (at most 60 s). Then
# in_container runs commands in it. Its console goes to $root.console
# (outside the container). The container ends with the test's pid
# namespace; throwaway_root_halt shuts it down before.
throwaway_root_boot() {
  local target=$1 dir pid
  if ! command -v systemd-nspawn >/dev/null; then
    echo "FAIL: systemd-nspawn is missing (package systemd-container): run packaging/install-deps --test" >&2
    exit 1
  fi
  # nspawn mounts its own /dev, /proc, /run and /tmp; /run/systemd on the
  # host side is where it keeps its locks: a private one.
  umount -R "$root/dev" "$root/proc" "$root/run" "$root/tmp"
  mount -t tmpfs -o mode=0755 throwaway /run/systemd
  (
    for dir in ${CHECKER_THROWAWAY_CGROUPS:-}; do echo "$BASHPID" >"$dir/cgroup.procs"; done
    exec systemd-nspawn --quiet --directory="$root" --register=no --keep-unit --link-journal=no \
      --private-network --boot --console=pipe -- --unit="$target"
  ) </dev/null >"$root.console" 2>&1 &
  nspawn_pid=$!
  # The container's PID 1: nspawn's child (in this pid namespace's numbers).
  container_pid=""
  for _ in $(seq 1 200); do
    for pid in /proc/[0-9]*; do
      if [ "$(awk '{print $4}' "$pid/stat" 2>/dev/null)" = "$nspawn_pid" ] &&
         [ "$(cat "$pid/comm" 2>/dev/null)" = systemd ]; then
        container_pid=${pid#/proc/}
      fi
    done
    [ -n "$container_pid" ] && break
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$container_pid" ]; then
    echo "FAIL: systemd-nspawn did not start systemd; its output:" >&2
    cat "$root.console" >&2
    exit 1
  fi
  # systemctl needs systemd's socket, which it makes early in the boot.
  local state
  for _ in $(seq 1 300); do
    in_container test -S /run/systemd/private && break
    sleep 0.1
  done
  state=$(in_container timeout 60 systemctl is-system-running --wait 2>&1 || true)
  if [ "$state" != running ]; then
    echo "FAIL: the container's systemd: '$state' after booting; its failed units:" >&2
    in_container systemctl --failed --no-pager >&2 || true
    cat "$root.console" >&2
    exit 1
  fi
}

# in_container COMMAND...: COMMAND run in the booted container.
in_container() {
  nsenter --target "$container_pid" --mount --uts --ipc --net --pid --root --wd -- "$@"
}

# Shuts the container down as systemd does (nspawn turns SIGTERM into a
# halt request); SIGKILL after 20 s.
throwaway_root_halt() {
  kill -TERM "$nspawn_pid" 2>/dev/null || return 0
  for _ in $(seq 1 200); do
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$nspawn_pid" 2>/dev/null || true
  wait "$nspawn_pid" 2>/dev/null || true
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
