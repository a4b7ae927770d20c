#!/usr/bin/env bash
# Downloads the wheels experiments/scripts/gpu_run.sh installs on a GPU machine that has CUDA JAX or
# PyTorch but no network: Keras at the version requirements.txt pins and the two packages Keras
# needs that such machines usually lack (namex, pure Python, and optree, a compiled wheel for the
# target's Python), at the versions of this project's .venv. Everything else gpu_run.sh needs
# (numpy, h5py, scikit-image, scipy, Pillow, PyYAML, matplotlib, rich, absl-py, ml-dtypes) is
# expected there; gpu_run.sh checks and names what is missing.
#
#   experiments/scripts/gpu_wheels.sh [DEST]     # default DEST: .whl/ in the repository (gitignored)
#   TARGET_PYTHON=3.12 (default): the GPU machine's Python, for the compiled wheel
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="${1:-$ROOT/.whl}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
TARGET_PYTHON="${TARGET_PYTHON:-3.12}"
version_of() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }
KERAS="$(grep -E '^keras==' "$ROOT/requirements.txt" | cut -d= -f3)"
NAMEX="$(version_of namex)"
OPTREE="$(version_of optree)"
mkdir -p "$DEST"
PLATFORMS=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  PLATFORMS+=(--platform "$p")
done
"$PY" -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: \
  --python-version "$TARGET_PYTHON" --implementation cp "${PLATFORMS[@]}" -d "$DEST" \
  "keras==$KERAS" "namex==$NAMEX" "optree==$OPTREE"
echo "wheels for Python $TARGET_PYTHON in $DEST:"
ls -1 "$DEST"
