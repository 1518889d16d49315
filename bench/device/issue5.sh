#!/usr/bin/env bash
# One device call for the performance targets: tokenbench through Dawn/Vulkan on the lent NVIDIA GPU,
# then PyTorch on the same shapes, results under $OUT (docs/gpu-server.md). Prepare here first:
#   npm install && npm run build:node && bash bench/device/prepare.sh
# then run (device tool, carry [".devrun", "dist-node"], timeout ~540 s):
#   bash bench/device/issue5.sh
# and afterwards, here: npx tsx bench/targets.ts <files_at>/tokenbench.json <files_at>/torch.json
# .devrun/setup.sh and .devrun/env.sh are prepare.sh's copies of bench/device/setup.sh and env.sh.
set -uo pipefail
OUT=${OUT:-/tmp/issue5}
mkdir -p "$OUT"
bash .devrun/setup.sh >"$OUT/setup.log" 2>&1 || { tail -20 "$OUT/setup.log"; exit 1; }
# shellcheck disable=SC1091
source .devrun/env.sh
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,power.draw,temperature.gpu --format=csv >"$OUT/nvidia-smi.csv" 2>&1
# The targets' workloads only (the whole standard suite is longer than one call): roofline, matmul
# (f32 4096^3 and f16 subgroup-matrix 8192^3 are in the standard suite), decode tg128 and pp512.
timeout 420 node dist-node/tokenbench-node.mjs run --suite standard --profile nvidia,unquantized \
  --models llama-3.1-8b,llama-3.2-1b --formats f16,q4_0 --prompt 512 --gen 128 --batches 1 --gen-reps 3 \
  --tune-cache "$OUT/tune-cache.json" --out "$OUT/tokenbench.json" --quiet >"$OUT/tokenbench.txt" 2>"$OUT/tokenbench.err"
echo "tokenbench exit $?"
tail -40 "$OUT/tokenbench.txt"
tail -5 "$OUT/tokenbench.err"
timeout 150 python3 bench/device/torch_baseline.py --out "$OUT/torch.json" 2>"$OUT/torch.err"
echo "torch exit $?"
tail -3 "$OUT/torch.err"
