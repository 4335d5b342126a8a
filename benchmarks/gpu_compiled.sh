#!/bin/bash
# One prepared command for a device machine (issue 20). NOT RUN YET: no GPU was lent to the tasks
# that wrote it (see benchmarks/RESULTS-simulate.md). Run from the repository root:
#     run(command="bash benchmarks/gpu_compiled.sh", carry=[".whl", ".gpu"], timeout_s=540)
# Dry run here, on the CPU (checks the prerequisites, prints the GPU commands instead of running
# them, runs the compiled CPU part small, with the local Python and sources):
#     GPU_DRY=1 PYTHON=/work/main/.venv/bin/python bash benchmarks/gpu_compiled.sh
#
# The GPU path stays the JAX backend (simulate/jax_backend.py). The compiled step
# (simulate/compiled_step.py) is written for numba's CPU target: threads over tiles of paths and
# per-tile work arrays whose sizes come from the scenario's tables at run time. numba-cuda needs
# compile-time sizes for per-thread local arrays, so the same source does not compile for CUDA;
# a CUDA port would be a second compiled definition (or the step's storage rewritten to global
# scratch arrays), which was not done. What this script measures on the device machine:
#   1. the JAX backend on the GPU: benchmarks/gpu_run.sh (JAX tests on the GPU, then
#      gpu_simulate.py at 10 M paths on the carried (scenario, plan) pickles);
#   2. the compiled CPU step on the device host's cores: compiled == numpy bit for bit
#      (tests/simulate/test_compiled.py -k reference), then bench_marginal.py (compiled only,
#      whole process at 10,000 and 1,000,000 paths, first compile and cached start).
# Prepare here first (the device machine reaches no registry): wheels for its Python (3.12) in
# .whl/, as for gpu_run.sh, plus numba and llvmlite:
#     pip download --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
#         -d .whl numba==0.68.1 llvmlite==0.50.0   # + the project's dependencies and jax[cuda]
#     python benchmarks/gpu_simulate.py --save .gpu
# Time: gpu_run.sh ~6 min (install, tests, 10 M paths, sweeps), the compiled part ~3 min.
set -u
DRY=${GPU_DRY:-0}
PY=${PYTHON:-python3}
SMALL=10000
LARGE=1000000
missing=0
for need in .whl .gpu; do
    if [ -z "$(ls -A "$need" 2>/dev/null)" ]; then
        echo "missing: $need/ (see the preparation steps at the top of this script)"
        missing=1
    fi
done
if [ "$DRY" = 1 ]; then
    echo "[dry] GPU part, not run here:"
    echo "[dry]   GPU_BENCH_TIMEOUT=${GPU_BENCH_TIMEOUT:-200} bash benchmarks/gpu_run.sh --paths 10000000"
    [ -f benchmarks/gpu_run.sh ] && [ -f benchmarks/gpu_simulate.py ] || { echo "[dry] gpu_run.sh or gpu_simulate.py missing"; exit 1; }
    bash -n benchmarks/gpu_run.sh || exit 1
    "$PY" benchmarks/gpu_simulate.py --help > /dev/null || { echo "[dry] gpu_simulate.py does not start"; exit 1; }
    echo "[dry] compiled CPU part, run small with $PY and ./src:"
    export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
    export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$(mktemp -d /tmp/gpu-dry-numba-XXXXXX)}
    SMALL=1024
    LARGE=4096
else
    [ "$missing" = 1 ] && exit 2
    export GPU_BENCH_TIMEOUT=${GPU_BENCH_TIMEOUT:-200}
    bash benchmarks/gpu_run.sh --paths 10000000 || echo "gpu_run.sh failed ($?)"
    export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba-cache
fi
"$PY" -c "import numba; print('numba', numba.__version__, 'threads', numba.config.NUMBA_NUM_THREADS)" || exit 1
timeout 300 "$PY" -m pytest -q -p no:cacheprovider tests/simulate/test_compiled.py -k "reference and not certain" 2>&1 | tail -3
timeout 300 "$PY" benchmarks/bench_marginal.py --backends compiled --small "$SMALL" --large "$LARGE"
