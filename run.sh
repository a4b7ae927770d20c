#!/usr/bin/env bash
# The one entry point of the project.
# On first use it builds .venv from requirements.txt (nothing else is needed on a fresh machine),
# then hands the command to the Python CLI (lib/commands/cli.py); `check` runs the test suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# No cd: paths on the command line are the caller's (relative to where ./run.sh is called from);
# the project's own files are found from ROOT.
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.requirements.sha256"

usage() {
  cat <<'EOF'
usage: ./run.sh COMMAND [ARGS...]

commands:
  check [--quick]       run the test suite (pytest; --quick leaves out the tests marked slow)
  summary NET           print a network's Keras summary (lstm_1 gru_1 lstm_3 gru_3 res_gru_3)
  train                 train a network          (./run.sh train --help)
  test                  evaluate weights         (./run.sh test --help)
  demo IMG [IMG ...]    reconstruct your own images (a viewer page, .obj/.glb/.binvox, a turntable)
  serve [--port N]      a local web app: drop photos, see and download the reconstruction
  convert IN.npy OUT    convert the original released weights to Keras
  calibrate ROOT        check the camera model against a ShapeNet copy
  coverage REAL [GEN]   how well generated shapes and looks cover real models
  check-data ROOT       list the bad models of a dataset tree
  generate-data         make the embedded dataset
  get-shapes NAME       fetch a real 3D model collection and its shapes map (sweethome3d, kenney, ...; --help lists them)
  render-shapes SRC     render real 3D models into the R2N2 layout (--out ROOT [--map MAP.yaml])
  mix-data SRC... --out ROOT  several dataset roots as one training mix
  bench                 performance benchmark
  compare               reproduce the architecture comparison (Table 1)
  setup                 (re)build .venv only; --backends jax,torch or --gpu add to it
EOF
}

ensure_venv() {
  local want
  want="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    return 0
  fi
  echo "run.sh: setting up $VENV from requirements.txt (first use; a few minutes)..." >&2
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements.txt" >&2
  # The stamp is written last: an interrupted install is redone on the next call.
  echo "$want" > "$STAMP"
  echo "run.sh: $VENV ready." >&2
}

ensure_chromium() {
  # the browser tests (tests/commands/test_viewer_browser.py, tests/commands/test_serve.py) drive Debian's chromium;
  # installed here where we are root, otherwise they skip saying why
  command -v chromium >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: installing chromium for the browser tests (apt-get)..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
      || echo "run.sh: chromium could not be installed; the browser tests will skip" >&2
  else
    echo "run.sh: no chromium and no root rights to install it; the browser tests will skip" >&2
  fi
}

if [[ $# -eq 0 ]]; then
  usage >&2
  exit 2
fi

cmd="$1"; shift
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

case "$cmd" in
  -h|--help|help)
    usage; exit 0 ;;
  setup)
    ensure_venv
    [[ $# -eq 0 ]] && exit 0
    exec "$VENV/bin/python" -P -m lib.commands.cli setup "$@" ;;
  check)
    # --quick: everyday work, the tests not marked slow (pytest.ini); the whole suite is what CI runs
    quick=()
    if [[ "${1:-}" == "--quick" ]]; then shift; quick=(-m "not slow"); fi
    ensure_venv; ensure_chromium; cd "$ROOT"; exec "$VENV/bin/python" -m pytest -q "${quick[@]}" "$@" tests ;;
  *)
    # every other command is the Python CLI's (lib/commands/cli.py COMMANDS; it answers unknown ones).
    # -P: the caller's folder is not put on the import path (its own lib/ or models/ would shadow ours)
    ensure_venv; exec "$VENV/bin/python" -P -m lib.commands.cli "$cmd" "$@" ;;
esac
