#!/usr/bin/env bash
# softroce_vm.sh: runs one command inside a throwaway QEMU VM whose Debian kernel provides
# soft-RoCE (rdma_rxe), so that the verbs transport meets a real verbs stack on machines
# without an RDMA NIC. Exit status: the command's; 77 when the VM cannot be had here (no QEMU
# or helper tools, no Debian kernel package obtainable, or the VM too slow to boot); 124 when
# the command outlives --timeout; 125 when the VM failed.
#
# Usage: tests/hw/softroce_vm.sh [-C DIR] [--share PATH]... [--boot-timeout S] [--timeout S]
#        -- 'command'
#
# Inside the VM the host's / is mounted read-only (host binaries and libraries run as they
# are) and DIR (default: the current directory) read-write at its own path; the command runs
# in DIR under bash. The VM's /tmp, /run, /var/tmp and /root are fresh and empty: a host
# directory below them that the command needs (a source or build tree cloned into /tmp) must
# be named with --share PATH, and is then seen read-only at its own path. Two soft-RoCE devices exist: rxe0 on dummy0 (192.0.2.1, GID 1 =
# ::ffff:192.0.2.1) and rxe_lo on lo (GID 1 = ::ffff:127.0.0.1). The VM has no network card,
# so nothing it does leaves it.
#
# Needs (scripts/setup installs them): qemu-system-x86, busybox-static, cpio, kmod, iproute2
# (the rdma tool), ibverbs-providers (the rxe provider) and, once, apt access to the Debian
# archive: the kernel package (linux-image-*-amd64, ~70 MB) is downloaded and turned into a
# kernel + initramfs cached in $FABRICSIM_VM_CACHE (default ~/.cache/fabricsim/softroce-vm).
# Environment: FABRICSIM_VM_QEMU (the QEMU binary), FABRICSIM_VM_ACCEL (default tcg,thread=multi; KVM is not assumed to work),
# FABRICSIM_VM_CPUS (2), FABRICSIM_VM_MEM_MB (1024).
set -euo pipefail

skip() {
  echo "softroce_vm: SKIPPED: $*" >&2
  exit 77
}

dir=$PWD
shares=
boot_timeout=180
timeout=900
while [ $# -gt 0 ]; do
  case "$1" in
    -C) dir=$2; shift 2 ;;
    --share) shares="$shares:$(realpath "$2")"; shift 2 ;;
    --boot-timeout) boot_timeout=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ]; then
  echo "usage: softroce_vm.sh [-C DIR] [--share PATH]... [--boot-timeout S] [--timeout S]" \
    "-- 'command'" >&2
  exit 2
fi
command_line=$1
mkdir -p "$dir"
dir=$(realpath "$dir")

# ---- what the host must have
qemu=$(command -v "${FABRICSIM_VM_QEMU:-qemu-system-x86_64}" || true)
[ -n "$qemu" ] || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
for tool in cpio depmod modprobe dpkg-deb apt-get apt-cache rdma gzip; do
  command -v "$tool" >/dev/null || PATH=$PATH:/sbin:/usr/sbin command -v "$tool" >/dev/null ||
    skip "$tool not found (scripts/setup installs what the VM test needs)"
done
export PATH=$PATH:/sbin:/usr/sbin
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
  skip "/bin/busybox is missing or not the static busybox (apt-get install busybox-static)"
fi
ls /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so >/dev/null 2>&1 ||
  skip "the soft-RoCE verbs provider is missing (apt-get install ibverbs-providers)"

# ---- the cached kernel and initramfs (built once, under a lock)
cache=${FABRICSIM_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fabricsim/softroce-vm}
mkdir -p "$cache"
# Bumped whenever the image (its init script, its modules) changes: older caches are rebuilt.
image_format=2
modules="crc32_generic crc32-pclmul virtio_pci 9pnet_virtio 9p dummy rdma_rxe ib_uverbs"

build_image() {
  local work package version
  work=$(mktemp -d "$cache/build.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  package=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
  [ -n "$package" ] || { echo "no linux-image-amd64 in the apt lists (apt-get update?)"; return 1; }
  (cd "$work" && apt-get download "$package" >/dev/null 2>&1) ||
    { echo "apt-get download $package failed (no access to the Debian archive?)"; return 1; }
  mkdir "$work/kernel" "$work/root"
  dpkg-deb -x "$work"/*.deb "$work/kernel"
  version=$(ls "$work/kernel/lib/modules")
  depmod -b "$work/kernel" "$version"
  # The modules and everything they depend on, at their paths under lib/modules.
  # crc32_generic is listed although no module declares it: rdma_rxe asks the crypto API for
  # "crc32" at run time, and without an implementation `rdma link add` fails with ENOENT.
  for m in $modules; do
    modprobe -d "$work/kernel" -S "$version" --show-depends "$m" || true
  done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r path; do
    local rel=${path#"$work/kernel/"}
    mkdir -p "$work/root/$(dirname "$rel")"
    cp "$path" "$work/root/$rel"
  done
  cp "$work/kernel/lib/modules/$version"/modules.{order,builtin,builtin.modinfo} \
    "$work/root/lib/modules/$version/"
  depmod -b "$work/root" "$version"
  mkdir -p "$work/root"/{bin,dev,proc,sys,host}
  cp /bin/busybox "$work/root/bin/busybox"
  echo "$modules" >"$work/root/modules"
  cat >"$work/root/init" <<'INIT'
#!/bin/busybox sh
# The VM's first process: load soft-RoCE, mount the host and the work folder over 9p, create
# the rxe devices, run the command in a chroot of the host's /, report its status, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules); do modprobe "$m" || echo "softroce_vm: modprobe $m failed"; done
param() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro" hostroot /host || { echo "softroce_vm: cannot mount the host"; poweroff -f; }
for d in proc sys dev; do mount --bind "/$d" "/host/$d"; done
# Shared host paths stay reachable through the fresh tmpfs mounts below.
shares=$(param fabricsim_share | tr ':' ' ')
i=0
for s in $shares; do
  mkdir -p "/keep/$i" && mount --bind "/host$s" "/keep/$i"
  i=$((i + 1))
done
for d in tmp run var/tmp root; do mount -t tmpfs tmpfs "/host/$d"; done
i=0
for s in $shares; do
  mkdir -p "/host$s" 2>/dev/null  # below a tmpfs: create the mount point
  mount --bind "/keep/$i" "/host$s" || echo "softroce_vm: cannot share $s"
  i=$((i + 1))
done
mkdir -p /host/run/softroce_vm
mount -t 9p -o "$opts" control /host/run/softroce_vm
work=$(param fabricsim_dir)
mkdir -p "/host$work" 2>/dev/null  # below a tmpfs (/tmp): create the mount point
mount -t 9p -o "$opts" work "/host$work"
ip link set lo up
ip link set dummy0 up
ip addr add 192.0.2.1/24 dev dummy0
chroot /host rdma link add rxe0 type rxe netdev dummy0
chroot /host rdma link add rxe_lo type rxe netdev lo
: >/host/run/softroce_vm/booted
chroot /host /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
  /bin/bash -c 'cd "$1" && bash /run/softroce_vm/command.sh; echo $? >/run/softroce_vm/status' \
  softroce_vm "$work"
sync
poweroff -f
INIT
  chmod +x "$work/root/init"
  cp "$work/kernel/boot/vmlinuz-$version" "$cache/vmlinuz.tmp"
  (cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$cache/initrd.gz.tmp"
  mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
  mv "$cache/initrd.gz.tmp" "$cache/initrd.gz"
  echo "$version" >"$cache/version"
  echo "$image_format" >"$cache/format"
}

exec 9>"$cache/lock"
flock 9
if [ ! -f "$cache/version" ] || [ "$(cat "$cache/format" 2>/dev/null)" != "$image_format" ]; then
  echo "softroce_vm: building the VM image in $cache (once)" >&2
  # In the background so that `set -e` holds inside build_image (it would not under `||`).
  build_image >"$cache/build.log" 2>&1 &
  wait $! || skip "cannot build the VM image: $(tail -n 1 "$cache/build.log")"
fi
flock -u 9

# ---- boot, wait for the guest to report it booted, then for the command
control=$(mktemp -d /tmp/softroce_vm.XXXXXX)
qemu_pid=
cleanup() {
  if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$control"
}
trap cleanup EXIT
printf '%s\n' "$command_line" >"$control/command.sh"
"$qemu" -accel "${FABRICSIM_VM_ACCEL:-tcg,thread=multi}" -cpu max \
  -smp "${FABRICSIM_VM_CPUS:-2}" -m "${FABRICSIM_VM_MEM_MB:-1024}" \
  -nodefaults -no-reboot -display none -vga none -serial stdio -monitor none -nic none \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.gz" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 clocksource=tsc tsc=reliable fabricsim_dir=$dir fabricsim_share=${shares#:}" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$control",mount_tag=control,security_model=none \
  -virtfs local,path="$dir",mount_tag=work,security_model=none,multidevs=remap \
  </dev/null > >(tr -d '\r' | grep -v --line-buffered 'reboot: Power down') 2>&1 &
qemu_pid=$!
started=$SECONDS
while [ ! -f "$control/booted" ]; do
  if ! kill -0 "$qemu_pid" 2>/dev/null; then
    echo "softroce_vm: the VM stopped before it was ready" >&2
    exit 125
  fi
  if [ $((SECONDS - started)) -ge "$boot_timeout" ]; then
    skip "the VM did not boot within ${boot_timeout} s (QEMU's TCG emulation too slow here)"
  fi
  sleep 0.2
done
echo "softroce_vm: booted in $((SECONDS - started)) s" >&2
while kill -0 "$qemu_pid" 2>/dev/null; do
  if [ $((SECONDS - started)) -ge "$timeout" ]; then
    echo "softroce_vm: the command did not finish within ${timeout} s" >&2
    exit 124
  fi
  sleep 0.2
done
wait "$qemu_pid" || true
qemu_pid=
[ -f "$control/status" ] || { echo "softroce_vm: the VM did not report a status" >&2; exit 125; }
exit "$(cat "$control/status")"
