#!/bin/sh
# Runs inside the guest (as the "agent" the guest init starts, chrooted in
# the host root) for the vm.local-target test: the guest's emulated NVDIMMs
# play a lab machine's pmem. It makes fsdax namespaces with ndctl, then runs
# `poisonlab run --target local` once to run cells and four times to be
# refused; every exit status goes to $out/rc ("NAME STATUS" lines). The
# init powers the machine off when this script ends.
# @POISONLAB_BINARY@ is replaced by the host test with the copy in the
# agent share (the build folder itself may not be visible in the guest).
poisonlab=@POISONLAB_BINARY@
out=/run/poisonlab/out
scenarios=$out/scenarios
exec > "$out/script.log" 2>&1
set -x
note() { echo "$1 $2" >> "$out/rc"; }

ndctl create-namespace -f -e namespace0.0 -m fsdax -M mem -a 2M > "$out/namespace0.json"; note namespace0 $?
ndctl create-namespace -f -e namespace1.0 -m fsdax -M mem -a 2M > "$out/namespace1.json"; note namespace1 $?
cp /proc/iomem "$out/iomem.txt"

run() {
  name=$1; shift
  "$poisonlab" run "$@" > "$out/$name.out" 2>&1
  note "$name" $?
}

# The cells, on /dev/pmem0 (named through a symlink: allowed by its real path).
ln -s /dev/pmem0 /tmp/lab-pmem
run cells "$scenarios/local-methods.json" --target local --allow-device /tmp/lab-pmem --device /dev/pmem0 --out "$out/cells"
# The local target wipes the file system it made: the device is blank again.
blkid -p /dev/pmem0 > "$out/blkid-after-cells.txt" 2>&1; note blkid_after_cells $?

# Refusals: each must leave no run behind.
run not_allowed "$scenarios/local-madvise.json" --target local --allow-device /dev/pmem0 --device /dev/pmem1 --out "$out/not-allowed"
mkfs.xfs -f -q /dev/pmem0; note mkfs $?
# Allowed through a second node of the device (same major:minor): the
# refusal is the signature's, not the allow list's.
mknod /tmp/lab-pmem-node b $(stat -c '%t %T' /dev/pmem0 | while read -r maj min; do echo $((0x$maj)) $((0x$min)); done)
run signature "$scenarios/local-madvise.json" --target local --allow-device /tmp/lab-pmem-node --device /dev/pmem0 --out "$out/signature"
mkdir -p /tmp/lab-mnt && mount -o dax=always /dev/pmem0 /tmp/lab-mnt; note mount $?
run mounted "$scenarios/local-madvise.json" --target local --allow-device /dev/pmem0 --force --out "$out/mounted"
# The agent checks again by itself, whoever starts it.
"$(dirname "$poisonlab")/poisonlab-agent" --local --allow-device /dev/pmem0 --force \
  --run-cell "$scenarios/local-madvise.json" --out /tmp/observation.json > "$out/agent_mounted.out" 2>&1
note agent_mounted $?
umount /tmp/lab-mnt
run system_ram "$scenarios/local-system-ram.json" --target local --allow-device /dev/pmem0 --force --out "$out/system-ram"
note done 0
