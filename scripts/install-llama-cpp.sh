#!/usr/bin/env bash
# Installs node-llama-cpp (llama.cpp's Node bindings) with only this platform's CPU binary, for the
# llama.cpp cross-check tests (test/unit/gguf-llama.test.ts) and bench/peers/llama-native.ts.
#
# A plain `npm install node-llama-cpp` pulls prebuilt binaries for every platform and GPU backend through
# optional dependencies (~725 MB). Here the optional dependencies are omitted and the one CPU binary is
# named instead (~85 MB, ~20 s). It goes into its own prefix, .tmp/llama-cpp (git-ignored; override with
# TOKENBENCH_LLAMA_CPP_DIR), so it neither touches package.json nor prunes the project's own optional
# dependencies (Vite's native bindings), which `--omit=optional` in the project root would.
# Its postinstall step is skipped: the prebuilt binary loads without it.
# --if-missing: do nothing when this version is already there (npm's pretest runs it before every test run).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=3.22.1
PREFIX="${TOKENBENCH_LLAMA_CPP_DIR:-.tmp/llama-cpp}"
case "$(node -p 'process.platform + "-" + process.arch')" in
  linux-x64) BINARY=linux-x64 ;;
  linux-arm64) BINARY=linux-arm64 ;;
  darwin-arm64) BINARY=mac-arm64-metal ;;
  darwin-x64) BINARY=mac-x64 ;;
  win32-x64) BINARY=win-x64 ;;
  *) echo "no prebuilt node-llama-cpp binary for $(node -p 'process.platform + "-" + process.arch')" >&2; exit 1 ;;
esac
if [ "${1:-}" = "--if-missing" ] && node -e "process.exit(require('./$PREFIX/node_modules/node-llama-cpp/package.json').version === '$VERSION' ? 0 : 1)" 2>/dev/null; then
  exit 0
fi
echo "installing node-llama-cpp $VERSION ($BINARY only) into $PREFIX for the llama.cpp cross-check" >&2
mkdir -p "$PREFIX"
set -x
npm install --prefix "$PREFIX" --no-save --no-package-lock --omit=optional --ignore-scripts --no-audit --no-fund \
  "node-llama-cpp@$VERSION" "@node-llama-cpp/$BINARY@$VERSION"
