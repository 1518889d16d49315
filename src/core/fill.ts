/** GPU fills: reproducible random operands (CPU twins: hashValue, hashValueF16) and output poisoning. */
import fillF16Wgsl from '../../shaders/core/fill_f16.wgsl?raw';
import fillWgsl from '../../shaders/core/fill.wgsl?raw';
import mix32Wgsl from '../../shaders/core/mix32.wgsl?raw';
import { type Resources, createUniform } from '../gpu/buffers';
import { fillTemplate, getPipeline } from '../gpu/wgsl';

/** Module-scope: the templates are filled once (mix32 shared with shaders/weights_gen.wgsl). */
const FILL_CODE = fillTemplate(fillWgsl, { mix32: mix32Wgsl });
const FILL_F16_CODE = fillTemplate(fillF16Wgsl, { mix32: mix32Wgsl });

const WG = 256;
const MAX_GROUPS_X = 65535;

async function fill(
  device: GPUDevice,
  res: Resources,
  buffer: GPUBuffer,
  count: number,
  entryPoint: 'fill_hash' | 'fill_const',
  seed: number,
  scale: number,
  value: number,
): Promise<void> {
  const pipeline = await getPipeline(device, { label: `fill.${entryPoint}`, code: FILL_CODE, entryPoint, constants: { WG } });
  const words = new ArrayBuffer(16);
  new Uint32Array(words, 0, 2).set([seed >>> 0, count >>> 0]);
  new Float32Array(words, 8, 2).set([scale, value]);
  const uniform = createUniform(device, res, `fill.${entryPoint}.params`, words);
  const bind = device.createBindGroup({
    label: `fill.${entryPoint}.bind`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer } },
      { binding: 1, resource: { buffer: uniform } },
    ],
  });
  const groups = Math.ceil(count / WG);
  const x = Math.min(groups, MAX_GROUPS_X);
  const y = Math.ceil(groups / x);
  const enc = device.createCommandEncoder({ label: `fill.${entryPoint}` });
  const pass = enc.beginComputePass({ label: `fill.${entryPoint}.pass` });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  device.queue.submit([enc.finish()]);
}

/** Fills `count` f32 with hashValue(seed, i, scale). */
export function fillHash(device: GPUDevice, res: Resources, buffer: GPUBuffer, count: number, seed: number, scale = 1) {
  return fill(device, res, buffer, count, 'fill_hash', seed, scale, 0);
}

/** Fills `count` f32 with `value` (NaN poisons an output so unwritten elements fail verification). */
export function fillConst(device: GPUDevice, res: Resources, buffer: GPUBuffer, count: number, value: number) {
  return fill(device, res, buffer, count, 'fill_const', 0, 1, value);
}

/**
 * Fills `count` f16 (packed two per u32, low half first) with hashValueF16(seed, i): values that f16
 * holds exactly, so a reference on "f16-rounded inputs" sees the very bits the kernel reads. Needs no
 * shader-f16. An odd count leaves the last high half 0.
 */
export async function fillHashF16(device: GPUDevice, res: Resources, buffer: GPUBuffer, count: number, seed: number): Promise<void> {
  const pipeline = await getPipeline(device, { label: 'fill.fill_hash_f16', code: FILL_F16_CODE, entryPoint: 'fill_hash_f16', constants: { WG } });
  const words = Math.ceil(count / 2);
  if (words === 0) return;
  const uniform = createUniform(device, res, 'fill.fill_hash_f16.params', new Uint32Array([seed >>> 0, count >>> 0, words >>> 0, 0]).buffer);
  const bind = device.createBindGroup({
    label: 'fill.fill_hash_f16.bind',
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer } },
      { binding: 1, resource: { buffer: uniform } },
    ],
  });
  const groups = Math.ceil(words / WG);
  const x = Math.min(groups, MAX_GROUPS_X);
  const y = Math.ceil(groups / x);
  const enc = device.createCommandEncoder({ label: 'fill.fill_hash_f16' });
  const pass = enc.beginComputePass({ label: 'fill.fill_hash_f16.pass' });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  device.queue.submit([enc.finish()]);
}
