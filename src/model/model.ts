/**
 * The model on the GPU: synthetic weights generated in place, KV caches, activations, and the encoded
 * forward pass for a prefill (one sequence, T tokens) and a decode step (B sequences, one token each).
 * Tokens stay on the GPU: argmax writes the next token where the next step's embedding reads it, and a
 * one-thread kernel advances the position, so many steps go into one submit with no CPU round trip.
 *
 * A layer is LAYER_KERNELS dispatches (more only where a weight matrix is split into row parts):
 *   1. QKV linear with the attention RMSNorm as its prologue (one fused [nq + 2 nkv, hidden] matrix, bias;
 *      one dispatch per format segment where a mix gives v another format than q and k: plan.ts)
 *   2. ropeKv: rotate q into its buffer, rotate k and append k and v to the layer's KV cache
 *   3. attention (prefill or decode)
 *   4. o linear added into the residual stream
 *   5. gate/up linear with the FFN RMSNorm as its prologue and SiLU(gate) * up as its epilogue
 *   6. down linear added into the residual stream
 */
import { type Resources, createBuffer, queueDone, readBuffer } from '../gpu/buffers';
import { fillHash, fillHashF16 } from '../core/fill';
import { type KvType, kvElementBytes } from '../core/kv';
import { allocTensor, rowsPerPart, tensorBytes } from '../core/tensor';
import type { QTensor, WeightFormat } from '../core/tensor';
import { type GpuWork, type Kernel, type Traffic, type WorkCost, countDispatches, withCost } from '../core/work';
import { createAttentionDecode, createAttentionPrefill } from '../kernels/attention/attention';
import type { DecodeTile } from '../kernels/attention/tiles';
import type { LinearArgs, LinearConfig, TokenTile } from '../kernels/linear/config';
import { createLinear } from '../kernels/linear/linear';
import type { LinearParams } from '../kernels/linear/variants';
import { createArgmax } from '../kernels/transformer/argmax';
import { createEmbed } from '../kernels/transformer/embed';
import { createRmsNorm } from '../kernels/transformer/rmsnorm';
import { createRopeKv } from '../kernels/transformer/rope';
import { createStepAdvance } from '../kernels/transformer/step';
import { generateWeights } from '../kernels/weights/weights';
import type { Formats } from './formats/mix';
import { BIAS_SCALE, type LayerPlan, type ModelPlan, NORM_SCALE, type TensorSpec, modelPlan, singleFormat } from './plan';
import {
  argmaxTraffic,
  attentionDecodeFlops,
  attentionDecodeTraffic,
  attentionPrefillFlops,
  attentionPrefillTraffic,
  copyTraffic,
  embedTraffic,
  linearFlops,
  linearTraffic,
  ropeKvTraffic,
  rmsNormTraffic,
  stepAdvanceTraffic,
  sumTraffic,
} from './traffic';
import type { ModelTargets } from './gguf/upload';
import type { Arch } from './types';

export interface ModelConfig {
  arch: Arch;
  /** One format for every matrix, or a mix (per tensor: formats/mix.ts). */
  format: Formats;
  /** Most token rows in one forward (max of prompt length and decode batch). */
  maxRows: number;
  /** Most sequences decoded at once. */
  seqCap: number;
  /** KV-cache positions per sequence. */
  ctxCap: number;
  /** Most generated tokens kept in the on-GPU token log, per sequence. */
  logCap: number;
  /** KV-cache element type (default f32); f16 is packed two per u32 and runs without shader-f16. */
  kvType?: KvType;
  /**
   * Largest weight buffer in bytes: tensors are split into row parts that fit it. Defaults to (and is
   * capped at) the device's binding limit; tests lower it to exercise split tensors in the forward.
   */
  maxBindingBytes?: number;
  /** Tuned decode-attention tile per decode batch (src/run/tune/tasks.ts); the default elsewhere. */
  decodeTiles?: Partial<Record<number, DecodeTile>>;
  /**
   * Tuned variants of each linear role per token tile (src/run/tune/tasks.ts), used for every format the
   * role has in a mix (tuned on its main one: roleFormats); defaults elsewhere.
   */
  linearVariants?: Partial<Record<LinearRole, Partial<Record<TokenTile, LinearParams>>>>;
  /**
   * What a model file adds to the architecture (GGUF: gguf/arch.ts ModelSpec); absent for the synthetic
   * presets: theta^(-2i/headDim) frequencies, no q/k norms, weights generated on the GPU.
   */
  file?: ModelFileConfig;
}

/** A model whose weights come from a file. */
export interface ModelFileConfig {
  /** The headDim / 2 RoPE inverse frequencies (scaling and per-pair factors folded in). */
  ropeInvFreq: Float32Array;
  /** Per-head RMSNorm of q and k before RoPE (qwen3), eps arch.normEps. */
  qkNorm: boolean;
  /** Fills every weight buffer (allocated, not generated), e.g. streaming a GGUF file (gguf/upload.ts). */
  load(targets: ModelTargets): Promise<void>;
}

/** The linear layers of a model: four per layer and the output head. */
export const LINEAR_ROLES = ['qkv', 'o', 'gateUp', 'down', 'head'] as const;
export type LinearRole = (typeof LINEAR_ROLES)[number];

/**
 * The config of each linear role: what the forward builds, and the shapes an autotuner times. The
 * layers' RMSNorms are fused into the QKV and gate/up prologues, SwiGLU into gate/up's epilogue, and o
 * and down add into the residual stream.
 */
export function modelLinearConfigs(arch: Arch, format: WeightFormat): Record<LinearRole, LinearConfig> {
  const H = arch.hidden;
  const nq = arch.heads * arch.headDim;
  const nkv = arch.kvHeads * arch.headDim;
  const norm = { eps: arch.normEps };
  const lin = (K: number, N: number, residual: boolean): LinearConfig => ({ format, K, N, bias: false, residual });
  return {
    qkv: { format, K: H, N: nq + 2 * nkv, bias: arch.qkvBias, residual: false, norm, tag: 'qkv' },
    o: lin(nq, H, true),
    gateUp: { format, K: H, N: 2 * arch.ffn, bias: false, residual: false, norm, swiglu: true },
    down: lin(arch.ffn, H, true),
    head: lin(H, arch.vocab, false),
  };
}

/** The tensor of `role` in a layer plan (the head: the plan's lm_head, or the embedding when tied). */
function roleSpec(p: ModelPlan, role: LinearRole, lp: LayerPlan): TensorSpec {
  return role === 'head' ? (p.lmHead ?? p.embedding) : lp[role];
}

/**
 * The formats each linear role runs in, over every layer, the one holding most of the role's bytes first
 * (what the tuner tunes the role on; a plain model format gives one per role).
 */
export function roleFormats(p: ModelPlan): Record<LinearRole, WeightFormat[]> {
  const out = {} as Record<LinearRole, WeightFormat[]>;
  for (const role of LINEAR_ROLES) {
    const bytes = new Map<WeightFormat, number>();
    const specs = role === 'head' || !p.layers.length ? [p.lmHead ?? p.embedding] : p.layers.map((lp) => lp[role]);
    for (const t of specs) for (const s of t.segments) bytes.set(s.format, (bytes.get(s.format) ?? 0) + tensorBytes(s.format, s.rows, t.cols));
    out[role] = [...bytes.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f);
  }
  return out;
}

/** Dispatches of one layer when no weight matrix is split (see the module comment). */
export const LAYER_KERNELS = 6;

/** A weight matrix on the GPU: one QTensor per format segment of its plan (usually one). */
type Matrix = readonly QTensor[];

interface LayerTensors {
  /** q, k, v stacked by rows; gate/up interleaved by rows (plan.ts). */
  qkv: Matrix;
  o: Matrix;
  gateUp: Matrix;
  down: Matrix;
  attnNorm: GPUBuffer;
  ffnNorm: GPUBuffer;
  qkvBias: GPUBuffer | null;
  /** f32 [2 headDim]: q then k per-head norm weights (ModelFileConfig.qkNorm only). */
  qkNorm: GPUBuffer | null;
  /** [seqCap][kvHeads][ctxCap][headDim] in cfg.kvType. */
  kCache: GPUBuffer;
  vCache: GPUBuffer;
}

/** The works of one forward, each with its cost, split where a buffer copy must sit between passes (prefill). */
export interface ForwardOps {
  /** Embedding and every layer. */
  body: GpuWork[];
  /** Prefill only: copy the last row of the residual stream for the output head. */
  copyLastRow: { src: GPUBuffer; offset: number; dst: GPUBuffer; bytes: number } | null;
  /** Final norm, lm_head, argmax, position advance. */
  head: GpuWork[];
  /** Dispatches the works of one layer encode (the most over the layers), counted from the built works. */
  dispatchesPerLayer: number;
  /** Every layer's linear of each role (the head: one), in layer order (kernel measurements at real shapes). */
  linears: Record<LinearRole, GpuWork[]>;
}

function fail(why: string): never {
  throw new Error(why);
}

/** `work` with its cost: `traffic` at state[0] = pos, and `flops` (0 for the O(hidden) kernels, as accounting.ts counts them). */
function costed(work: GpuWork, traffic: (pos: number) => Traffic, flops: (pos: number) => number = () => 0): GpuWork {
  return withCost(work, (pos): WorkCost => ({ ...traffic(pos), flops: flops(pos) }));
}

/**
 * Bytes one forward reads and writes with state[0] = `pos` at its start: every work of the body and the
 * head, plus prefill's last-row copy. Throws when a work carries no cost, so a kernel added to build()
 * without its count cannot make the reported figure quietly low.
 */
export function forwardTraffic(f: ForwardOps, pos: number): Traffic {
  const works = [...f.body, ...f.head];
  const missing = works.filter((w) => !w.cost).map((w) => w.label);
  if (missing.length) throw new Error(`forwardTraffic: no cost on work(s) ${missing.join(', ')}`);
  const parts: Traffic[] = works.map((w) => w.cost!(pos));
  if (f.copyLastRow) parts.push(copyTraffic(f.copyLastRow.bytes));
  return sumTraffic(parts);
}

export class GpuModel {
  readonly plan: ModelPlan;
  /** [pos, generated-token counter] */
  readonly state: GPUBuffer;
  readonly prompt: GPUBuffer;
  readonly cur: GPUBuffer;
  readonly log: GPUBuffer;
  readonly logits: GPUBuffer;
  private readonly layers: LayerTensors[] = [];
  private embedding!: QTensor;
  private lmHead!: QTensor;
  private finalNorm!: GPUBuffer;
  private readonly act: Record<'x' | 'h' | 'qkv' | 'q' | 'attn' | 'a' | 'xLast' | 'hLast', GPUBuffer>;
  /** Teacher forcing only (allocated on first use): logits of every prompt row, their argmax, a log sink. */
  private forcedOut: { logits: GPUBuffer; top1: GPUBuffer; log: GPUBuffer } | null = null;
  private readonly forwards = new Map<string, ForwardOps>();

  private constructor(
    readonly device: GPUDevice,
    private readonly res: Resources,
    readonly cfg: ModelConfig,
    private readonly maxBindingBytes: number,
  ) {
    const { arch, maxRows: R, seqCap } = cfg;
    this.plan = modelPlan(arch, cfg.format);
    const nq = arch.heads * arch.headDim;
    const nkv = arch.kvHeads * arch.headDim;
    const buf = (name: string, bytes: number) => createBuffer(device, res, `model.${name}`, bytes);
    this.state = buf('state', 16);
    this.prompt = buf('prompt', 4 * R);
    this.cur = buf('cur', 4 * seqCap);
    this.log = buf('log', 4 * seqCap * cfg.logCap);
    this.logits = buf('logits', 4 * Math.max(seqCap, 1) * arch.vocab);
    // Residual stream x; h only for the output head's norm (the layers' norms are fused into linears).
    this.act = {
      x: buf('x', 4 * R * arch.hidden),
      h: buf('h', 4 * R * arch.hidden),
      qkv: buf('qkv', 4 * R * (nq + 2 * nkv)),
      q: buf('q', 4 * R * nq),
      attn: buf('attn', 4 * R * nq),
      a: buf('a', 4 * R * arch.ffn),
      xLast: buf('xLast', 4 * arch.hidden),
      hLast: buf('hLast', 4 * arch.hidden),
    };
  }

  /** Allocates everything and generates the weights on the GPU (or has cfg.file load them). */
  static async create(device: GPUDevice, res: Resources, cfg: ModelConfig): Promise<GpuModel> {
    const maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, cfg.maxBindingBytes ?? Infinity);
    const m = new GpuModel(device, res, cfg, maxBindingBytes);
    await m.initWeights();
    if (cfg.file) await cfg.file.load(m.targets());
    return m;
  }

  /** The weight buffers a file fills. */
  private targets(): ModelTargets {
    return {
      embedding: [this.embedding],
      lmHead: this.cfg.arch.tiedEmbeddings ? null : [this.lmHead],
      finalNorm: this.finalNorm,
      layers: this.layers.map((L) => ({ qkv: L.qkv, o: L.o, gateUp: L.gateUp, down: L.down, attnNorm: L.attnNorm, ffnNorm: L.ffnNorm, qkvBias: L.qkvBias, qkNorm: L.qkNorm })),
    };
  }

  /** One QTensor per format segment of `spec`, weights generated unless a file loads them. `rowMultiple` 2 keeps interleaved (gate, up) row pairs within one part. */
  private async matrix(spec: TensorSpec, rowMultiple = 1, res: Resources = this.res): Promise<Matrix> {
    const out: QTensor[] = [];
    for (const seg of spec.segments) {
      const label = spec.segments.length > 1 ? `${spec.name}.${seg.format}` : spec.name;
      const t = allocTensor(this.device, res, label, seg.format, spec.rows, spec.cols, this.maxBindingBytes, rowMultiple, seg);
      if (!this.cfg.file || res !== this.res) await generateWeights(this.device, res, t, spec.seed, spec.ampLog2);
      out.push(t);
    }
    return out;
  }

  /** A matrix held in one format (embedding, head). */
  private async tensor(spec: TensorSpec): Promise<QTensor> {
    singleFormat(spec);
    return (await this.matrix(spec))[0] as QTensor;
  }

  /** The arguments `role`'s linear is bound with in layer `L` (the head: L ignored), `rows` rows, weights `w` (one segment). */
  private linearArgs(role: LinearRole, L: LayerTensors, rows: number, w: QTensor, headIn: { x: GPUBuffer }): LinearArgs {
    const act = this.act;
    switch (role) {
      case 'qkv':
        return { x: act.x, w, y: act.qkv, norm: L.attnNorm, rows, ...(L.qkvBias ? { bias: L.qkvBias } : {}) };
      case 'o':
        return { x: act.attn, w, y: act.x, rows };
      case 'gateUp':
        return { x: act.x, w, y: act.a, norm: L.ffnNorm, rows };
      case 'down':
        return { x: act.a, w, y: act.x, rows };
      case 'head':
        return { x: headIn.x, w, y: this.logits, rows };
    }
  }

  /**
   * `count` extra copies of `role`'s weights (fresh synthetic weights of the same shape and format,
   * allocated in `res`), each bound as a decode step of `rows` sequences binds that role in layer 0:
   * distinct bytes for bandwidth figures that no cache can serve (run/phases/generation/kernels.ts).
   */
  async linearCopies(role: LinearRole, rows: number, count: number, res: Resources): Promise<GpuWork[]> {
    const k = await this.kernels('decode', rows);
    const spec = roleSpec(this.plan, role, this.plan.layers[0] ?? fail('a model needs at least one layer'));
    const L = this.layers[0] ?? fail('a model needs at least one layer');
    const out: GpuWork[] = [];
    for (let c = 0; c < count; c++) {
      const w = await this.matrix({ ...spec, name: `${spec.name}.copy${c}`, seed: spec.seed + 7919 * (c + 1) }, role === 'gateUp' ? 2 : 1, res);
      out.push(this.bindLinear(k.linear, role, w, (seg) => this.linearArgs(role, L, rows, seg, { x: this.act.h }), res));
    }
    return out;
  }

  /**
   * `role`'s linear over the segments of `w`, each bound to the kernel of its format (one work; a work
   * per segment encoded in turn where a mix gives the matrix several), its cost counted from the same
   * configs the kernels were built with.
   */
  private bindLinear(linear: LinearKernels, role: LinearRole, w: Matrix, args: (seg: QTensor) => LinearArgs, res: Resources): GpuWork {
    const works = w.map((seg) => {
      const built = linear[role].get(seg.format) ?? fail(`no ${seg.format} kernel for ${role}`);
      const a = args(seg);
      const t = linearTraffic(built.cfg, a.w.parts.map((q) => q.rows), a.rows);
      const segRows = a.w.parts.reduce((n, q) => n + q.rows, 0);
      return costed(built.kernel.bind(a, res), () => t, () => linearFlops(built.cfg.K, segRows, a.rows));
    });
    return works.length === 1 ? (works[0] as GpuWork) : segmented(works);
  }

  private async vector(name: string, n: number, seed: number, scale: number): Promise<GPUBuffer> {
    const b = createBuffer(this.device, this.res, name, 4 * n);
    if (!this.cfg.file) await fillHash(this.device, this.res, b, n, seed, scale);
    return b;
  }

  private async initWeights(): Promise<void> {
    const { arch, seqCap, ctxCap } = this.cfg;
    const p = this.plan;
    this.embedding = await this.tensor(p.embedding);
    this.lmHead = p.lmHead ? await this.tensor(p.lmHead) : this.embedding;
    this.finalNorm = await this.vector('final_norm', arch.hidden, p.finalNormSeed, NORM_SCALE);
    const cacheBytes = kvElementBytes(this.kvType) * seqCap * arch.kvHeads * ctxCap * arch.headDim;
    for (const [l, lp] of p.layers.entries()) {
      this.layers.push({
        qkv: await this.matrix(lp.qkv),
        o: await this.matrix(lp.o),
        gateUp: await this.matrix(lp.gateUp, 2),
        down: await this.matrix(lp.down),
        attnNorm: await this.vector(`layer${l}.attn_norm`, arch.hidden, lp.attnNormSeed, NORM_SCALE),
        ffnNorm: await this.vector(`layer${l}.ffn_norm`, arch.hidden, lp.ffnNormSeed, NORM_SCALE),
        qkvBias: arch.qkvBias ? await this.vector(`layer${l}.qkv_bias`, lp.qkv.rows, lp.qkvBiasSeed, BIAS_SCALE) : null,
        qkNorm: this.cfg.file?.qkNorm ? await this.vector(`layer${l}.qk_norm`, 2 * arch.headDim, 0, 0) : null,
        kCache: createBuffer(this.device, this.res, `layer${l}.k_cache`, cacheBytes),
        vCache: createBuffer(this.device, this.res, `layer${l}.v_cache`, cacheBytes),
      });
    }
  }

  /** Fills every KV cache with random values (decode at depth d needs d cached positions, not their meaning). */
  async fillCaches(seed: number): Promise<void> {
    const { arch, seqCap, ctxCap } = this.cfg;
    const n = seqCap * arch.kvHeads * ctxCap * arch.headDim;
    const fill = this.kvType === 'f16' ? fillHashF16 : fillHash;
    for (const [l, layer] of this.layers.entries()) {
      await fill(this.device, this.res, layer.kCache, n, seed + 2 * l);
      await fill(this.device, this.res, layer.vCache, n, seed + 2 * l + 1);
    }
  }

  /** The KV cache's element type. */
  get kvType(): KvType {
    return this.cfg.kvType ?? 'f32';
  }

  /** Sets [pos, counter] before a submit (queue-ordered). */
  setState(pos: number, counter = 0): void {
    this.device.queue.writeBuffer(this.state, 0, new Uint32Array([pos, counter, 0, 0]));
  }

  setPrompt(tokens: Uint32Array<ArrayBuffer>): void {
    if (tokens.length > this.cfg.maxRows) throw new Error(`prompt of ${tokens.length} tokens > maxRows ${this.cfg.maxRows}`);
    this.device.queue.writeBuffer(this.prompt, 0, tokens);
  }

  setCurrent(tokens: Uint32Array<ArrayBuffer>): void {
    this.device.queue.writeBuffer(this.cur, 0, tokens);
  }

  /** The encoded forward for a prefill of `rows` tokens or a decode step of `rows` sequences (cached). */
  async forward(kind: 'prefill' | 'decode', rows: number): Promise<ForwardOps> {
    const key = `${kind}:${rows}`;
    let f = this.forwards.get(key);
    if (!f) {
      f = await this.build(kind, rows);
      this.forwards.set(key, f);
    }
    return f;
  }

  /**
   * A prefill of `rows` tokens with the output head over every row (teacher forcing): the argmax after each
   * prefix goes to the `top1` buffer (read by teacherForced). The body is the prefill's.
   */
  async forcedForward(rows: number): Promise<ForwardOps> {
    const key = `forced:${rows}`;
    const cached = this.forwards.get(key);
    if (cached) return cached;
    const pre = await this.forward('prefill', rows);
    const { arch, maxRows } = this.cfg;
    const { device, res, act, state } = this;
    this.forcedOut ??= {
      logits: createBuffer(device, res, 'model.forced_logits', 4 * maxRows * arch.vocab),
      top1: createBuffer(device, res, 'model.forced_top1', 4 * maxRows),
      log: createBuffer(device, res, 'model.forced_log', 16),
    };
    const out = this.forcedOut;
    const k = await this.kernels('prefill', rows);
    const headLinear = this.bindLinear(k.linear, 'head', [this.lmHead], (w) => ({ x: act.h, w, y: out.logits, rows }), res);
    const head: GpuWork[] = [
      costed(k.normH.bind({ x: act.x, w: this.finalNorm, y: act.h, rows }, res), () => rmsNormTraffic(arch.hidden, rows)),
      headLinear,
      costed(k.argmax.bind({ logits: out.logits, cur: out.top1, log: out.log, state, rows }, res), () => argmaxTraffic(arch.vocab, rows)),
      costed(k.adv.bind({ state, posDelta: rows }, res), stepAdvanceTraffic),
    ];
    const f: ForwardOps = { ...pre, copyLastRow: null, head, linears: { ...pre.linears, head: [headLinear] } };
    this.forwards.set(key, f);
    return f;
  }

  /** Teacher forcing: the greedy choice after each prefix ids[0..i], from one prefill of all of `ids` at position 0. */
  async teacherForced(ids: Uint32Array<ArrayBuffer>, timeoutMs: number): Promise<number[]> {
    const f = await this.forcedForward(ids.length);
    this.setState(0, 0);
    this.setPrompt(ids);
    const enc = this.device.createCommandEncoder({ label: 'model.teacher_forced' });
    encodeForward(enc, f);
    this.device.queue.submit([enc.finish()]);
    return [...new Uint32Array(await readBuffer(this.device, (this.forcedOut as { top1: GPUBuffer }).top1, timeoutMs, 0, 4 * ids.length))];
  }

  /**
   * Greedy generation of `n` tokens after `prompt` (a prefill at position 0, then n - 1 decode steps of
   * sequence 0, one step per submit); returns the tokens, read from the token log.
   */
  async greedy(prompt: Uint32Array<ArrayBuffer>, n: number, timeoutMs: number): Promise<number[]> {
    if (n > this.cfg.logCap) throw new Error(`${n} tokens > logCap ${this.cfg.logCap}`);
    if (prompt.length + n > this.cfg.ctxCap) throw new Error(`a prompt of ${prompt.length} and ${n} tokens exceed the cache (${this.cfg.ctxCap} positions)`);
    const pre = await this.forward('prefill', prompt.length);
    const step = await this.forward('decode', 1);
    this.setState(0, 0);
    this.setPrompt(prompt);
    for (let i = 0; i < n; i++) {
      const enc = this.device.createCommandEncoder({ label: 'model.greedy' });
      encodeForward(enc, i === 0 ? pre : step);
      this.device.queue.submit([enc.finish()]);
      await queueDone(this.device, timeoutMs, 'greedy generation step');
    }
    return [...new Uint32Array(await readBuffer(this.device, this.log, timeoutMs, 0, 4 * n))];
  }

  /** The kernels of a forward of `kind` over `rows` rows: the linears by role (tuned variants where given) and the rest. */
  private async kernels(kind: 'prefill' | 'decode', rows: number) {
    const { device } = this;
    const { arch, ctxCap } = this.cfg;
    const formats = roleFormats(this.plan);
    const linearOf = async (role: LinearRole) => {
      const variants = this.cfg.linearVariants?.[role];
      const built = new Map<WeightFormat, { cfg: LinearConfig; kernel: Kernel<LinearArgs> }>();
      for (const format of formats[role]) {
        const base = modelLinearConfigs(arch, format)[role];
        const cfg = variants ? { ...base, variants } : base;
        built.set(format, { cfg, kernel: await createLinear(device, cfg) });
      }
      return [role, built] as const;
    };
    const attnShape = { heads: arch.heads, kvHeads: arch.kvHeads, headDim: arch.headDim, ctxCap, kvType: this.kvType };
    const decodeTile = kind === 'decode' ? this.cfg.decodeTiles?.[rows] : undefined;
    const [linears, normH, ropeKv, embed, argmax, adv, attn] = await Promise.all([
      Promise.all(LINEAR_ROLES.map(linearOf)),
      createRmsNorm(device, { dim: arch.hidden, eps: arch.normEps }),
      createRopeKv(device, { ...attnShape, theta: arch.ropeTheta, ...(this.cfg.file ? { invFreq: this.cfg.file.ropeInvFreq } : {}), ...(this.cfg.file?.qkNorm ? { qkNorm: { eps: arch.normEps } } : {}) }),
      createEmbed(device, { hidden: arch.hidden, vocab: arch.vocab, formats: [singleFormat(this.plan.embedding)] }),
      createArgmax(device, { vocab: arch.vocab }),
      createStepAdvance(device),
      kind === 'prefill' ? createAttentionPrefill(device, attnShape) : createAttentionDecode(device, { ...attnShape, ...(decodeTile ? { tile: decodeTile } : {}) }),
    ]);
    const linear = Object.fromEntries(linears) as LinearKernels;
    return { linear, normH, ropeKv, embed, argmax, adv, attn, attnShape };
  }

  private async build(kind: 'prefill' | 'decode', rows: number): Promise<ForwardOps> {
    const { res, act, state } = this;
    const { arch } = this.cfg;
    if (kind === 'prefill' && rows > this.cfg.maxRows) throw new Error(`prefill of ${rows} rows > maxRows`);
    if (kind === 'decode' && rows > this.cfg.seqCap) throw new Error(`decode batch ${rows} > seqCap`);
    const H = arch.hidden;
    const posStep = kind === 'prefill' ? 1 : 0;
    const k = await this.kernels(kind, rows);
    const linear = (role: LinearRole, L: LayerTensors, w: Matrix, headIn: { x: GPUBuffer }): GpuWork =>
      this.bindLinear(k.linear, role, w, (seg) => this.linearArgs(role, L, rows, seg, headIn), res);
    const embedArgs = { tokens: kind === 'prefill' ? this.prompt : this.cur, table: this.embedding, x: act.x, rows };
    const embedT = embedTraffic(embedArgs.table.format, H, embedArgs.table.parts.length, rows);
    const body: GpuWork[] = [costed(k.embed.bind(embedArgs, res), () => embedT)];
    const attnCost = kind === 'prefill' ? ([attentionPrefillTraffic, attentionPrefillFlops] as const) : ([attentionDecodeTraffic, attentionDecodeFlops] as const);
    let dispatchesPerLayer = 0;
    const linears: Record<LinearRole, GpuWork[]> = { qkv: [], o: [], gateUp: [], down: [], head: [] };
    for (const L of this.layers) {
      const headIn = { x: act.h };
      const layer: GpuWork[] = [
        linear('qkv', L, L.qkv, headIn),
        costed(k.ropeKv.bind({ qkv: act.qkv, q: act.q, kCache: L.kCache, vCache: L.vCache, state, rows, posStep, ...(L.qkNorm ? { qkNorm: L.qkNorm } : {}) }, res), (pos) =>
          ropeKvTraffic(k.attnShape, rows, posStep, pos, L.qkNorm !== null),
        ),
        costed(
          k.attn.bind({ q: act.q, kCache: L.kCache, vCache: L.vCache, out: act.attn, state, rows }, res),
          (pos) => attnCost[0](k.attnShape, rows, pos),
          (pos) => attnCost[1](k.attnShape, rows, pos),
        ),
        linear('o', L, L.o, headIn),
        linear('gateUp', L, L.gateUp, headIn),
        linear('down', L, L.down, headIn),
      ];
      dispatchesPerLayer = Math.max(dispatchesPerLayer, countDispatches(layer));
      linears.qkv.push(layer[0] as GpuWork);
      linears.o.push(layer[3] as GpuWork);
      linears.gateUp.push(layer[4] as GpuWork);
      linears.down.push(layer[5] as GpuWork);
      body.push(...layer);
    }
    const headRows = kind === 'prefill' ? 1 : rows;
    const headIn = kind === 'prefill' ? act.xLast : act.x;
    const headNorm = kind === 'prefill' ? act.hLast : act.h;
    const head: GpuWork[] = [
      costed(k.normH.bind({ x: headIn, w: this.finalNorm, y: headNorm, rows: headRows }, res), () => rmsNormTraffic(H, headRows)),
      this.bindLinear(k.linear, 'head', [this.lmHead], (w) => this.linearArgs('head', this.layers[0] ?? fail('a model needs at least one layer'), headRows, w, { x: headNorm }), res),
      costed(k.argmax.bind({ logits: this.logits, cur: this.cur, log: this.log, state, rows: headRows }, res), () => argmaxTraffic(arch.vocab, headRows)),
      costed(k.adv.bind({ state, posDelta: kind === 'prefill' ? rows : 1 }, res), stepAdvanceTraffic),
    ];
    return {
      body,
      copyLastRow: kind === 'prefill' ? { src: act.x, offset: 4 * (rows - 1) * H, dst: act.xLast, bytes: 4 * H } : null,
      head,
      dispatchesPerLayer,
      linears: { ...linears, head: [head[1] as GpuWork] },
    };
  }

  /**
   * Dispatches per layer the forward will encode, from the plan before anything is built: one per kernel
   * plus one per extra row part of each weight matrix (parts as allocTensor splits them under
   * `maxBindingBytes`). Without arguments: LAYER_KERNELS, the count when no matrix is split.
   * ForwardOps.dispatchesPerLayer is the same count taken from the built ops (the tests compare them).
   */
  static dispatchesPerLayer(arch?: Arch, format?: Formats, maxBindingBytes?: number): number {
    if (!arch || !format || maxBindingBytes === undefined) return LAYER_KERNELS;
    const perLayer = modelPlan(arch, format).layers.map((lp) => layerDispatches(lp, maxBindingBytes));
    return perLayer.length ? Math.max(...perLayer) : LAYER_KERNELS;
  }

  /**
   * Dispatches of one decode step from the plan (the embedding and the head once per row part, every
   * layer, final norm, argmax and the step advance); the built ops' count replaces it once they exist.
   */
  static dispatchesPerDecodeStep(arch: Arch, format: Formats, maxBindingBytes: number): number {
    const p = modelPlan(arch, format);
    const head = p.lmHead ?? p.embedding;
    const layers = p.layers.reduce((n, lp) => n + layerDispatches(lp, maxBindingBytes), 0);
    return matrixDispatches(p.embedding, maxBindingBytes) + layers + matrixDispatches(head, maxBindingBytes) + 3;
  }
}

/** Dispatches of a matrix: one per row part of each format segment (parts as allocTensor splits them). */
function matrixDispatches(t: TensorSpec, maxBindingBytes: number, rowMultiple = 1): number {
  return t.segments.reduce((n, s) => n + Math.ceil(s.rows / rowsPerPart(s.format, t.cols, maxBindingBytes, rowMultiple)), 0);
}

/** Dispatches of one layer: qkv, ropeKv, attention, o, gate/up, down. */
function layerDispatches(lp: LayerPlan, maxBindingBytes: number): number {
  return matrixDispatches(lp.qkv, maxBindingBytes) + 2 + matrixDispatches(lp.o, maxBindingBytes) + matrixDispatches(lp.gateUp, maxBindingBytes, 2) + matrixDispatches(lp.down, maxBindingBytes);
}

/** The linear kernels of a forward: per role, one per format the role's matrices have. */
type LinearKernels = Record<LinearRole, Map<WeightFormat, { cfg: LinearConfig; kernel: Kernel<LinearArgs> }>>;

/** The works of a matrix's format segments as one unit: encoded in turn, costs summed. */
function segmented(works: readonly GpuWork[]): GpuWork {
  const variants = [...new Set(works.map((w) => w.variant).filter((v): v is string => v !== undefined))];
  return {
    label: works.map((w) => w.label).join('+'),
    ...(variants.length ? { variant: variants.join('+') } : {}),
    encode(pass) {
      for (const w of works) w.encode(pass);
    },
    cost(pos) {
      const costs = works.map((w) => (w.cost ?? fail(`${w.label}: no cost`))(pos));
      return { read: costs.reduce((a, c) => a + c.read, 0), written: costs.reduce((a, c) => a + c.written, 0), flops: costs.reduce((a, c) => a + c.flops, 0) };
    },
  };
}

/**
 * Encodes a forward into `enc`. With `timestamps`, the first pass writes the begin timestamp at
 * `index` and the last pass the end at `index + 1`.
 */
export function encodeForward(
  enc: GPUCommandEncoder,
  f: ForwardOps,
  timestamps?: { querySet: GPUQuerySet; index: number },
): void {
  const ts = (begin: boolean, end: boolean): GPUComputePassTimestampWrites | undefined =>
    timestamps && (begin || end)
      ? {
          querySet: timestamps.querySet,
          ...(begin ? { beginningOfPassWriteIndex: timestamps.index } : {}),
          ...(end ? { endOfPassWriteIndex: timestamps.index + 1 } : {}),
        }
      : undefined;
  if (f.copyLastRow) {
    const a = enc.beginComputePass({ label: 'forward.body', timestampWrites: ts(true, false) });
    for (const w of f.body) w.encode(a);
    a.end();
    const c = f.copyLastRow;
    enc.copyBufferToBuffer(c.src, c.offset, c.dst, 0, c.bytes);
    const b = enc.beginComputePass({ label: 'forward.head', timestampWrites: ts(false, true) });
    for (const w of f.head) w.encode(b);
    b.end();
  } else {
    const p = enc.beginComputePass({ label: 'forward.step', timestampWrites: ts(true, true) });
    for (const w of [...f.body, ...f.head]) w.encode(p);
    p.end();
  }
}
