#!/usr/bin/env bash
# Reproduce Table 1 (architecture comparison) and the views curve: ./run.sh compare with the same
# arguments, e.g. --protocol cpu --seeds 0,1,2  or  --protocol paper --data /path/to/ShapeNet.
exec "$(dirname "$0")/../../run.sh" compare "$@"
