/**
 * Synthetic weights written on the GPU (shaders/weights/generate.wgsl): nothing is uploaded, and
 * weights.ref.ts reproduces every stored weight on the CPU.
 */
import mix32Wgsl from '../../../shaders/core/mix32.wgsl?raw';
import genTemplate from '../../../shaders/weights/generate.wgsl?raw';
import { type Resources, createUniform } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';

import { LAYOUTS, type QTensor, type WeightFormat, dataBytes, hasScales, scaleBytes } from '../../core/tensor';

const genWgsl = fillTemplate(genTemplate, { mix32: mix32Wgsl });

const WG = 256;
const MAX_GROUPS_X = 65535;
const MIN_AMP_LOG2 = -12;
const MAX_AMP_LOG2 = 0;

/**
 * Amplitude exponent for a layer with `fanIn` inputs: round(log2(sqrt(3 / fanIn))), clamped to
 * [-12, 0]. Uniform weights of that amplitude keep activations O(1) through a stack of layers.
 */
export function ampLog2For(fanIn: number): number {
  const e = Math.round(Math.log2(Math.sqrt(3 / fanIn)));
  return Math.min(MAX_AMP_LOG2, Math.max(MIN_AMP_LOG2, e));
}

function params(seed: number, idxBase: number, words: number, blocks: number, amp: number, scaleBase: number, block: number): ArrayBuffer {
  const buf = new ArrayBuffer(28);
  new Uint32Array(buf, 0, 4).set([seed >>> 0, idxBase >>> 0, words, blocks]);
  new Float32Array(buf, 16, 2).set([amp, scaleBase]);
  new Uint32Array(buf, 24, 1).set([block]);
  return buf;
}

/**
 * Fills every part of `tensor` with the synthetic weights of (seed, ampLog2) and submits the work
 * (queue order makes it visible to later submits; nothing is awaited on the GPU).
 */
export async function generateWeights(device: GPUDevice, res: Resources, tensor: QTensor, seed: number, ampLog2: number): Promise<void> {
  const { format, rows, cols } = tensor;
  if (!Number.isInteger(ampLog2) || ampLog2 < MIN_AMP_LOG2 || ampLog2 > MAX_AMP_LOG2) {
    throw new Error(`${tensor.label}: ampLog2 ${ampLog2} is not an integer in [${MIN_AMP_LOG2}, ${MAX_AMP_LOG2}] (values would not be exact)`);
  }
  if (rows * cols > 2 ** 32) throw new Error(`${tensor.label}: ${rows} x ${cols} weights overflow the u32 element index`);
  const { block } = LAYOUTS[format];
  if (cols % block !== 0) throw new Error(`${tensor.label}: ${cols} columns do not fill whole ${format} blocks of ${block}`);
  const label = `weights_gen.${format}`;
  const [dataPipeline, scalePipeline] = await Promise.all([
    getPipeline(device, { label, code: genWgsl, entryPoint: `gen_${format}`, constants: { WG } }),
    hasScales(format) ? getPipeline(device, { label: 'weights_gen.scales', code: genWgsl, entryPoint: 'gen_scales', constants: { WG } }) : null,
  ]);
  const amp = 2 ** ampLog2;
  const scaleBase = format === 'q8_0' ? 2 ** -7 : 2 ** -3;
  const enc = device.createCommandEncoder({ label: `${label}.${tensor.label}` });
  const pass = enc.beginComputePass({ label: `${label}.${tensor.label}.pass` });
  const dispatch = (pipeline: GPUComputePipeline, out: GPUBuffer, words: number, blocks: number, idxBase: number, what: string) => {
    const uniform = createUniform(device, res, `${label}.${what}.params`, params(seed, idxBase, words, blocks, amp, scaleBase, block));
    const bind = device.createBindGroup({
      label: `${label}.${what}.bind`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: out } },
        { binding: 1, resource: { buffer: uniform } },
      ],
    });
    const groups = Math.ceil(words / WG);
    const x = Math.min(groups, MAX_GROUPS_X);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  };
  tensor.parts.forEach((part, p) => {
    const n = part.rows * cols;
    const idxBase = part.rowStart * cols;
    dispatch(dataPipeline, part.data, dataBytes(format, n) / 4, 0, idxBase, `part${p}.data`);
    if (scalePipeline) {
      if (!part.scales) throw new Error(`${tensor.label}: part ${p} has no scales buffer`);
      dispatch(scalePipeline, part.scales, Math.ceil(scaleBytes(format, n) / 4), n / block, idxBase, `part${p}.scales`);
    }
  });
  pass.end();
  device.queue.submit([enc.finish()]);
}
