#!/bin/bash
# One prepared GPU check (device machine): install the carried wheels, run the JAX tests on the GPU,
# then benchmarks/gpu_simulate.py on the carried (scenario, plan) pickles. Args go to gpu_simulate.py.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
nproc; python3 -c "import jax, numpy, pydantic, highspy; print('jax', jax.__version__, 'numpy', numpy.__version__, jax.devices())"
timeout ${GPU_TEST_TIMEOUT:-150} python3 -m pytest -q -p no:cacheprovider tests/simulate/test_jax_accelerator.py tests/simulate/test_streams.py -k "jax or accelerator or window or union or sorted or programme" 2>&1 | tail -8
timeout ${GPU_BENCH_TIMEOUT:-240} python3 benchmarks/gpu_simulate.py --load .gpu "$@"
