#!/usr/bin/env bash
# The training ideas tried for models/README.md, each on the same small budget
# (200,000 synthetic rows, 20 epochs, seed 0), scored on the same 10,000 held-out poses.
# Usage: bash models/experiments.sh [outdir]   (about 10 minutes on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
out=${1:-runs/experiments}
mkdir -p "$out"
base=(--data synthetic:200000:0 --epochs 20 --batch-size 1024 --lr 2e-3 --schedule cosine
      --patience 30 --seed 0 --no-progress)
run() {  # name, then extra arguments
  local name=$1; shift
  "$PY" -m ik_net_ros.tools.cli train "${base[@]}" "$@" --output "$out/$name.pt" >/dev/null
  printf '%-28s ' "$name"
  "$PY" -m ik_net_ros.tools.cli info "$out/$name.pt" | grep '^held_out ' | cut -c19-
}
run focused-baseline --network focused --loss joint
run focused-relu --network focused --loss joint \
    --network-kwargs '{"activation": "relu"}'
run focused-no-normalize --network focused --loss joint --no-normalize
run focused-constant-lr --network focused --loss joint --schedule none
run focused-joint+task --network focused --loss joint+task --task-weight 0.01
run focused-task-only --network focused --loss task
run focused-small --network focused --loss joint \
    --network-kwargs '{"position": [64, 64], "orientation": [32, 32], "merge": [128, 128, 64]}'
run focused-wide --network focused --loss joint \
    --network-kwargs \
    '{"position": [256, 256], "orientation": [128, 128], "merge": [384, 384, 192]}'
run improved-baseline --network improved --loss joint
run improved-no-dropout --network improved --loss joint --network-kwargs '{"dropout": 0.0}'
run original-baseline --network original --loss joint --lr 1e-3
