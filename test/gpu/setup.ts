// GPU tests run in Node through Dawn on software Vulkan (SwiftShader) unless a Vulkan driver is configured.
import { SWIFTSHADER_ICD, installWebGpuGlobals } from '../../bench/dawn';

if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
installWebGpuGlobals();
