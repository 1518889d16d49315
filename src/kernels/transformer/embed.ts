/** Token embedding lookup (shaders/transformer/embed.wgsl) from a table in any weight format. */
import embedWgsl from '../../../shaders/transformer/embed.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import { type QTensor, WEIGHT_FORMATS, type WeightFormat } from '../../core/tensor';
import { type BufferArg, type Kernel, bindBuffers, dispatchWork } from '../../core/work';
import { assertRows, u32Words } from './shared';

/** Columns per workgroup of embed (grid y = token rows). */
const EMBED_WG = 64;

export interface EmbedConfig {
  hidden: number;
  vocab: number;
}

export interface EmbedArgs {
  /** array<u32> [rows] token ids; ids >= vocab are clamped to vocab - 1. */
  tokens: BufferArg;
  /** [vocab, hidden] in any WeightFormat, possibly split into row parts. */
  table: QTensor;
  /** f32 [rows, hidden]. */
  x: BufferArg;
  rows: number;
}

/**
 * x[t,:] = dequantised table row tokens[t]. One dispatch per table part (each writes the rows whose
 * token that part holds), grid (hidden / 64, rows). The pipeline is chosen by the table's format at
 * bind time, so one factory serves every format.
 */
export async function createEmbed(device: GPUDevice, cfg: EmbedConfig): Promise<Kernel<EmbedArgs>> {
  const label = 'embed';
  const pipelines = new Map<WeightFormat, GPUComputePipeline>();
  for (const format of WEIGHT_FORMATS) {
    pipelines.set(format, await getPipeline(device, { label: `${label}.${format}`, code: embedWgsl, entryPoint: `embed_${format}`, constants: { WG: EMBED_WG } }));
  }
  return {
    bind(args, res) {
      const { table, rows } = args;
      assertRows(device, label, rows);
      if (table.rows !== cfg.vocab || table.cols !== cfg.hidden) {
        throw new Error(`${label}: table ${table.label} is ${table.rows}x${table.cols}, expected ${cfg.vocab}x${cfg.hidden}`);
      }
      const pipeline = pipelines.get(table.format);
      if (!pipeline) throw new Error(`${label}: unknown weight format ${table.format}`);
      const quantised = table.format === 'q8_0' || table.format === 'q4_0';
      const gx = Math.ceil(cfg.hidden / EMBED_WG);
      const groups = table.parts.map((part, p) => {
        const params = createUniform(device, res, `${label}.part${p}.params`, u32Words(rows, cfg.hidden, part.rowStart, part.rows, cfg.vocab, 0, 0, 0));
        const buffers: BufferArg[] = [args.tokens, part.data, args.x, params];
        if (quantised) {
          if (!part.scales) throw new Error(`${label}: ${table.label} part ${p} (${table.format}) has no scales`);
          buffers.push(part.scales);
        }
        return { group: bindBuffers(device, pipeline, `${label}.part${p}`, buffers), grid: [gx, rows] as const };
      });
      return dispatchWork(label, pipeline, groups);
    },
  };
}
