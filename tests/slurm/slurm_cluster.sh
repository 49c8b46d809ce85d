#!/bin/bash
# A private single-node Slurm on localhost for the tests, independent of any
# system Slurm or MUNGE (Debian's packages may have started theirs): its own
# munge key and socket, its own slurm.conf, state, spool and log folders, all
# in DIR, and ports no other Slurm uses. Needs root (slurmd runs jobs as the
# submitting user) and Debian's slurm-wlm and munge.
#
#   slurm_cluster.sh start DIR [OWNER_PID]
#                                start munged, slurmctld, slurmd; wait until
#                                the node is idle and `sbatch --wrap hostname`
#                                runs; write DIR/env (export SLURM_CONF=...).
#                                With OWNER_PID, a watcher stops the cluster
#                                when that process ends (a killed test leaves
#                                no daemons behind).
#   slurm_cluster.sh stop DIR    stop all three (by the pids they recorded)
#   slurm_cluster.sh check       exit 77 if a program is missing (test skip)
#
# Clients talk to this cluster with SLURM_CONF=DIR/slurm.conf.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

programs=(munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol)

die() { echo "slurm_cluster.sh: $*" >&2; exit 1; }

check_programs() {
  local missing=()
  for p in "${programs[@]}"; do command -v "$p" >/dev/null || missing+=("$p"); done
  if ((${#missing[@]})); then
    echo "slurm_cluster.sh: missing ${missing[*]} (Debian packages slurm-wlm, munge; run ./setup.sh)" >&2
    return 77
  fi
}

# Two consecutive TCP ports nothing listens on, from a range away from
# Slurm's defaults (6817-6819).
free_port_pair() {
  local used port
  used=$(ss -Htln | awk '{print $4}' | sed 's/.*://' | sort -u)
  for ((port = 26817 + RANDOM % 2000 * 2; port < 40000; port += 2)); do
    if ! grep -qx -e "$port" -e "$((port + 1))" <<<"$used"; then echo "$port"; return; fi
  done
  die "no free port pair found"
}

write_conf() {
  local dir=$1 host=$2 port=$3 cpus mem_mib
  cpus=$(nproc)
  # slurmd drains a node that has less memory than RealMemory: leave a margin.
  mem_mib=$(awk '/^MemTotal:/ {m = int($2 / 1024) - 512; print (m > 1024 ? m : 1024)}' /proc/meminfo)
  : >"$dir/plugstack.conf"
  cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/slurm_cluster.sh: a private single-node cluster.
ClusterName=poisonlab-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay in squeue -t all long enough to read their state.
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  local dir=$1
  mkdir -p "$dir/munge"
  chmod 700 "$dir/munge"
  mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 \
    || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
    || die "munged did not start: $(tail -n 5 "$dir/log/munged.log" 2>/dev/null)"
}

# Runs "$@" until it succeeds, at most $1 seconds.
retry_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

node_idle() { [[ "$(sinfo -h -N -o '%T' 2>/dev/null)" == idle* ]]; }

hostname_job_runs() {
  local dir=$1 id state
  id=$(sbatch --parsable --job-name=fixture-check --mem=64 --output="$dir/log/check-%j.out" --wrap hostname) \
    || die "sbatch --wrap hostname failed"
  for ((i = 0; i < 60; i++)); do
    state=$(squeue -h -t all -j "$id" -o '%T' 2>/dev/null || true)
    case "$state" in
      COMPLETED) grep -qx "$(hostname)" "$dir/log/check-$id.out" && return 0
                 die "job $id completed but printed $(cat "$dir/log/check-$id.out")" ;;
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL) die "check job $id ended $state" ;;
    esac
    sleep 1
  done
  die "check job $id did not finish in 60 s (state ${state:-unknown})"
}

# Stops the cluster in $1 once process $2 has ended.
watch_owner() {
  local dir=$1 owner=$2 self=$0
  (
    trap '' HUP
    while kill -0 "$owner" 2>/dev/null; do sleep 2; done
    "$self" stop "$dir"
  ) </dev/null >>"$dir/log/watcher.log" 2>&1 &
  echo $! >"$dir/watcher.pid"
}

start() {
  local dir=$1 owner=${2:-} host port
  check_programs
  [[ $(id -u) == 0 ]] || die "needs root (slurmd runs jobs as the submitting user)"
  mkdir -p "$dir"/{state,spool,log}
  dir=$(cd "$dir" && pwd)
  host=$(hostname -s)
  port=$(free_port_pair)
  write_conf "$dir" "$host" "$port"
  # From here on, a failed start still stops whatever did start.
  trap 'stop "$dir"' EXIT
  if [[ -n $owner ]]; then watch_owner "$dir" "$owner"; fi
  export SLURM_CONF=$dir/slurm.conf
  echo "export SLURM_CONF=$SLURM_CONF" >"$dir/env"
  start_munge "$dir"
  slurmctld -f "$SLURM_CONF" -i || die "slurmctld did not start: $(tail -n 5 "$dir/log/slurmctld.log")"
  retry_for 30 scontrol ping || die "slurmctld does not answer: $(tail -n 5 "$dir/log/slurmctld.log")"
  slurmd -f "$SLURM_CONF" || die "slurmd did not start: $(tail -n 5 "$dir/log/slurmd.log")"
  retry_for 60 node_idle || die "node $host not idle: $(sinfo -N -o '%N %T %E' 2>&1); $(tail -n 5 "$dir/log/slurmd.log")"
  hostname_job_runs "$dir"
  trap - EXIT
  echo "slurm_cluster.sh: cluster up in $dir (node $host, slurmctld port $port)"
}

# Stops the daemon whose pid file is $1: TERM, then KILL after 10 s.
stop_pidfile() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 0
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  # Jobs first, so no array task outlives the cluster.
  if [[ -f $dir/slurm.conf ]]; then SLURM_CONF=$dir/slurm.conf scancel --full -u root >/dev/null 2>&1 || true; fi
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
  # The watcher, unless it is what is stopping the cluster.
  if [[ -s $dir/watcher.pid && $(<"$dir/watcher.pid") != "$PPID" ]]; then
    kill "$(<"$dir/watcher.pid")" 2>/dev/null || true
  fi
}

case "${1:-}" in
  start) [[ $# == 2 || $# == 3 ]] || die "usage: $0 start DIR [OWNER_PID]"; start "$2" "${3:-}" ;;
  stop) [[ $# == 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
  check) check_programs ;;
  *) die "usage: $0 start DIR | stop DIR | check" ;;
esac
