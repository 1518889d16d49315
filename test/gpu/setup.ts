import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// GPU tests run in Node through Dawn on software Vulkan (SwiftShader) unless a Vulkan driver is configured.
import { SWIFTSHADER_ICD, installWebGpuGlobals } from '../../src/runtime/dawn';

// The Vulkan loader complains on every instance when this is unset (headless CI); any private dir will do.
process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'tokenbench-xdg-'));
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
installWebGpuGlobals();
