#!/bin/busybox sh
# poisonlab guest init: PID 1 of the initramfs (contract: PROTOCOL.md,
# "Guest environment"). Loads the modules listed in /modules.order, brings
# every present CPU online, mounts the host root read-only over 9p and runs
# the agent chrooted in it, then powers the machine off. Messages go to the
# console, prefixed "poisonlab-init:".
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "poisonlab-init: $*"; }
uptime_s() { read -r up idle < /proc/uptime; echo "$up"; }

power_off() {
  sync
  echo o > /proc/sysrq-trigger
  # sysrq-o completes asynchronously; PID 1 must not exit meanwhile (that
  # would panic the kernel).
  sleep 20
  poweroff -f
  while :; do sleep 60; done
}
fail() { say "$*"; power_off; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
init_start=$(uptime_s)

while read -r module; do
  [ -n "$module" ] || continue
  out=$(insmod "/lib/modules/$module" 2>&1) || say "insmod $module failed: $out"
done < /modules.order
modules_loaded=$(uptime_s)

# The runner boots with maxcpus=1 (runner/target/qemu): under TCG, loading
# the modules on one CPU is about twice as fast (each module's code patching
# synchronizes every online CPU). Everything after this point runs with all
# CPUs, as without it; broadcast machine checks need them all.
for cpu in /sys/devices/system/cpu/cpu[0-9]*; do
  [ -f "$cpu/online" ] || continue
  read -r state < "$cpu/online"
  [ "$state" = 1 ] || echo 1 > "$cpu/online" || fail "cannot bring ${cpu##*/} online"
done
read -r present < /sys/devices/system/cpu/present
read -r online < /sys/devices/system/cpu/online
[ "$present" = "$online" ] || fail "CPUs $present present but only $online online"
cpus_online=$(uptime_s)

# The host root is read-only to the guest, so caching it loosely is safe.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host \
  || fail "cannot mount 9p tag hostroot at /host"
for d in proc sys dev; do
  mount --bind "/$d" "/host/$d" || fail "cannot bind-mount /$d into /host"
done
mount -t tmpfs -o mode=1777 tmpfs /host/tmp || fail "cannot mount tmpfs at /host/tmp"
mount -t tmpfs -o mode=0755 tmpfs /host/run || fail "cannot mount tmpfs at /host/run"
mkdir -p /host/run/poisonlab/out
# The run directory is written by the guest and read by the host: no cache.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 rundir /host/run/poisonlab/out \
  || fail "cannot mount 9p tag rundir at /run/poisonlab/out"
mkdir -p /host/run/poisonlab/agent
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 agentdir /host/run/poisonlab/agent \
  || fail "cannot mount 9p tag agentdir at /run/poisonlab/agent"
mount -t debugfs debugfs /host/sys/kernel/debug || say "cannot mount debugfs"
mount -t tracefs tracefs /host/sys/kernel/tracing || say "cannot mount tracefs"
printf 'init_start %s\nmodules_loaded %s\ncpus_online %s\n' "$init_start" "$modules_loaded" "$cpus_online" \
  > /host/run/poisonlab/init-times
say "boot: init at ${init_start} s, modules loaded at ${modules_loaded} s, CPUs $online online at ${cpus_online} s, agent starting at $(uptime_s) s"

agent=
port=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    poisonlab.agent=*) agent=${arg#poisonlab.agent=} ;;
    poisonlab.port=*) port=${arg#poisonlab.port=} ;;
  esac
done
[ -n "$agent" ] || fail "no poisonlab.agent=NAME on the kernel command line"
case "$agent" in */*) fail "poisonlab.agent=$agent is not a file name" ;; esac
agent=/run/poisonlab/agent/$agent
[ -f "/host$agent" ] && [ -x "/host$agent" ] || fail "agent $agent is missing or not executable (9p tag agentdir)"
[ -n "$port" ] || fail "no poisonlab.port=NAME on the kernel command line"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
chroot /host "$agent" --port "$port"
status=$?
say "agent exited with status $status"
power_off
