/**
 * The weight loading of each format (shaders/formats/<format>.wgsl): bindings 1 (data) and 2 (scales) and
 * `fn load_w(row: u32, s: u32) -> W8`, weights 8s..8s+7 of a part's row, read per the layouts of
 * src/core/tensor.ts. The linear kernels and the embedding insert it as their `weights` template key after
 * declaring `params.K` and `struct W8`; TypeScript only picks the file.
 */
import bf16Wgsl from '../../../shaders/formats/bf16.wgsl?raw';
import f16Wgsl from '../../../shaders/formats/f16.wgsl?raw';
import f32Wgsl from '../../../shaders/formats/f32.wgsl?raw';
import kScaleMinWgsl from '../../../shaders/formats/k_scale_min.wgsl?raw';
import q4_0Wgsl from '../../../shaders/formats/q4_0.wgsl?raw';
import q4_kWgsl from '../../../shaders/formats/q4_k.wgsl?raw';
import q5_kWgsl from '../../../shaders/formats/q5_k.wgsl?raw';
import q6_kWgsl from '../../../shaders/formats/q6_k.wgsl?raw';
import q8_0Wgsl from '../../../shaders/formats/q8_0.wgsl?raw';
import type { WeightFormat } from '../../core/tensor';
import { fillTemplate } from '../../gpu/wgsl';

/** Per format: the WGSL of its bindings and load_w (q4_k and q5_k share the 6-bit scale decode). */
export const FORMAT_CODE: Readonly<Record<WeightFormat, string>> = Object.freeze({
  f32: f32Wgsl,
  f16: f16Wgsl,
  bf16: bf16Wgsl,
  q8_0: q8_0Wgsl,
  q4_0: q4_0Wgsl,
  q4_k: fillTemplate(q4_kWgsl, { k_scale_min: kScaleMinWgsl }),
  q5_k: fillTemplate(q5_kWgsl, { k_scale_min: kScaleMinWgsl }),
  q6_k: q6_kWgsl,
});
