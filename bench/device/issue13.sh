#!/usr/bin/env bash
# One device call for the real-weights issue: a real-size synthetic preset in the q4_k_m mix (the standard
# suite's headline format) through Dawn/Vulkan on a lent NVIDIA GPU, beside q4_0 on the same shapes, results
# under $OUT. Prepare here first (as for issue5.sh):
#   npm install && npm run build:node && bash bench/device/prepare.sh
# then run (device tool, carry [".devrun", "dist-node"], timeout ~540 s):
#   bash bench/device/issue13.sh
# and record the figures in bench/NOTES.md (tok/s, bytes per token, the share of the read ceiling).
set -uo pipefail
OUT=${OUT:-/tmp/issue13}
mkdir -p "$OUT"
bash .devrun/setup.sh >"$OUT/setup.log" 2>&1 || { tail -20 "$OUT/setup.log"; exit 1; }
# shellcheck disable=SC1091
source .devrun/env.sh
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,power.draw,temperature.gpu --format=csv >"$OUT/nvidia-smi.csv" 2>&1
timeout 450 node dist-node/tokenbench-node.mjs run --suite standard --profile nvidia,unquantized \
  --models llama-3.1-8b,llama-3.2-1b --formats q4_k_m,q4_0 --prompt 512 --gen 128 --batches 1,16 --gen-reps 3 \
  --out "$OUT/tokenbench.json" --quiet >"$OUT/tokenbench.txt" 2>"$OUT/tokenbench.err"
echo "tokenbench exit $?"
tail -40 "$OUT/tokenbench.txt"
tail -5 "$OUT/tokenbench.err"
