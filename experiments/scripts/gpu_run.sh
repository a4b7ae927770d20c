#!/usr/bin/env bash
# The prepared GPU run of issue 18, for a machine with CUDA JAX (default) or PyTorch and no network.
#
#   experiments/scripts/gpu_wheels.sh              # here, with network: keras + namex + optree into .whl/
#   experiments/scripts/gpu_run.sh RESULTS_DIR     # there: everything below, results in RESULTS_DIR
#
# Steps, each under its own time limit (the whole run stays under 8.5 minutes even if every step
# runs to its limit; a step stopped by its limit is reported as exit 124 and the next ones go on):
#   1. install the carried wheels of .whl/ into a folder on PYTHONPATH (skipped if the pinned Keras
#      is already importable) and check that every package the project imports is there;
#   2. generate the embedded dataset with all cores (PER_CATEGORY objects per category);
#   3. ./run.sh bench --part schedule: forward 1 / 5 views and the training step at batch 24 on the
#      GPU in bf16, fp32 and fp16, steps/s, the projected 60k-iteration time, the input pipeline;
#   4. a fixed-length full-width training (experiments/cfgs/gpu_run.yaml: the paper's network and
#      batch, bf16, ITERS iterations; if stopped by its limit, the latest checkpoint is tested);
#   5. ./run.sh test on the test split;
#   6. GPU against CPU fp32 outputs on the trained weights (device_equivalence.py);
#   7. gpu.md, the one-page summary (gpu_summary.py).
# RESULTS_DIR receives 8 files at most, side by side: gpu.md, stages.tsv, log.txt, bench.md,
# bench.json, train_log.csv, results.md, equivalence.json. Weights, checkpoints, the dataset and the
# test pictures go to WORK (default /tmp/r2n2_gpu_work).
#
# Settings (environment): BACKEND=jax|torch (default jax), PYTHON (default python3), WHEELS (.whl),
# ITERS (1500), PER_CATEGORY (30), WORKERS (all cores), WORK; the limits DATA_LIMIT (75 s),
# BENCH_LIMIT (120 s, + 20 for its report), TRAIN_LIMIT (130 s), TEST_LIMIT (60 s), EQUIV_LIMIT
# (45 s), and 30 s each for installing and checking the packages.
# DRY_RUN=1 prints the steps' commands without running them. TINY=1 runs every step with a tiny
# network and dataset and 300 s limits, to check the script on a CPU (its numbers mean nothing).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?usage: experiments/scripts/gpu_run.sh RESULTS_DIR}"
BACKEND="${BACKEND:-jax}"
PY="${PYTHON:-python3}"
WHEELS="${WHEELS:-$ROOT/.whl}"
WORK="${WORK:-/tmp/r2n2_gpu_work}"
WORKERS="${WORKERS:-$(nproc)}"
ITERS="${ITERS:-1500}"
PER_CATEGORY="${PER_CATEGORY:-30}"
SLOW="${TINY:+300}"   # TINY: a small CPU, shared, compiling op by op
DATA_LIMIT="${DATA_LIMIT:-${SLOW:-75}}" BENCH_LIMIT="${BENCH_LIMIT:-${SLOW:-120}}"
TRAIN_LIMIT="${TRAIN_LIMIT:-${SLOW:-130}}" TEST_LIMIT="${TEST_LIMIT:-${SLOW:-60}}" EQUIV_LIMIT="${EQUIV_LIMIT:-${SLOW:-45}}"
DATA="$WORK/data" SITE="$WORK/site"
TRAIN_SET=() BENCH_SET=() TEST_SET=() MODELS=4
if [[ -n "${TINY:-}" ]]; then   # a check of the script itself on a CPU
  ITERS=2 PER_CATEGORY=2 MODELS=1
  TRAIN_SET=(--set NETWORK.WIDTH 0.0625 --set CONST.BATCH_SIZE 2 --set CONST.N_VIEWS 2
             --set TEST.NUM_VALIDATION_MODELS 1 --set TRAIN.SAVE_FREQ 1)
  BENCH_SET=(--quick)
  TEST_SET=(--views 1,2 --limit 2)
fi
mkdir -p "$OUT" "$WORK"
LOG="$OUT/log.txt" STAGES="$OUT/stages.tsv"
: > "$LOG"
printf 'stage\texit\tseconds\tlimit\n' > "$STAGES"
export KERAS_BACKEND="$BACKEND" PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
export PYTHONPATH="$ROOT:$SITE${PYTHONPATH:+:$PYTHONPATH}"
export JAX_COMPILATION_CACHE_DIR="$WORK/jax_cache"   # a program compiled twice (bench, training) compiles once
cd "$ROOT"

say() { echo "$*" | tee -a "$LOG"; }

# stage NAME LIMIT COMMAND...: run it under its time limit, its output in log.txt, a row in stages.tsv
stage() {
  local name="$1" limit="$2"; shift 2
  say "== $name (limit ${limit} s): $*"
  if [[ -n "${DRY_RUN:-}" ]]; then
    printf '%s\tdry-run\t0\t%s\n' "$name" "$limit" >> "$STAGES"
    return 0
  fi
  local t0 rc
  t0=$(date +%s)
  # (a new bash: the steps are functions, exported below; timeout signals the whole process group)
  timeout --kill-after=10 "$limit" bash -c '"$@"' "$name" "$@" >> "$LOG" 2>&1
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - t0 ))" "$limit" >> "$STAGES"
  [[ $rc -eq 0 ]] || say "   $name: exit $rc$([[ $rc -eq 124 ]] && echo ' (time limit)')"
  return $rc
}

cli() { "$PY" -P -m lib.commands.cli "$@"; }   # ./run.sh without its .venv (no network there to build one)

# 1. the carried wheels, then every import the commands need
KERAS_PIN="$(grep -E '^keras==' requirements.txt | cut -d= -f3)"
install_wheels() {
  if "$PY" -c "import keras, sys; sys.exit(keras.__version__ != '$KERAS_PIN')" 2>/dev/null; then
    echo "keras $KERAS_PIN is already importable: nothing to install"
    return 0
  fi
  compgen -G "$WHEELS/*.whl" > /dev/null || { echo "no wheels in $WHEELS (run experiments/scripts/gpu_wheels.sh where pip works)"; return 1; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$WHEELS"/*.whl
}
check_imports() {
  "$PY" -c "
import importlib, sys
missing = []
for name in ('keras', 'numpy', 'h5py', 'skimage', 'scipy', 'PIL', 'yaml', 'matplotlib', 'optree', 'namex', '$BACKEND'):
    try:
        importlib.import_module(name)
    except ImportError as e:
        missing.append(f'{name} ({e})')
if missing:
    sys.exit('missing on this machine: ' + '; '.join(missing))
import keras
print(f'keras {keras.__version__} on {keras.backend.backend()}')
"
}
export PY BACKEND WHEELS SITE KERAS_PIN DATA WORK MODELS OUT
export -f cli install_wheels check_imports
stage install 30 install_wheels || { say "cannot install the wheels: see $LOG"; exit 1; }
stage imports 30 check_imports || { say "a package is missing: see $LOG"; exit 1; }
if [[ -z "${DRY_RUN:-}" ]]; then
  say "machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo 'no nvidia-smi')"
  say "machine: $(nproc) cores, $(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GB memory"}'), Python $("$PY" -c 'import platform; print(platform.python_version())')"
  say "machine: $("$PY" -c "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in ('keras', '$BACKEND') + (('jaxlib',) if '$BACKEND' == 'jax' else ())))")"
fi

# 2. the dataset, with every core
stage data "$DATA_LIMIT" cli generate-data --out "$DATA" --per-category "$PER_CATEGORY" --shapenet-share 0 --workers "$WORKERS"

# 3. the benchmark of the paper's schedule on the GPU
stage bench "$(( BENCH_LIMIT + 20 ))" cli bench --part schedule --data "$DATA" --workers "$WORKERS" --retries 0 \
  --time-limit "$BENCH_LIMIT" --out "$OUT/bench.md" "${BENCH_SET[@]}"

# 4. the fixed-length full-width training
RUN="$WORK/train"
stage train "$TRAIN_LIMIT" cli train --cfg experiments/cfgs/gpu_run.yaml --data "$DATA" --out "$RUN" --iter "$ITERS" \
  --set TRAIN.NUM_WORKER "$WORKERS" "${TRAIN_SET[@]}"
[[ -f "$RUN/train_log.csv" ]] && cp "$RUN/train_log.csv" "$OUT/"
WEIGHTS="$RUN/res_gru_3.weights.h5"
if [[ ! -f "$WEIGHTS" && -f "$RUN/checkpoints/latest" ]]; then
  WEIGHTS="$RUN/checkpoints/$(cat "$RUN/checkpoints/latest")/network.weights.h5"
  say "   no final weights: testing the latest checkpoint, $WEIGHTS"
fi

# 5. test, 6. GPU against CPU
if [[ -f "$WEIGHTS" || -n "${DRY_RUN:-}" ]]; then
  stage test "$TEST_LIMIT" cli test --weights "$WEIGHTS" --data "$DATA" --out "$WORK/test" "${TEST_SET[@]}"
  [[ -f "$WORK/test/results.md" ]] && cp "$WORK/test/results.md" "$OUT/"
  EQ="$ROOT/experiments/scripts/device_equivalence.py"
  equivalence() {
    "$PY" "$EQ" run "$WEIGHTS" "$DATA" "$WORK/cpu.npz" --cpu --highest --models "$MODELS" &&
    "$PY" "$EQ" run "$WEIGHTS" "$DATA" "$WORK/gpu.npz" --models "$MODELS" &&
    "$PY" "$EQ" run "$WEIGHTS" "$DATA" "$WORK/gpu_highest.npz" --highest --models "$MODELS" &&
    "$PY" "$EQ" compare "$WORK/cpu.npz" "$WORK/gpu.npz" "$WORK/gpu_highest.npz" > "$OUT/equivalence.json"
  }
  export WEIGHTS EQ
  export -f equivalence
  stage equivalence "$EQUIV_LIMIT" equivalence
else
  say "no weights to test (training failed before its first checkpoint)"
fi

# 7. the summary
[[ -n "${DRY_RUN:-}" ]] && exit 0
"$PY" experiments/scripts/gpu_summary.py "$OUT" "BACKEND=$BACKEND ITERS=$ITERS experiments/scripts/gpu_run.sh $OUT" > /dev/null
say "results in $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
