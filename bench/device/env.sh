# shellcheck shell=bash
# Source ON the GPU server after .devrun/setup.sh: puts the carried node on PATH and points the Vulkan
# loader at NVIDIA's ICD when there is one (container toolkits mount it under /usr/local/nvidia, driver
# packages install it under /usr/share or /etc); other GPUs keep the loader's own search.
export PATH=/tmp/devnode/bin:$PATH
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$f" ]; then export VK_DRIVER_FILES=$f; break; fi
done
