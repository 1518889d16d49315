/**
 * Float64 CPU reference forward pass of a GGUF model (llama, qwen2, qwen3, phi3) on its dequantised
 * weights, written from llama.cpp's graph for each architecture: RMSNorm, q/k/v (fused for phi3, with
 * biases for qwen2, with per-head RMSNorm for qwen3), RoPE (interleaved for llama, neox for the others;
 * linear scaling and rope_freqs factors), grouped-query attention, SwiGLU (gate/up fused for phi3), tied
 * or separate output head. Tiny models only: every weight is held as f32.
 */
import { GgufError } from './types';
import { type ModelSpec, tensorPlan } from './arch';

type W = Float32Array | Float64Array;

function matvec(w: W, rows: number, cols: number, x: Float64Array, rowStart = 0): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const off = (rowStart + r) * cols;
    for (let c = 0; c < cols; c++) s += (w[off + c] as number) * (x[c] as number);
    y[r] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: W, eps: number, off = 0, n = x.length): void {
  let ss = 0;
  for (let i = off; i < off + n; i++) ss += (x[i] as number) ** 2;
  const inv = 1 / Math.sqrt(ss / n + eps);
  for (let i = 0; i < n; i++) x[off + i] = (x[off + i] as number) * inv * (w[i] as number);
}

function addInto(x: Float64Array, b: W | undefined, off = 0): void {
  if (b) for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (b[off + i] as number);
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

export class GgufReference {
  private readonly kCache: Float64Array[][];
  private readonly vCache: Float64Array[][];
  /** Per-frequency angle per position: theta_i = freqScale * base^(-2i/d) / factor_i. */
  private readonly freqs: Float64Array;

  constructor(
    readonly spec: ModelSpec,
    private readonly w: ReadonlyMap<string, W>,
  ) {
    const missing = tensorPlan(spec).filter((t) => !w.has(t.name)).map((t) => t.name);
    if (missing.length) throw new GgufError('bad-tensor', `reference model lacks ${missing.join(', ')}`);
    const { type, factor } = spec.ropeScaling;
    if (type !== 'none' && type !== 'linear') throw new Error(`the reference implements no ${type} RoPE scaling (none and linear only)`);
    const freqScale = type === 'linear' ? 1 / factor : 1;
    const factors = spec.ropeFreqFactors ? this.t('rope_freqs.weight') : null;
    const half = spec.ropeDim / 2;
    this.freqs = Float64Array.from({ length: half }, (_, i) => (freqScale * spec.ropeTheta ** ((-2 * i) / spec.ropeDim)) / (factors ? (factors[i] as number) : 1));
    this.kCache = Array.from({ length: spec.layers }, () => []);
    this.vCache = Array.from({ length: spec.layers }, () => []);
  }

  private t(name: string): W {
    return this.w.get(name) as W;
  }

  /** Positions fed so far. */
  get position(): number {
    return this.kCache[0]?.length ?? 0;
  }

  reset(): void {
    for (const c of [...this.kCache, ...this.vCache]) c.length = 0;
  }

  /** RoPE on each of `nHeads` heads of x at position `pos`. */
  private rope(x: Float64Array, nHeads: number, pos: number): void {
    const { headDim, ropeDim, ropeStyle } = this.spec;
    const half = ropeDim / 2;
    for (let h = 0; h < nHeads; h++) {
      for (let i = 0; i < half; i++) {
        const a = pos * (this.freqs[i] as number);
        const c = Math.cos(a);
        const s = Math.sin(a);
        const i0 = h * headDim + (ropeStyle === 'neox' ? i : 2 * i);
        const i1 = i0 + (ropeStyle === 'neox' ? half : 1);
        const x0 = x[i0] as number;
        const x1 = x[i1] as number;
        x[i0] = x0 * c - x1 * s;
        x[i1] = x0 * s + x1 * c;
      }
    }
  }

  private attention(l: number, h: Float64Array, pos: number): Float64Array {
    const s = this.spec;
    const p = `blk.${l}.`;
    const nq = s.heads * s.headDim;
    const nkv = s.kvHeads * s.headDim;
    let q: Float64Array;
    let k: Float64Array;
    let v: Float64Array;
    if (s.fusedQkv) {
      const qkv = this.t(`${p}attn_qkv.weight`);
      q = matvec(qkv, nq, s.hidden, h, 0);
      k = matvec(qkv, nkv, s.hidden, h, nq);
      v = matvec(qkv, nkv, s.hidden, h, nq + nkv);
    } else {
      q = matvec(this.t(`${p}attn_q.weight`), nq, s.hidden, h);
      k = matvec(this.t(`${p}attn_k.weight`), nkv, s.hidden, h);
      v = matvec(this.t(`${p}attn_v.weight`), nkv, s.hidden, h);
    }
    if (s.qkvBias) {
      addInto(q, this.t(`${p}attn_q.bias`));
      addInto(k, this.t(`${p}attn_k.bias`));
      addInto(v, this.t(`${p}attn_v.bias`));
    }
    if (s.qkNorm) {
      for (let hh = 0; hh < s.heads; hh++) rmsnorm(q, this.t(`${p}attn_q_norm.weight`), s.normEps, hh * s.headDim, s.headDim);
      for (let hh = 0; hh < s.kvHeads; hh++) rmsnorm(k, this.t(`${p}attn_k_norm.weight`), s.normEps, hh * s.headDim, s.headDim);
    }
    this.rope(q, s.heads, pos);
    this.rope(k, s.kvHeads, pos);
    const kc = this.kCache[l] as Float64Array[];
    const vc = this.vCache[l] as Float64Array[];
    kc.push(k);
    vc.push(v);
    const out = new Float64Array(nq);
    const group = s.heads / s.kvHeads;
    const scale = 1 / Math.sqrt(s.headDim);
    for (let hh = 0; hh < s.heads; hh++) {
      const kvOff = Math.floor(hh / group) * s.headDim;
      const qOff = hh * s.headDim;
      const scores = kc.map((kk) => {
        let dot = 0;
        for (let d = 0; d < s.headDim; d++) dot += (q[qOff + d] as number) * (kk[kvOff + d] as number);
        return dot * scale;
      });
      const m = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      vc.forEach((vv, j) => {
        const wgt = (e[j] as number) / z;
        for (let d = 0; d < s.headDim; d++) out[qOff + d] = (out[qOff + d] as number) + wgt * (vv[kvOff + d] as number);
      });
    }
    return matvec(this.t(`${p}attn_output.weight`), s.hidden, nq, out);
  }

  private ffn(l: number, h: Float64Array): Float64Array {
    const s = this.spec;
    const p = `blk.${l}.`;
    const up = this.t(`${p}ffn_up.weight`);
    const gate = s.fusedGateUp ? matvec(up, s.ffn, s.hidden, h, 0) : matvec(this.t(`${p}ffn_gate.weight`), s.ffn, s.hidden, h);
    const u = s.fusedGateUp ? matvec(up, s.ffn, s.hidden, h, s.ffn) : matvec(up, s.ffn, s.hidden, h);
    const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (u[i] as number));
    return matvec(this.t(`${p}ffn_down.weight`), s.hidden, s.ffn, act);
  }

  /** Feeds one token at the next position; returns the logits for the token after it. */
  step(token: number): Float64Array {
    const s = this.spec;
    if (!Number.isInteger(token) || token < 0 || token >= s.vocab) throw new RangeError(`token ${token} is outside the vocabulary (0..${s.vocab - 1})`);
    const pos = this.position;
    const e = this.t('token_embd.weight');
    const x = Float64Array.from(e.subarray(token * s.hidden, (token + 1) * s.hidden));
    for (let l = 0; l < s.layers; l++) {
      const h = Float64Array.from(x);
      rmsnorm(h, this.t(`blk.${l}.attn_norm.weight`), s.normEps);
      addInto(x, this.attention(l, h, pos));
      const h2 = Float64Array.from(x);
      rmsnorm(h2, this.t(`blk.${l}.ffn_norm.weight`), s.normEps);
      addInto(x, this.ffn(l, h2));
    }
    rmsnorm(x, this.t('output_norm.weight'), s.normEps);
    return matvec(this.t(s.tiedEmbeddings ? 'token_embd.weight' : 'output.weight'), s.vocab, s.hidden, x);
  }

  /** Feeds `prompt`, then greedily `n` tokens in all (the first chosen after the prompt included). */
  greedy(prompt: readonly number[], n: number): number[] {
    let logits: Float64Array = new Float64Array(0);
    for (const t of prompt) logits = this.step(t);
    const out: number[] = [];
    while (out.length < n) {
      out.push(argmax(logits));
      if (out.length < n) logits = this.step(out[out.length - 1] as number);
    }
    return out;
  }

  /** Teacher forcing: the argmax after each prefix ids[0..i] (feeds every id). */
  teacherForcedTop1(ids: readonly number[]): number[] {
    return ids.map((t) => argmax(this.step(t)));
  }

  /** Teacher forcing: the logits after each prefix ids[0..i] (feeds every id). */
  teacherForcedLogits(ids: readonly number[]): Float64Array[] {
    return ids.map((t) => this.step(t));
  }
}
