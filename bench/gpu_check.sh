#!/usr/bin/env bash
# The GPU checks in one step (issue 9, point 7), in at most about 5 minutes on a GPU machine:
#   1. torch's RNN, GRU and LSTM, every clause, on cpu and cuda (ci profile; C18 on cuda is the
#      built-in expected failure; without a GPU: cpu, dev profile);
#   2. the project's own tests (they must pass with and without a GPU);
#   3. the clause-breaking fixture layers on CUDA, each on its clause, and CUDA timing per layer.
# Writes a short summary to $GPU_CHECK_DIR/summary.md (default bench/_work/gpu_check), full logs
# beside it. Without a GPU it says that CUDA is absent, runs step 1 on cpu and skips the rest.
#
#   bash bench/gpu_check.sh              # from the repository root, with the dev extra installed
set -uo pipefail
cd "$(dirname "$0")/.."

out=${GPU_CHECK_DIR:-bench/_work/gpu_check}
mkdir -p "$out"
summary="$out/summary.md"
workers=$(python3 -c "import os; print(max(1, min(8, (os.cpu_count() or 2) // 2)))")
cuda=$(python3 -c "import torch; print(int(torch.cuda.is_available()))")
started=$(date +%s)

step() {  # step NAME SECONDS COMMAND...: run it under a time limit, log it, note the last line
    local name=$1 seconds=$2
    shift 2
    local begin=$(date +%s)
    timeout "$seconds" "$@" >"$out/$name.log" 2>&1
    local status=$?
    local took=$(($(date +%s) - begin))
    local last
    last=$(grep -E "(passed|failed|error|skipped)[^a-z]*.* in [0-9.]+s" "$out/$name.log" | tail -1)
    [ "$status" = 124 ] && last="stopped by the ${seconds} s limit of this step; ${last:-no result line}"
    echo "- $name: exit $status, ${took} s; ${last:-see $name.log}" >>"$summary"
}

{
    echo "# GPU check, $(date -u +'%Y-%m-%d %H:%M UTC')"
    echo
    python3 - <<'EOF'
import torch
print(f"- torch {torch.__version__}, Python {__import__('sys').version.split()[0]}")
if torch.cuda.is_available():
    print(f"- CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}")
else:
    print("- CUDA is absent on this machine (torch.cuda.is_available() is False): "
          "step 1 runs on cpu only, steps 2 and 3 are skipped")
EOF
    echo
} >"$summary"

# without a GPU step 1 is all there is: it may take the whole budget (a small CPU machine)
if [ "$cuda" = 1 ]; then devices=cpu,cuda limit=80 profile=ci; else devices=cpu limit=270 profile=dev; fi
parallel=()
[ "$workers" -gt 1 ] && parallel=(-n "$workers" --dist loadgroup)
step torch_modules "$limit" python3 -m pytest -p no:cacheprovider -p no:randomly "${parallel[@]}" \
    --birnn-layer torch.nn:RNN --birnn-layer torch.nn:GRU --birnn-layer torch.nn:LSTM \
    --birnn-devices "$devices" --birnn-profile "$profile" -q
sed -n '/birnn conformance matrix/,/^=/p' "$out/torch_modules.log" | sed '1d;$d' | sed 's/^/    /' >>"$summary"

if [ "$cuda" = 1 ]; then
    step project_tests 100 python3 -m pytest -p no:cacheprovider -n "$workers" --dist loadgroup -q
    grep -E "^(FAILED|ERROR)" "$out/project_tests.log" | head -20 | sed 's/^/    /' >>"$summary"
    step cuda_layers 110 python3 bench/cuda_layer_timings.py --fixtures
    echo >>"$summary"
    cat "$out/cuda_layers.log" >>"$summary"
else
    echo "- project_tests, cuda_layers: skipped (CUDA is absent)" >>"$summary"
fi

echo >>"$summary"
echo "total: $(($(date +%s) - started)) s" >>"$summary"
cat "$summary"
