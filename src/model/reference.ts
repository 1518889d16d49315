/**
 * Float64 CPU reference of the whole forward pass, on the same (dequantised) weights the GPU uses, and
 * the same KV-cache element type: an f16 cache holds K (after RoPE) and V rounded to f16, as the kernels
 * store them. For tiny architectures only: it materialises every weight matrix.
 */
import { dequantRows } from '../kernels/weights/weights.ref';
import { type KvType, kvRound } from '../core/kv';
import { hashValue } from '../core/numeric';
import { BIAS_SCALE, type ModelPlan, NORM_SCALE, type TensorSpec, gateUpRow, modelPlan, qkvSlices } from './plan';
import type { Arch } from './types';
import type { ModelFormat } from './formats/mix';

type Mat = { rows: number; cols: number; w: Float32Array };

/** The matrix as the GPU holds it: each row segment dequantised in its own format. */
function loadMat(t: TensorSpec): Mat {
  const w = new Float32Array(t.rows * t.cols);
  for (const s of t.segments) w.set(dequantRows(s.format, t.seed, t.ampLog2, s.rowStart, s.rows, t.cols), s.rowStart * t.cols);
  return { rows: t.rows, cols: t.cols, w };
}

/** Rows [start, end) of a matrix. */
function rowRange(m: Mat, start: number, end: number): Mat {
  return { rows: end - start, cols: m.cols, w: m.w.slice(start * m.cols, end * m.cols) };
}

/** Half the rows of an interleaved matrix: row i of the result is row rowOf(i). */
function everyOtherRow(m: Mat, rowOf: (i: number) => number): Mat {
  const rows = m.rows / 2;
  const w = new Float32Array(rows * m.cols);
  for (let i = 0; i < rows; i++) w.set(m.w.subarray(rowOf(i) * m.cols, (rowOf(i) + 1) * m.cols), i * m.cols);
  return { rows, cols: m.cols, w };
}

function vec(seed: number, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => hashValue(seed, i, scale));
}

function matvec(m: Mat, x: Float64Array, bias?: Float64Array): Float64Array {
  const y = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    const off = r * m.cols;
    for (let c = 0; c < m.cols; c++) s += (m.w[off + c] as number) * (x[c] as number);
    y[r] = s + (bias ? (bias[r] as number) : 0);
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * (w[i] as number));
}

/** Rotate-half RoPE on each head of `x` (length nHeads*headDim) at position `pos`. */
export function ropeRef(x: Float64Array, nHeads: number, headDim: number, pos: number, theta: number): Float64Array {
  const out = Float64Array.from(x);
  const half = headDim / 2;
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(theta, (-2 * i) / headDim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const a = x[h * headDim + i] as number;
      const b = x[h * headDim + i + half] as number;
      out[h * headDim + i] = a * c - b * s;
      out[h * headDim + i + half] = a * s + b * c;
    }
  }
  return out;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

interface LayerWeights {
  q: Mat;
  k: Mat;
  v: Mat;
  o: Mat;
  gate: Mat;
  up: Mat;
  down: Mat;
  attnNorm: Float64Array;
  ffnNorm: Float64Array;
  qBias?: Float64Array;
  kBias?: Float64Array;
  vBias?: Float64Array;
}

export interface ReferenceRun {
  /** Greedy tokens: the first from the prompt, then one per decode step. */
  tokens: number[];
  /** Logits that chose each token. */
  logits: Float64Array[];
}

/** A reference model: feed tokens one at a time (prefill is the same maths as token-by-token). */
export class ReferenceModel {
  readonly plan: ModelPlan;
  private readonly layers: LayerWeights[];
  private readonly embedding: Mat;
  private readonly lmHead: Mat;
  private readonly finalNorm: Float64Array;
  private readonly kCache: Float64Array[][] = [];
  private readonly vCache: Float64Array[][] = [];

  constructor(
    readonly arch: Arch,
    readonly format: ModelFormat,
    readonly kvType: KvType = 'f32',
  ) {
    this.plan = modelPlan(arch, format);
    const H = arch.hidden;
    this.embedding = loadMat(this.plan.embedding);
    this.lmHead = this.plan.lmHead ? loadMat(this.plan.lmHead) : this.embedding;
    this.finalNorm = vec(this.plan.finalNormSeed, H, NORM_SCALE);
    const sl = qkvSlices(arch);
    this.layers = this.plan.layers.map((lp) => {
      // Fused tensors, sliced as the kernels read them (plan.ts): q/k/v by row ranges, gate/up interleaved.
      const qkv = loadMat(lp.qkv);
      const gateUp = loadMat(lp.gateUp);
      const bias = arch.qkvBias ? vec(lp.qkvBiasSeed, lp.qkv.rows, BIAS_SCALE) : null;
      return {
        q: rowRange(qkv, sl.q.start, sl.q.end),
        k: rowRange(qkv, sl.k.start, sl.k.end),
        v: rowRange(qkv, sl.v.start, sl.v.end),
        o: loadMat(lp.o),
        gate: everyOtherRow(gateUp, (i) => gateUpRow('gate', i)),
        up: everyOtherRow(gateUp, (i) => gateUpRow('up', i)),
        down: loadMat(lp.down),
        attnNorm: vec(lp.attnNormSeed, H, NORM_SCALE),
        ffnNorm: vec(lp.ffnNormSeed, H, NORM_SCALE),
        ...(bias
          ? {
              qBias: bias.slice(sl.q.start, sl.q.end),
              kBias: bias.slice(sl.k.start, sl.k.end),
              vBias: bias.slice(sl.v.start, sl.v.end),
            }
          : {}),
      };
    });
    for (let l = 0; l < arch.layers; l++) {
      this.kCache.push([]);
      this.vCache.push([]);
    }
  }

  /** Runs one token at the next position; returns the logits. */
  step(token: number): Float64Array {
    const a = this.arch;
    const { heads, kvHeads, headDim } = a;
    const pos = this.kCache[0]?.length ?? 0;
    const e = this.embedding;
    let x = Float64Array.from(e.w.subarray(token * e.cols, (token + 1) * e.cols));
    const group = heads / kvHeads;
    const scale = 1 / Math.sqrt(headDim);
    for (const [l, w] of this.layers.entries()) {
      const h = rmsnorm(x, w.attnNorm, a.normEps);
      const q = ropeRef(matvec(w.q, h, w.qBias), heads, headDim, pos, a.ropeTheta);
      const k = ropeRef(matvec(w.k, h, w.kBias), kvHeads, headDim, pos, a.ropeTheta);
      const v = matvec(w.v, h, w.vBias);
      const kc = this.kCache[l] as Float64Array[];
      const vc = this.vCache[l] as Float64Array[];
      kc.push(k.map((x) => kvRound(this.kvType, x)));
      vc.push(v.map((x) => kvRound(this.kvType, x)));
      const attn = new Float64Array(heads * headDim);
      for (let hh = 0; hh < heads; hh++) {
        const kv = Math.floor(hh / group);
        const scores = kc.map((kk) => {
          let s = 0;
          for (let d = 0; d < headDim; d++) s += (q[hh * headDim + d] as number) * (kk[kv * headDim + d] as number);
          return s * scale;
        });
        const m = Math.max(...scores);
        const p = scores.map((s) => Math.exp(s - m));
        const z = p.reduce((acc, v2) => acc + v2, 0);
        for (let j = 0; j < vc.length; j++) {
          const vv = vc[j] as Float64Array;
          const wgt = (p[j] as number) / z;
          for (let d = 0; d < headDim; d++) attn[hh * headDim + d]! += wgt * (vv[kv * headDim + d] as number);
        }
      }
      const o = matvec(w.o, attn);
      x = x.map((xv, i) => xv + (o[i] as number));
      const h2 = rmsnorm(x, w.ffnNorm, a.normEps);
      const g = matvec(w.gate, h2);
      const u = matvec(w.up, h2);
      const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * (u[i] as number));
      const d = matvec(w.down, act);
      x = x.map((xv, i) => xv + (d[i] as number));
    }
    return matvec(this.lmHead, rmsnorm(x, this.finalNorm, a.normEps));
  }

  /** Prefill `prompt`, then greedy-decode `steps` more tokens. */
  generate(prompt: number[], steps: number): ReferenceRun {
    let logits: Float64Array = new Float64Array(0);
    for (const t of prompt) logits = this.step(t);
    const tokens = [argmax(logits)];
    const all = [logits];
    for (let s = 0; s < steps; s++) {
      logits = this.step(tokens[tokens.length - 1] as number);
      tokens.push(argmax(logits));
      all.push(logits);
    }
    return { tokens, logits: all };
  }
}
