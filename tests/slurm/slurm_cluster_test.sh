#!/bin/bash
# A real Slurm cluster on this machine, for nas's job arrays: installs slurm-wlm and munge from Debian
# when they are missing, starts munged, slurmctld and slurmd as a single-node cluster on localhost
# (root, SlurmUser=root, proctrack/linuxproc, task/none, select/cons_tres; state, spool, logs and the
# munge key in a temporary folder), then
#   1. submits a tiny `nas bench generate` job array (3 tasks), requeues one running task and cancels
#      another, resubmits the cancelled shard, waits, collects, and compares the store and every
#      record with the same work run locally;
#   2. submits a tiny `nas run` grid as a job array (3 tasks), cancels one task, resubmits it, waits,
#      merges, and compares the merged results with a local run of the grid;
# and stops the daemons it started (also on failure).
#
#   tests/slurm/slurm_cluster_test.sh BUILD_DIR SHARED_DATA_DIR
#
# Exit status 0 when everything matches; 77 (skipped) when not root and Slurm cannot be installed.
set -euo pipefail

BUILD=$(cd "${1:?usage: slurm_cluster_test.sh BUILD_DIR SHARED_DATA_DIR}" && pwd)
DATA=$(cd "${2:?usage: slurm_cluster_test.sh BUILD_DIR SHARED_DATA_DIR}" && pwd)/cifar10
NAS="$BUILD/bin/nas"
log() { echo "slurm-test: [$(date +%T)] $*"; }

if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  if [ "$(id -u)" != 0 ]; then
    log "slurm-wlm and munge are missing and this is not root: skipped"
    exit 77
  fi
  log "installing slurm-wlm and munge from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge > /dev/null
fi
if [ "$(id -u)" != 0 ]; then
  log "the single-node cluster runs as root (SlurmUser=root): skipped"
  exit 77
fi

WORK=$(mktemp -d /tmp/nas-slurm.XXXXXX)
HOST=$(hostname -s)
CONF="$WORK/slurm.conf"
export SLURM_CONF="$CONF"
# Ports of our own, so a cluster already on the machine is left alone.
CTLD_PORT=$((20000 + RANDOM % 20000))
SLURMD_PORT=$((CTLD_PORT + 1))

cleanup() {
  local status=$?
  scontrol shutdown > /dev/null 2>&1 || true
  for pidfile in "$WORK/slurmctld.pid" "$WORK/slurmd.pid" "$WORK/munged.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" > /dev/null 2>&1 || true
  done
  sleep 1
  if [ $status != 0 ]; then
    log "failed; daemon logs:"
    tail -n 20 "$WORK"/slurmctld.log "$WORK"/slurmd.log 2> /dev/null || true
    for f in "$WORK"/*/slurm/logs/*.out; do [ -f "$f" ] && { echo "== $f"; tail -n 5 "$f"; }; done
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT

# ---- the cluster ----------------------------------------------------------------------------------
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$WORK/munge"
chmod 400 "$WORK/munge/munge.key"
munged --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" \
  --pid-file="$WORK/munged.pid" --log-file="$WORK/munged.log" --seed-file="$WORK/munge/munged.seed"
cat > "$CONF" << EOF
ClusterName=nastest
SlurmctldHost=$HOST
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=300
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=nas Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$CONF"
slurmd -f "$CONF"
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2> /dev/null | grep -qE '^(idle|mix|alloc)'; then break; fi
  sleep 0.5
done
sinfo -h -o '%P %t %D' | grep -qE 'idle|mix|alloc' || { log "the node never came up"; exit 1; }
log "cluster up: $(sinfo -h -o '%P %t %D %c')"

# Waits until no task of job $1 is pending or running.
wait_job() {
  for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$1" 2> /dev/null)" ] && return 0
    sleep 0.5
  done
  log "job $1 did not finish"
  return 1
}
# Waits until task $2 of job $1 has started: running, or already gone from the queue.
wait_started() {
  local state
  for _ in $(seq 1 600); do
    state=$(squeue -h -j "$1_$2" -o '%t' 2> /dev/null || true)
    [ "$state" = "R" ] || [ "$state" = "CG" ] || [ -z "$state" ] && return 0
    sleep 0.1
  done
  return 1
}
json_field() { /usr/bin/env python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }

# ---- 1. nas bench generate as a job array ---------------------------------------------------------
TINY=(--set batch_size=8 --set max_batches_per_epoch=2 --set eval_batch_size=32 --set max_eval_batches=1)
GEN=(bench generate --space tss --archs 0,11,284 --seeds 777,888 --hp 12 --datasets cifar10-valid --data "$DATA"
  --torch-threads 1 "${TINY[@]}")
"$NAS" "${GEN[@]}" --out "$WORK/gen-local" --quiet > /dev/null
"$NAS" bench collect "$WORK/gen-local" --out "$WORK/local.nasbench" > /dev/null

submitted=$("$NAS" "${GEN[@]}" --out "$WORK/gen-cluster" --slurm --tasks 3 --cpus-per-task 1 --time 10)
JOB=$(echo "$submitted" | json_field job_id)
SCRIPT=$(echo "$submitted" | json_field script)
log "generate: job array $JOB submitted ($SCRIPT)"
scancel "${JOB}_3" && log "generate: task 3 cancelled ($(squeue -h -j "${JOB}_3" -o '%t' 2> /dev/null || true))"
wait_started "$JOB" 2
scontrol requeue "${JOB}_2" && log "generate: task 2 requeued"
# A requeued job waits about two minutes before it may start again; now is soon enough here.
sleep 1
scontrol update JobId="${JOB}_2" StartTime=now > /dev/null 2>&1 || true
wait_job "$JOB"
rerun=$(sbatch --parsable --array=3 "$SCRIPT")
log "generate: shard 3 resubmitted as job $rerun"
wait_job "$rerun"
collected=$("$NAS" bench collect "$WORK/gen-cluster" --out "$WORK/cluster.nasbench")
log "generate: collected $collected"
[ "$(echo "$collected" | json_field found)" = 6 ] || { log "not every item was trained"; exit 1; }
for i in 0 11 284; do
  for seed in 777 888; do
    a=$("$NAS" bench info --space tss --bench "$WORK/local.nasbench" --dataset cifar10-valid --hp 12 --index $i --seed $seed --json)
    b=$("$NAS" bench info --space tss --bench "$WORK/cluster.nasbench" --dataset cifar10-valid --hp 12 --index $i --seed $seed --json)
    python3 - "$a" "$b" << 'EOF'
import json, sys
a, b = (json.loads(x) for x in sys.argv[1:])
keys = ["test_accuracy", "valid_accuracy", "train_accuracy", "test_loss", "valid_loss", "train_loss", "params_m", "flops_m"]
diff = [k for k in keys if a[k] != b[k]]
if diff:
    sys.exit("arch %s seed %s differs in %s" % (a["index"], a["trial"], diff))
EOF
  done
done
python3 - "$WORK/gen-local/records" "$WORK/gen-cluster/records" << 'EOF'
import json, os, sys
local, cluster = sys.argv[1:]
names = sorted(os.listdir(local))
assert names == sorted(os.listdir(cluster)), (names, os.listdir(cluster))
for name in names:
    a, b = (json.load(open(os.path.join(d, name))) for d in (local, cluster))
    for ea, eb in zip(a["epochs"], b["epochs"]):
        for key in ea:
            if isinstance(ea[key], dict):
                assert ea[key]["loss"] == eb[key]["loss"] and ea[key]["accuracy"] == eb[key]["accuracy"], (name, ea["epoch"], key)
print("slurm-test: generate: %d records equal the local run's, epoch by epoch" % len(names))
EOF

# ---- 2. nas run as a job array --------------------------------------------------------------------
cat > "$WORK/grid.yaml" << EOF
name: slurm-test-grid
spaces: [tss]
benchmarks: {tss: shipped}
datasets: [cifar10]
runs: 4
first_seed: 0
data: $DATA
device: cpu
torch_threads: 1
algorithms:
  - name: rea
  - name: random
  - name: gdas
    runs: 1
    config: {epochs: 2, batch_size: 8, max_batches_per_epoch: 2, valid_batch_size: 16, max_valid_batches: 1, channels: 4, cells_per_stage: 1}
EOF
"$NAS" run "$WORK/grid.yaml" --out "$WORK/run-local" --quiet > /dev/null
submitted=$("$NAS" run "$WORK/grid.yaml" --out "$WORK/run-cluster" --slurm --tasks 3 --cpus-per-task 1 --time 10)
JOB=$(echo "$submitted" | json_field job_id)
SCRIPT=$(echo "$submitted" | json_field script)
log "run: job array $JOB submitted"
scancel "${JOB}_1" && log "run: task 1 cancelled"
wait_job "$JOB"
rerun=$(sbatch --parsable --array=1 "$SCRIPT")
log "run: shard 1 resubmitted as job $rerun"
wait_job "$rerun"
merged=$("$NAS" run --out "$WORK/run-cluster" --merge)
log "run: merged $merged"
again=$("$NAS" run --out "$WORK/run-cluster" --merge)
[ "$(echo "$again" | json_field runs_added)" = 0 ] || { log "a second merge added runs"; exit 1; }
python3 - "$WORK/run-local/results.sqlite" "$WORK/run-cluster/results.sqlite" << 'EOF'
import sqlite3, sys
def rows(path):
    c = sqlite3.connect(path)
    cols = [r[1] for r in c.execute("pragma table_info(runs)") if r[1] not in ("id", "wall_seconds", "search_wall_seconds")]
    ecols = [r[1] for r in c.execute("pragma table_info(epochs)") if r[1] != "seconds"]
    runs = sorted(c.execute("select %s from runs" % ",".join(cols)).fetchall())
    epochs = sorted(c.execute("select %s from epochs" % ",".join(ecols)).fetchall())
    trajectory = sorted(c.execute("select r.algorithm, r.dataset, r.seed, t.step, t.simulated_seconds, t.incumbent, "
                                  "t.incumbent_valid_accuracy from trajectory t join runs r on r.id = t.run_id").fetchall())
    return runs, epochs, trajectory
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert a[0] == b[0], "runs differ"
assert a[1] == b[1], "epochs differ"
assert a[2] == b[2], "trajectories differ"
print("slurm-test: run: %d runs, %d epochs, %d trajectory points equal the local run's" % (len(a[0]), len(a[1]), len(a[2])))
EOF
"$NAS" report "$WORK/run-cluster" --json > /dev/null
log "passed"
