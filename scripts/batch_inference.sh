#!/usr/bin/env bash
# Batch inference with one process per chunk (one per GPU when GPUs exist), then scoring.
#   scripts/batch_inference.sh ANN_PATH SAVE_NAME [NUM_CHUNKS] [inference.py args...]
#   scripts/batch_inference.sh CHUNKS BASE_MODEL LORA_MODEL ANN_PATH SAVE_NAME [inference.py args...]
# The second form is the original GPT4Tools' (LORA_MODEL may be `none`). Chunk i runs on GPU i
# (CUDA_VISIBLE_DEVICES) when GPUs are present; on CPU all chunks share the cores. The options are checked
# once (inference.py --dry_run) before any chunk starts. PYTHON and SAVE_PATH (default output/eval_result)
# may be set in the environment.
set -euo pipefail
usage="usage: $0 ANN_PATH SAVE_NAME [NUM_CHUNKS] [inference.py args...]
   or: $0 CHUNKS BASE_MODEL LORA_MODEL ANN_PATH SAVE_NAME [inference.py args...]   (the original's form)"
model_args=()
if (( $# >= 5 )) && [[ $1 =~ ^[0-9]+$ ]]; then
  num_chunks=$1 ann_path=$4 save_name=$5
  model_args=(--base_model "$2" --lora_model "$3")
  shift 5
elif (( $# >= 2 )); then
  ann_path=$1 save_name=$2 num_chunks=1
  shift 2
  if (( $# > 0 )) && [[ $1 =~ ^[0-9]+$ ]]; then num_chunks=$1; shift; fi
else
  echo "$usage" >&2
  exit 2
fi
if ! [[ $num_chunks =~ ^[1-9][0-9]*$ ]]; then
  echo "error: the number of chunks must be a whole number of at least 1, got '$num_chunks'" >&2
  exit 2
fi
python=${PYTHON:-.venv/bin/python}
save_path=${SAVE_PATH:-output/eval_result}
gpus=$(command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L | wc -l || echo 0)
common=(--ann_path "$ann_path" --save_name "$save_name" --save_path "$save_path" --num_chunks "$num_chunks"
        ${model_args[@]+"${model_args[@]}"} "$@")

"$python" inference.py "${common[@]}" --chunk_idx 0 --dry_run >/dev/null
pids=()
for ((i = 0; i < num_chunks; i++)); do
  if (( gpus > 0 )); then export CUDA_VISIBLE_DEVICES=$(( i % gpus )); fi
  "$python" inference.py "${common[@]}" --chunk_idx "$i" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  code=0
  wait "$pid" || code=$?
  if (( code == 2 )); then status=2; elif (( code != 0 && status == 0 )); then status=1; fi
done
if (( status == 2 )); then echo "error: a chunk refused its input (see above); fix it and rerun" >&2; exit 2; fi
if (( status != 0 )); then echo "a chunk failed; rerun the same command to finish (written ids are skipped)" >&2; exit 1; fi
"$python" evaluate_result.py --ann_path "$ann_path" --pred_path "$save_path/$save_name"
