#!/bin/bash
# A private single-node Slurm cluster (this host is controller and compute node) for testing `repro slurm` scripts
# with real submissions: munged, slurmctld and slurmd with everything (key, config, state, spool, logs, pid files,
# munge socket) under one folder. No cgroups, no accounting. Debian/Ubuntu: apt-get install slurm-wlm munge.
#
#   build/slurm/single-node.sh start    # idempotent: starts what is not running, waits until the node is idle
#   build/slurm/single-node.sh status   # daemons and sinfo; exit 0 only when the node answers
#   build/slurm/single-node.sh stop     # stops the daemons this folder's pid files name
#   build/slurm/single-node.sh env      # prints `export SLURM_CONF=...` for sbatch/squeue/sinfo (eval "$(... env)")
#
# Settings (environment): SLURM_TEST_DIR (default /tmp/slurm-test), SLURM_TEST_CPUS (default: nproc),
# SLURM_TEST_NICE (niceness of slurmd and so of every job it starts; default 0), SLURM_TEST_PORT (slurmctld port,
# default 6817; slurmd uses the next one). Daemons run as the calling user (root is simplest: slurmd must be able
# to start jobs as the submitting user).
set -uo pipefail

DIR=${SLURM_TEST_DIR:-/tmp/slurm-test}
CPUS=${SLURM_TEST_CPUS:-$(nproc)}
NICE=${SLURM_TEST_NICE:-0}
PORT=${SLURM_TEST_PORT:-6817}
NODE=$(hostname -s)
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF

die() { echo "single-node.sh: $*" >&2; exit 1; }

require() {
  local missing=()
  for c in munged slurmctld slurmd sinfo sbatch squeue scontrol; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] || die "Slurm is not installed (missing: ${missing[*]}); install it with: apt-get install slurm-wlm munge"
}

# pid from a pid file when that process is alive, else nothing.
alive() { local f=$1; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }

write_config() {
  mkdir -p "$DIR"/{munge,state,spool/slurmd,log,run} || die "cannot create $DIR"
  chmod 700 "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none || die "cannot write the munge key"
    chmod 400 "$DIR/munge/munge.key"
  fi
  local mem
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  cat > "$CONF.tmp" <<CONF
# Written by build/slurm/single-node.sh: a private single-node cluster.
ClusterName=repro-test
SlurmctldHost=$NODE
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE CPUs=$CPUS RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
  mv "$CONF.tmp" "$CONF"
}

node_state() { timeout 10 sinfo -h -n "$NODE" -o %t 2>/dev/null | head -1; }

start() {
  require
  write_config
  if [ -z "$(alive "$DIR/run/munged.pid")" ]; then
    munged --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" --pid-file="$DIR/run/munged.pid" \
           --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" --force \
      || die "munged failed to start; see $DIR/log/munged.log"
  fi
  if [ -z "$(alive "$DIR/run/slurmctld.pid")" ]; then
    slurmctld -f "$CONF" || die "slurmctld failed to start; see $DIR/log/slurmctld.log"
  fi
  if [ -z "$(alive "$DIR/run/slurmd.pid")" ]; then
    nice -n "$NICE" slurmd -f "$CONF" || die "slurmd failed to start; see $DIR/log/slurmd.log"
  fi
  local state=""
  for _ in $(seq 60); do
    state=$(node_state)
    case "$state" in idle|mix|alloc) break;; esac
    sleep 1
  done
  case "$state" in
    idle|mix|alloc) ;;
    *) die "node $NODE is '${state:-not answering}' after 60 s; see $DIR/log/slurmctld.log and $DIR/log/slurmd.log" ;;
  esac
  echo "single-node Slurm is up: node $NODE ($CPUS CPUs) $state; for sbatch/squeue/sinfo: export SLURM_CONF=$CONF"
  sinfo
}

stop() {
  local name pid
  for name in slurmd slurmctld munged; do
    pid=$(alive "$DIR/run/$name.pid")
    [ -n "$pid" ] || continue
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then echo "single-node.sh: $name ($pid) did not stop; sending SIGKILL" >&2; kill -9 "$pid"; fi
    echo "stopped $name ($pid)"
  done
  rm -f "$DIR/run/"*.pid
}

status() {
  local name pid ok=0
  for name in munged slurmctld slurmd; do
    pid=$(alive "$DIR/run/$name.pid")
    if [ -n "$pid" ]; then echo "$name: running ($pid)"; else echo "$name: not running"; ok=1; fi
  done
  if [ $ok -eq 0 ] && command -v sinfo >/dev/null 2>&1; then timeout 10 sinfo || ok=1; fi
  return $ok
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|status|env   (folder: $DIR)" >&2; exit 2 ;;
esac
