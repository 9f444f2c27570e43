#!/usr/bin/env bash
# The CUDA checks, in one go on a machine with a GPU (no network needed):
#   1. every lib test on the cuda device (pytest -m cuda),
#   2. every chapter executed with LIB_DEVICE=cuda (bench/run_chapters.py),
#   3. the benchmarks on cuda only (after 1 and 2, so the GPU is quiet).
# usage: bench/cuda_checks.sh LOGDIR     (logs and the executed chapters land in LOGDIR)
set -u
out=${1:?usage: bench/cuda_checks.sh LOGDIR}
mkdir -p "$out"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())" | tee -a "$out/gpu.txt"
printf '[pytest]\nmarkers =\n    cuda: needs a CUDA device\n    slow: slow\n' > /tmp/cuda_checks.ini
(python3 -m pytest -c /tmp/cuda_checks.ini --rootdir . -p no:cacheprovider -m cuda tests/lib -q -n 4 \
    --continue-on-collection-errors > "$out/tests.log" 2>&1; echo "pytest exit code $?" >> "$out/tests.log") &
(LIB_DEVICE=cuda python3 bench/run_chapters.py solutions "$out" > "$out/chapters.log" 2>&1) &
wait
tail -n 25 "$out/tests.log"
cat "$out/chapters.log"
for b in activations attention conv engine optim training; do
    python3 "bench/bench_$b.py" --device cuda --repeats 20
done 2>&1 | tee "$out/bench.log"
