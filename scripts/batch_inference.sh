#!/usr/bin/env bash
# Batch inference with one process per chunk (one per GPU when GPUs exist), then scoring.
#   scripts/batch_inference.sh ANN_PATH SAVE_NAME [NUM_CHUNKS] [extra inference.py args...]
# Chunk i runs on GPU i (CUDA_VISIBLE_DEVICES) when GPUs are present; on CPU all chunks share the cores.
set -euo pipefail
ann_path=${1:?usage: $0 ANN_PATH SAVE_NAME [NUM_CHUNKS] [inference.py args...]}
save_name=${2:?usage: $0 ANN_PATH SAVE_NAME [NUM_CHUNKS] [inference.py args...]}
num_chunks=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
python=${PYTHON:-.venv/bin/python}
save_path=${SAVE_PATH:-output/eval_result}
gpus=$(command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L | wc -l || echo 0)

pids=()
for ((i = 0; i < num_chunks; i++)); do
  if (( gpus > 0 )); then export CUDA_VISIBLE_DEVICES=$(( i % gpus )); fi
  "$python" inference.py --ann_path "$ann_path" --save_name "$save_name" --save_path "$save_path" \
    --num_chunks "$num_chunks" --chunk_idx "$i" "$@" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
if (( status != 0 )); then echo "a chunk failed; rerun the same command to finish (written ids are skipped)" >&2; exit 1; fi
"$python" evaluate_result.py --ann_path "$ann_path" --pred_path "$save_path/$save_name"
