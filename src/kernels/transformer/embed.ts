/** Token embedding lookup (shaders/transformer/embed.wgsl) from a table in any weight format. */
import embedWgsl from '../../../shaders/transformer/embed.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import { type QTensor, WEIGHT_FORMATS, type WeightFormat, colsMultiple, hasScales } from '../../core/tensor';
import { type BufferArg, type Kernel, bufferEntry, dispatchWork } from '../../core/work';
import { FORMAT_CODE } from '../weights/formats';
import { assertRows, u32Words } from './shared';

/** 8-weight steps of a row per workgroup of embed (grid y = token rows). */
const EMBED_WG = 64;

export interface EmbedConfig {
  hidden: number;
  vocab: number;
  /** Formats the table may be in (a pipeline each; default: every format whose blocks fit a row of `hidden`). */
  formats?: readonly WeightFormat[];
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
 * token that part holds), grid (hidden / 8 / 64, rows). The pipeline is chosen by the table's format at
 * bind time (one per format, each with that format's load_w), so one factory serves every format.
 */
export async function createEmbed(device: GPUDevice, cfg: EmbedConfig): Promise<Kernel<EmbedArgs>> {
  const label = 'embed';
  const pipelines = new Map<WeightFormat, GPUComputePipeline>();
  for (const format of cfg.formats ?? WEIGHT_FORMATS.filter((f) => cfg.hidden % colsMultiple(f) === 0)) {
    const code = fillTemplate(embedWgsl, { weights: FORMAT_CODE[format] });
    pipelines.set(format, await getPipeline(device, { label: `${label}.${format}`, code, constants: { WG: EMBED_WG } }));
  }
  return {
    bind(args, res) {
      const { table, rows } = args;
      assertRows(device, label, rows);
      if (table.rows !== cfg.vocab || table.cols !== cfg.hidden) {
        throw new Error(`${label}: table ${table.label} is ${table.rows}x${table.cols}, expected ${cfg.vocab}x${cfg.hidden}`);
      }
      const pipeline = pipelines.get(table.format);
      if (!pipeline) throw new Error(`${label}: no ${table.format} pipeline for rows of ${cfg.hidden} weights (needs a multiple of ${colsMultiple(table.format)})`);
      const gx = Math.ceil(cfg.hidden / 8 / EMBED_WG);
      const groups = table.parts.map((part, p) => {
        const params = createUniform(device, res, `${label}.part${p}.params`, u32Words(cfg.hidden, rows, part.rowStart, part.rows, cfg.vocab, 0, 0, 0));
        const entries = [bufferEntry(0, args.tokens), bufferEntry(1, part.data), bufferEntry(3, args.x), bufferEntry(5, params)];
        if (hasScales(table.format)) {
          if (!part.scales) throw new Error(`${label}: ${table.label} part ${p} (${table.format}) has no scales`);
          entries.push(bufferEntry(2, part.scales));
        }
        const group = device.createBindGroup({ label: `${label}.part${p}.bind`, layout: pipeline.getBindGroupLayout(0), entries });
        return { group, grid: [gx, rows] as const };
      });
      return dispatchWork(label, pipeline, groups);
    },
  };
}
