#!/usr/bin/env bash
# End to end on the embedded model for both adapters: data_gen -> lora_finetune -> inference (fine-tuned with
# constrained tool calls, the default; fine-tuned unconstrained, `free`; zero-shot, unconstrained) ->
# evaluate_result -> metrics tables.
#
#   research  the GPT4Tools protocol: Crop Image, Text Detection On Image and Detection held out of training. Val
#             (seen tools) and test (unseen tools) are the README's research figures; also the hand-written set and
#             failures (the third stage's val records that answer right after a failed call).
#   product   the adapter the demo serves (docs/product_adapter.md): every tool trained, the compact product template,
#             demo-shaped sessions. Scored on its own val and test (held-out captions and wording), the demo-shaped
#             split (demo.json), the hand-written set in the product template and failures. Its plan adapter (plans/
#             inside it, switched in by plan mode) is the last stage trained on plans alone, scored on the test split's
#             plans.
#
#   scripts/pipeline.sh                   # both on SmolLM2-135M (hours on 2 cores)
#   scripts/pipeline.sh --only product    # one of them: research or product
#   scripts/pipeline.sh --quick           # both on the tiny random test model, in a few minutes (CI); the product
#                                         # adapter is scored there fine-tuned, on demo and hand-written only (the
#                                         # other runs and splits share their code with the research ones)
#
# Research training runs the shipped research adapter's three stages: two on the adapter recipe's data into
# $out/adapter (800 steps, then on to 1,600 on the longer schedule), then a new run from that adapter's weights
# (`--init_adapter`) on the same data plus edit-then-analyse and pick-one chains into $out/adapter-stage3, which is
# evaluated. Product training has five stages: configs/train/smollm2_product.yaml into $out/product/adapter, from the
# research adapter (this run's $out/adapter-stage3 when there is one, else the shipped one), then
# configs/train/smollm2_product_stage2.yaml to _stage5.yaml into $out/product/adapter-stage2 to -stage5, each from
# the one before, on session-heavy data (data-stage2 to -stage5: new sessions and
# plans each); the last is the product adapter that is scored. configs/train/smollm2_product_plans.yaml then trains
# it on plan records alone, in stages of new plans (configs/data_gen/smollm2_product_plans.yaml on data seeds 6, 7, 8
# and 9 -> data-plans-seedN -> adapter-plans-seedN, each from the one before); the last is the plan adapter.
#
# Training runs under torchrun with one single-threaded process per core when the core count divides the
# global batch of 8 (on 2 cores ~10% faster than one two-threaded process, the same adapter up to rounding;
# see the README); --train_ranks N chooses the count, 1 runs plain python.
#
# Options: --only research|product, --out DIR (default output/pipeline[-quick]; the research run in DIR, the
# product run in DIR/product), --eval_samples N (records scored per split; default 200, quick 24),
# --skip_zeroshot, --train_ranks N. Every stage resumes: a finished stage is skipped on rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

quick=0 out="" eval_samples="" zeroshot=1 global_batch=8 only=""
cores=$(nproc) ranks=1
[ "$cores" -gt 1 ] && [ $((global_batch % cores)) = 0 ] && ranks=$cores
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only=${2:-}; shift ;;
    --out) out=$2; shift ;;
    --eval_samples) eval_samples=$2; shift ;;
    --skip_zeroshot) zeroshot=0 ;;
    --train_ranks) ranks=$2; shift ;;
    -h|--help) sed -n 2,30p "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if ! [[ $ranks =~ ^[1-9][0-9]*$ ]] || [ $((global_batch % ranks)) != 0 ]; then
  echo "--train_ranks $ranks: give a process count that divides the global batch of $global_batch" >&2; exit 2
fi
case "$only" in
  "") adapters=(research product) ;;
  research|product) adapters=("$only") ;;
  *) echo "--only $only: choose research or product" >&2; exit 2 ;;
esac

if [ $quick = 1 ]; then
  out=${out:-output/pipeline-quick}
  eval_samples=${eval_samples:-24}
  base="$out/tiny-model"
  [ -f "$base/config.json" ] || "$PY" -m tests.tiny_model "$base"
  data_config=configs/data_gen/quick.yaml
  train_args=(--config configs/train/smollm2_cpu.yaml --base_model "$base" --batch_size $global_batch
              --val_set_size 8 --eval_steps 2 --save_steps 2 --cutoff_len 1024 --compile false)
  train_stages=(2 4)
  stage3_data_args=(--config "$data_config" --extended_chain 1 --pick_one_chain 1 --failure_share 0.2)
  stage3_args=(--max_steps 2)
  product_data_configs=(configs/data_gen/quick_product.yaml)  # every stage's code path on one small data set
  product_quick_args=(--base_model "$base" --val_set_size 8 --eval_steps 2 --save_steps 2 --compile false --max_steps 2)
  plans_data_args=(--max_samples 64)
  infer_args=(--base_model "$base" --batch_size 8)
  react_budget=24
else
  out=${out:-output/pipeline}
  eval_samples=${eval_samples:-200}
  base=smollm2-135m-instruct
  data_config=configs/data_gen/smollm2_adapter.yaml
  train_args=(--config configs/train/smollm2_adapter.yaml --batch_size $global_batch)
  train_stages=(800 1600)  # the shipped research adapter's schedule (see the config)
  stage3_data_args=(--config configs/data_gen/smollm2_adapter_stage3.yaml)
  stage3_args=(--max_steps 400 --learning_rate 5e-4)
  product_data_configs=(configs/data_gen/smollm2_product.yaml configs/data_gen/smollm2_product_stage2.yaml
                        configs/data_gen/smollm2_product_stage3.yaml configs/data_gen/smollm2_product_stage4.yaml
                        configs/data_gen/smollm2_product_stage5.yaml)
  product_quick_args=()
  plans_data_args=()
  infer_args=(--base_model "$base" --batch_size 32)
  react_budget=96  # plan records get inference.py's plan budget
fi
# the product adapter's stages, each continuing from the one before; the last is scored (and shipped)
product_train_configs=(configs/train/smollm2_product.yaml configs/train/smollm2_product_stage2.yaml
                       configs/train/smollm2_product_stage3.yaml configs/train/smollm2_product_stage4.yaml
                       configs/train/smollm2_product_stage5.yaml)
# the plan adapter: the last stage trained on plan records alone
plans_data_config=configs/data_gen/smollm2_product_plans.yaml plans_train_config=configs/train/smollm2_product_plans.yaml
plans_seeds=(6 7 8 9)  # one stage of the plan adapter per data seed, each from the one before
[ $quick = 1 ] && plans_seeds=(6)
runs=(finetuned free)
[ $zeroshot = 1 ] && runs+=(zeroshot)
product_runs=("${runs[@]}") product_splits=(val test demo handwritten) product_failures=1
if [ $quick = 1 ]; then  # CI: the other runs and splits share their code with the research ones
  product_runs=(finetuned) product_splits=(demo handwritten) product_failures=0
fi

train() {  # lora_finetune.py with the global batch split between $ranks processes
  if [ "$ranks" -gt 1 ]; then
    "$PY" -m torch.distributed.run --standalone --nproc_per_node "$ranks" lora_finetune.py "$@" \
      --micro_batch_size $((global_batch / ranks))
  else
    "$PY" lora_finetune.py "$@" --micro_batch_size $global_batch
  fi
}

max_steps() {  # the max_steps a training recipe sets
  sed -n 's/^max_steps: *\([0-9]*\).*/\1/p' "$1"
}

trained_to() {  # true when run $1 has a checkpoint at step $2 or later and its adapter was written after it
  local newest
  newest=$(ls -d "$1"/checkpoints/step-* 2>/dev/null | sort | tail -n 1)
  [ -n "$newest" ] && [ $((10#${newest##*step-})) -ge "$2" ] && [ "$1/adapter_model.safetensors" -nt "$newest/complete" ]
}

subsets() {  # subsets DATA FAILURES_SOURCE SPLIT...: evenly spaced eval subsets, the same for every run; sets $splits
  local data=$1 failures_source=$2 split
  shift 2
  splits=("$@")
  for split in "${splits[@]}"; do
    "$PY" -m data_gen.eval_subset "$data/$split.json" "$data/${split}_eval.json" "$eval_samples" > /dev/null
  done
  # plans: the plan records of the test split (none in the research data), scored with TaskBench's metrics
  "$PY" -m data_gen.eval_subset "$data/test.json" "$data/plans_eval.json" "$eval_samples" --kind plans > /dev/null
  [ -f "$data/plans_eval.json" ] && splits+=(plans)
  # failures (none when FAILURES_SOURCE is empty): the answers right after a failed call (seen tools)
  [ -n "$failures_source" ] || return 0
  "$PY" -m data_gen.eval_subset "$failures_source" "$data/failures_eval.json" "$eval_samples" --failures_only \
    > /dev/null
  [ -f "$data/failures_eval.json" ] && splits+=(failures)
  return 0
}

score() {  # score ADAPTER DATA PREDICTIONS METRICS RUN...: inference and scoring of every split in $splits
  local adapter=$1 data=$2 preds=$3 metrics=$4 run split suffix options budget output
  shift 4
  mkdir -p "$metrics"
  for run in "$@"; do
    case "$run" in
      finetuned) options=(--lora_model "$adapter") suffix="" ;;
      free) options=(--lora_model "$adapter" --noconstrain_tools) suffix="_free" ;;
      zeroshot) options=(--noconstrain_tools) suffix="_zeroshot" ;;
    esac
    for split in "${splits[@]}"; do
      budget=(--max_new_tokens "$react_budget")
      [ "$split" = plans ] && budget=()
      "$PY" inference.py --ann_path "$data/${split}_eval.json" --save_path "$preds" --save_name "${run}_$split" \
        "${infer_args[@]}" "${budget[@]}" "${options[@]}"
      output="$metrics/metrics_${split}${suffix}.json"
      [ "$split" = plans ] && output="$metrics/plans/metrics${suffix}.json"  # -> metrics${suffix}_plans.json
      "$PY" evaluate_result.py --ann_path "$data/${split}_eval.json" --pred_path "$preds/${run}_$split" \
        --output "$output" > /dev/null
    done
  done
}

report() {  # report METRICS SPLIT...: the metrics table, then SR per tool of each split by run
  local metrics=$1 file name split
  local tables=() by_run
  shift
  for file in "$metrics"/metrics_*.json; do
    name=$(basename "$file" .json); tables+=("${name#metrics_}=$file")
  done
  "$PY" -m evaluation.report "${tables[@]}"
  for file in "$metrics"/plans/*_plans.md; do
    [ -f "$file" ] && { echo; echo "Plans (TaskBench metrics), $(basename "$file" .md):"; cat "$file"; }
  done
  for split in "$@"; do
    by_run=("fine-tuned=$metrics/metrics_$split.json")
    [ -f "$metrics/metrics_${split}_free.json" ] && by_run+=("unconstrained=$metrics/metrics_${split}_free.json")
    [ -f "$metrics/metrics_${split}_zeroshot.json" ] && by_run+=("zero-shot=$metrics/metrics_${split}_zeroshot.json")
    echo; echo "SR per tool, $split:"
    "$PY" -m evaluation.report "${by_run[@]}" --per_tool
  done
}

research() {
  local data="$out/data" stage3_data="$out/data-stage3" adapter="$out/adapter" final="$out/adapter-stage3" steps
  echo "== research 1/4 data: $data_config -> $data; ${stage3_data_args[*]} -> $stage3_data"
  [ -f "$data/test.json" ] || "$PY" -m data_gen --config "$data_config" --out_dir "$data"
  [ -f "$stage3_data/test.json" ] || "$PY" -m data_gen "${stage3_data_args[@]}" --out_dir "$stage3_data"
  "$PY" -m data_gen.handwritten --out_path "$data/handwritten.json"

  echo "== research 2/4 train -> $adapter (stages: ${train_stages[*]} steps), then $final; $ranks process(es)"
  if ! trained_to "$final" "${stage3_args[1]}"; then
    # stages 1 and 2 extend one run: a warm restart on the longer cosine schedule from the last checkpoint
    for steps in "${train_stages[@]}"; do
      trained_to "$adapter" "$steps" ||
        train "${train_args[@]}" --max_steps "$steps" --data_path "$data/train.json" --output_dir "$adapter"
    done
    # stage 3: a new run that starts from the finished run's weights
    train "${train_args[@]}" "${stage3_args[@]}" --init_adapter "$adapter" \
      --data_path "$stage3_data/train.json" --output_dir "$final"
  fi

  echo "== research 3/4 inference ($eval_samples records per split: ${runs[*]})"
  subsets "$data" "$stage3_data/val.json" val test handwritten
  score "$final" "$data" "$out/predictions" "$out/metrics" "${runs[@]}"

  echo "== research 4/4 metrics ($out/metrics)"
  report "$out/metrics" val test handwritten
}

product() {
  local root="$out/product" data="$out/product/data"
  local stages=${#product_train_configs[@]}
  # one data directory per stage (data, data-stage2, ...); a stage whose recipe is the one before's reuses its data
  local dirs=() stage config
  for ((stage = 1; stage <= stages; stage++)); do
    config=${product_data_configs[stage - 1]:-${product_data_configs[-1]}}
    if [ $stage = 1 ]; then dirs+=("$data")
    elif [ "$config" = "${product_data_configs[stage - 2]:-${product_data_configs[-1]}}" ]; then dirs+=("${dirs[-1]}")
    else dirs+=("$root/data-stage$stage"); fi
    echo "== product data $stage/$stages: $config -> ${dirs[-1]}"
    [ -f "${dirs[-1]}/demo.json" ] || "$PY" -m data_gen --config "$config" --out_dir "${dirs[-1]}"
  done
  "$PY" -m data_gen.handwritten --out_path "$data/handwritten.json" --template en_product

  # stage 1 continues from the research adapter: this run's when it made one, else the shipped one
  local init=()
  if [ -f "$out/adapter-stage3/adapter_model.safetensors" ]; then
    init=(--init_adapter "$out/adapter-stage3")
  elif [ $quick = 1 ]; then
    echo "--quick --only product starts from the quick research adapter: run scripts/pipeline.sh --quick" >&2
    exit 2
  fi
  # every stage's data splits the captions as stage 1's (same seed, or split_seed), so stage 1's eval splits hold
  # no later stage's training caption
  local adapter="" steps
  for ((stage = 1; stage <= stages; stage++)); do
    config=${product_train_configs[stage - 1]}
    adapter="$root/adapter"
    [ $stage -gt 1 ] && adapter="$root/adapter-stage$stage"
    steps=$(max_steps "$config")
    [ $quick = 1 ] && steps=2
    echo "== product train $stage/$stages: $config -> $adapter ($steps steps, from ${init[1]:-the shipped research adapter}); $ranks process(es)"
    trained_to "$adapter" "$steps" ||
      train --config "$config" --batch_size $global_batch "${product_quick_args[@]}" "${init[@]}" \
        --data_path "${dirs[stage - 1]}/train.json" --output_dir "$adapter"
    init=(--init_adapter "$adapter")
  done
  # the plan adapter: stages of new plan records (one data seed each), the first from the last product stage
  local plans_data plans_adapter seed
  steps=$(max_steps "$plans_train_config")
  [ $quick = 1 ] && steps=2
  for seed in "${plans_seeds[@]}"; do
    plans_data="$root/data-plans-seed$seed" plans_adapter="$root/adapter-plans-seed$seed"
    echo "== product plan adapter, seed $seed: $plans_data_config -> $plans_data; $plans_train_config -> $plans_adapter (from ${init[1]})"
    [ -f "$plans_data/test.json" ] ||
      "$PY" -m data_gen --config "$plans_data_config" --seed "$seed" "${plans_data_args[@]}" --out_dir "$plans_data"
    trained_to "$plans_adapter" "$steps" ||
      train --config "$plans_train_config" --batch_size $global_batch "${product_quick_args[@]}" "${init[@]}" \
        --data_path "$plans_data/train.json" --output_dir "$plans_adapter"
    init=(--init_adapter "$plans_adapter")
  done

  echo "== product inference of $adapter, plans with $plans_adapter ($eval_samples records per split: ${product_runs[*]})"
  local failures_source=""
  [ $product_failures = 1 ] && failures_source="$data/val.json"
  subsets "$data" "$failures_source" "${product_splits[@]}"
  local all_splits=("${splits[@]}") split
  splits=()
  for split in "${all_splits[@]}"; do [ "$split" = plans ] || splits+=("$split"); done
  score "$adapter" "$data" "$root/predictions" "$root/metrics" "${product_runs[@]}"
  if [[ " ${all_splits[*]} " == *" plans "* ]]; then
    splits=(plans)
    score "$plans_adapter" "$data" "$root/predictions" "$root/metrics" "${product_runs[@]}"
  fi

  echo "== product metrics ($root/metrics)"
  report "$root/metrics" "${product_splits[@]}"
}

for name in "${adapters[@]}"; do
  "$name"
done
