/**
 * Dawn create() options for the Node runtime (npm `webgpu`) from the CLI's presets and toggles. The
 * presets mean the same as in the browser: `nvidia` turns on f16 on NVIDIA's Vulkan driver,
 * `unquantized` turns off timestamp quantisation, `swiftshader` picks the software Vulkan driver. Pure.
 */
import type { CliOptions, PresetName } from './args';

interface DawnPreset {
  backend?: string;
  enable?: string[];
  disable?: string[];
  /** Point the Vulkan loader at SwiftShader (unless VK_ICD_FILENAMES / VK_DRIVER_FILES is set). */
  software?: boolean;
}

/** What each browser preset means for Dawn in Node; browser-only presets map to nothing. */
export const DAWN_PRESETS: Record<PresetName, DawnPreset> = {
  default: {},
  gpu: { backend: 'vulkan' },
  nvidia: { backend: 'vulkan', enable: ['vulkan_enable_f16_on_nvidia'] },
  amd: { backend: 'vulkan' },
  intel: { backend: 'vulkan' },
  swiftshader: { backend: 'vulkan', software: true },
  unquantized: { disable: ['timestamp_quantization'] },
  'no-throttle': {},
};

/**
 * Toggles every Node run gets: the equivalent of Chrome's --enable-unsafe-webgpu, so the same features
 * (subgroup matrices, ...) are offered as in the browser runs.
 */
export const BASE_DAWN_ENABLE = ['allow_unsafe_apis'];

export interface DawnSetup {
  /** Strings for `create()` of npm `webgpu`. */
  options: string[];
  software: boolean;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

export function dawnSetup(o: Pick<CliOptions, 'presets' | 'adapter' | 'backend' | 'dawnEnable' | 'dawnDisable'>): DawnSetup {
  const presets = o.presets.map((p) => DAWN_PRESETS[p]);
  const disable = unique([...presets.flatMap((p) => p.disable ?? []), ...o.dawnDisable]);
  const enable = unique([...BASE_DAWN_ENABLE, ...presets.flatMap((p) => p.enable ?? []), ...o.dawnEnable]).filter((t) => !disable.includes(t));
  const backend = o.backend ?? presets.map((p) => p.backend).find((b) => b !== undefined) ?? null;
  const options = [
    ...(backend ? [`backend=${backend}`] : []),
    ...(o.adapter ? [`adapter=${o.adapter}`] : []),
    ...(enable.length ? [`enable-dawn-features=${enable.join(',')}`] : []),
    ...(disable.length ? [`disable-dawn-features=${disable.join(',')}`] : []),
  ];
  return { options, software: presets.some((p) => p.software) };
}

/** Adapters named in Dawn's "no suitable backends" message: `{ backend, name }` each. */
export function parseAdapterList(message: string): Array<{ backend: string; name: string }> {
  const out: Array<{ backend: string; name: string }> = [];
  for (const m of message.matchAll(/backend: '([^']*)', name: '([^']*)'/g)) out.push({ backend: m[1] as string, name: m[2] as string });
  return out;
}
