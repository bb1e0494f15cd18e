#!/usr/bin/env bash
# Trains the shipped models of an arm on this machine's CPU, as recorded in models/README.md.
# Usage: [ARM=open_manipulator_x|omx_f|omy_f3m|all] bash models/train_all.sh [network...]
#        (default ARM=all: every arm below; networks: focused improved original)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ARM=${ARM:-all}
nets=("${@:-focused improved original}")  # wall time and metrics land in each checkpoint
if [ "$ARM" = all ]; then
  for arm in open_manipulator_x omx_f omy_f3m; do ARM=$arm bash "$0" "$@"; done
  exit 0
fi
# the OM-X's models stay where they were shipped before arms had names (models/*.pt, their
# files record no arm and load as the OM-X); every other arm's go to models/<arm>/
out=models/$ARM
[ "$ARM" = open_manipulator_x ] && out=models
mkdir -p "$out"
for net in ${nets[@]}; do
  # one recipe per network (the OM-X's, as shipped); an arm's overrides come after it
  focused_epochs=60
  [ "$ARM" = omx_f ] && focused_epochs=80  # the OMX-F's focused: 80 epochs (and patience)
  case $net in
    # joint MSE + a small task-space term; keep the epoch with the best median tool error
    focused)
      args=(--data synthetic:1500000:0 --epochs "$focused_epochs" --batch-size 1024 --lr 2e-3
            --loss joint+task --task-weight 0.01 --patience "$focused_epochs"
            --monitor position_mm_median) ;;
    # improved's validation joint MSE bottoms out early (outliers) while its tool error keeps
    # falling: keep the epoch with the best median tool error, let the cosine run its course
    improved)
      args=(--data synthetic:1500000:0 --epochs 40 --batch-size 1024 --lr 2e-3
            --patience 40 --monitor position_mm_median) ;;
    original)
      args=(--data synthetic:1500000:0 --epochs 40 --batch-size 1024 --lr 1e-3) ;;
    *) echo "no recipe for network $net of arm $ARM" >&2; exit 2 ;;
  esac
  # the arms after the OM-X: focused answers its full-turn joints as (cos, sin) (--angles
  # circular: no seam to learn; at the same budget the OMY's p95 75 -> 54 mm and orientation
  # 28 -> 12 deg, models/README.md); one torch thread each (trained on a shared 2-core machine);
  # MINUTES=n puts the cosine schedule on a wall-time budget (the OMY-F3M's by default, whose
  # labels come from one branch family, the home family, see models/README.md)
  case $ARM in
    open_manipulator_x) minutes= ;;
    omx_f) minutes=${MINUTES:-0} ;;
    omy_f3m) minutes=${MINUTES:-20}; [ "$net" = focused ] && minutes=${MINUTES:-40} ;;
    *) echo "no recipe for network $net of arm $ARM" >&2; exit 2 ;;
  esac
  if [ -n "$minutes" ]; then
    [ "$net" = focused ] && args+=(--angles circular)
    args+=(--threads 1 --minutes "$minutes")
  fi
  "$PY" -m ik_net_ros.tools.cli train --arm "$ARM" --network "$net" \
    --schedule cosine --patience 10 --loss joint --seed 0 --device cpu "${args[@]}" \
    --output "$out/$net.pt" 2>&1 | tee "${LOGS:-$out}/.train-$net.log"
  # the OMY-F3M's focused: a second cosine cycle started from the first (fresh rows, lr 1e-3,
  # FINETUNE_MINUTES on one thread): 2.24 -> 1.51 mm median held-out (models/README.md)
  if [ "$ARM:$net" = omy_f3m:focused ]; then
    "$PY" -m ik_net_ros.tools.cli train --arm "$ARM" --network focused --init "$out/focused.pt" \
      --data synthetic:1500000:1 --epochs 400 --batch-size 1024 --lr 1e-3 --schedule cosine \
      --patience 400 --monitor position_mm_median --loss joint+task --task-weight 0.01 \
      --angles circular --threads 1 --minutes "${FINETUNE_MINUTES:-105}" --seed 1 --device cpu \
      --output "$out/focused.pt" 2>&1 | tee -a "${LOGS:-$out}/.train-focused.log"
  fi
done
