#!/usr/bin/env bash
# Runs ON the GPU server, as root, from the directory that holds .devrun/ (made by bench/device/prepare.sh):
# unpacks the Vulkan loader and GL dispatch libraries into / (dpkg -x, no package database touched), Node.js
# into /tmp/devnode, and Dawn next to its JS entry, then links node_modules/webgpu to it so that the bundled
# runner's `import 'webgpu'` resolves. Idempotent.
set -euo pipefail
for f in .devrun/deb/*.deb; do dpkg -x "$f" /; done
ldconfig
mkdir -p /tmp/devnode/bin
[ -x /tmp/devnode/bin/node ] || { xz -dc .devrun/node.xz > /tmp/devnode/bin/node; chmod +x /tmp/devnode/bin/node; }
d=.devrun/node_modules/webgpu/dist/linux-x64
[ -f $d/dawn.node ] || xz -dc $d/dawn.node.xz > $d/dawn.node
mkdir -p node_modules
[ -e node_modules/webgpu ] || ln -s ../.devrun/node_modules/webgpu node_modules/webgpu
