import { validateArch } from '../model/arch';
import { PRESETS } from '../model/presets';
import type { Arch } from '../model/types';

/** A model entry of the config: a preset name or a custom architecture, validated. */
export function resolveModel(m: string | Arch): { ok: true; arch: Arch } | { ok: false; error: string } {
  if (typeof m === 'string') {
    const preset = PRESETS[m];
    return preset ? { ok: true, arch: preset } : { ok: false, error: `unknown preset "${m}"` };
  }
  const v = validateArch(m);
  return v.ok ? { ok: true, arch: v.arch } : { ok: false, error: v.errors.join('; ') };
}
