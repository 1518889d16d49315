/**
 * Browser profiles: named sets of Chrome flags for a kind of machine (`--profile nvidia,unquantized`), and
 * what each means for Dawn in the Node runtime. ("Preset" means a model architecture: src/model/presets.ts.)
 * Pure.
 */

/** Chromium flag sets. Combine with commas: `--profile gpu,unquantized`. */
export const PROFILES = {
  /** WebGPU on whatever adapter Chrome picks (SwiftShader when there is no GPU). */
  default: [],
  /** Real GPU on Linux through Vulkan, ignoring the GPU blocklist. */
  gpu: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist'],
  /**
   * Linux + NVIDIA, headless server: Vulkan without a display surface, and Dawn's f16 on NVIDIA
   * (Dawn hides shader-f16 on NVIDIA's Vulkan driver unless vulkan_enable_f16_on_nvidia is on).
   */
  nvidia: [
    '--enable-features=Vulkan',
    '--use-angle=vulkan',
    '--ignore-gpu-blocklist',
    '--disable-vulkan-surface',
    '--enable-dawn-features=vulkan_enable_f16_on_nvidia',
  ],
  /** Linux + AMD (RADV or AMDVLK), headless server: Vulkan without a display surface. */
  amd: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist', '--disable-vulkan-surface'],
  /** Linux + Intel (ANV), headless server: Vulkan without a display surface. */
  intel: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist', '--disable-vulkan-surface'],
  /** Force the SwiftShader software adapter (CI; results are labelled software). */
  swiftshader: ['--use-webgpu-adapter=swiftshader'],
  /** Unquantised GPU timestamps (Chrome rounds them to 100 µs otherwise). */
  unquantized: ['--enable-webgpu-developer-features', '--disable-dawn-features=timestamp_quantization'],
  /**
   * Keep a background, occluded or headed-but-covered page at full speed: no timer throttling (intensive
   * wake-up throttling included), no renderer backgrounding, no occlusion backgrounding, no hang monitor,
   * no IPC flood protection. (No --disable-features here: Chromium keeps only the last occurrence, which
   * would drop the features Playwright itself disables.)
   */
  'no-throttle': [
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--disable-hang-monitor',
    '--disable-ipc-flooding-protection',
  ],
} as const satisfies Record<string, readonly string[]>;

export type ProfileName = keyof typeof PROFILES;

export function isProfileName(name: string): name is ProfileName {
  return Object.prototype.hasOwnProperty.call(PROFILES, name);
}

/** `nvidia,unquantized` → the profiles, or what is wrong with the list. */
export function parseProfileList(text: string): { ok: true; value: ProfileName[] } | { ok: false; error: string } {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return { ok: false, error: 'needs at least one name' };
  const bad = names.find((n) => !isProfileName(n));
  if (bad !== undefined) return { ok: false, error: `unknown profile "${bad}" (known: ${Object.keys(PROFILES).join(', ')})` };
  return { ok: true, value: names as ProfileName[] };
}

/** Flags every launch gets: WebGPU on, no background work, no throttling of a hidden page. */
export const BASE_FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** The Chromium command-line flags for a run. `isRoot` adds --no-sandbox (Chrome refuses to run as root otherwise). */
export function chromeFlags(o: { profiles: readonly ProfileName[]; flags: readonly string[] }, isRoot: boolean): string[] {
  const flags = [...BASE_FLAGS, ...o.profiles.flatMap((p) => PROFILES[p]), ...o.flags];
  if (isRoot && !flags.includes('--no-sandbox')) flags.push('--no-sandbox');
  return mergeListFlags([...new Set(flags)]);
}

/** Chromium switches whose value is a comma-separated list; Chromium keeps only the last occurrence. */
export const LIST_FLAGS = ['--enable-features', '--disable-features', '--enable-dawn-features', '--disable-dawn-features'];

/**
 * Merges repeated list switches (from several profiles and --flags) into one occurrence each, at the
 * place of the first, so that `--profile nvidia,unquantized,no-throttle` keeps every feature.
 */
export function mergeListFlags(flags: readonly string[]): string[] {
  const nameOf = (f: string) => (f.indexOf('=') > 0 ? f.slice(0, f.indexOf('=')) : f);
  const values = new Map<string, string[]>();
  for (const f of flags) {
    if (!LIST_FLAGS.includes(nameOf(f))) continue;
    const list = values.get(nameOf(f)) ?? [];
    for (const v of f.slice(f.indexOf('=') + 1).split(',').map((s) => s.trim()).filter(Boolean)) if (!list.includes(v)) list.push(v);
    values.set(nameOf(f), list);
  }
  const out: string[] = [];
  for (const f of flags) {
    const name = nameOf(f);
    if (!LIST_FLAGS.includes(name)) out.push(f);
    else if (values.has(name)) {
      out.push(`${name}=${(values.get(name) as string[]).join(',')}`);
      values.delete(name);
    }
  }
  return out;
}

interface DawnProfile {
  backend?: string;
  enable?: string[];
  disable?: string[];
  /** Point the Vulkan loader at SwiftShader (unless VK_ICD_FILENAMES / VK_DRIVER_FILES is set). */
  software?: boolean;
}

/**
 * What each profile means for Dawn in Node (npm `webgpu`): `nvidia` turns on f16 on NVIDIA's Vulkan
 * driver, `unquantized` turns off timestamp quantisation, `swiftshader` picks the software Vulkan driver;
 * browser-only profiles map to nothing.
 */
export const DAWN_PROFILES: Record<ProfileName, DawnProfile> = {
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

export interface DawnChoices {
  profiles: readonly ProfileName[];
  adapter: string | null;
  backend: string | null;
  dawnEnable: readonly string[];
  dawnDisable: readonly string[];
}

/** Dawn's create() options from the profiles, then the explicit adapter, backend and toggles. */
export function dawnSetup(o: DawnChoices): DawnSetup {
  const unique = (list: string[]) => [...new Set(list)];
  const profiles = o.profiles.map((p) => DAWN_PROFILES[p]);
  const disable = unique([...profiles.flatMap((p) => p.disable ?? []), ...o.dawnDisable]);
  const enable = unique([...BASE_DAWN_ENABLE, ...profiles.flatMap((p) => p.enable ?? []), ...o.dawnEnable]).filter((t) => !disable.includes(t));
  const backend = o.backend ?? profiles.map((p) => p.backend).find((b) => b !== undefined) ?? null;
  const options = [
    ...(backend ? [`backend=${backend}`] : []),
    ...(o.adapter ? [`adapter=${o.adapter}`] : []),
    ...(enable.length ? [`enable-dawn-features=${enable.join(',')}`] : []),
    ...(disable.length ? [`disable-dawn-features=${disable.join(',')}`] : []),
  ];
  return { options, software: profiles.some((p) => p.software) };
}
