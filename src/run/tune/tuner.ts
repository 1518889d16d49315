/**
 * Autotuning: for each kernel family and real shape a run uses, time a few variants on this adapter and
 * keep the fastest one that passes its check against the CPU reference. Choices are cached per adapter
 * (the page keeps the cache in localStorage, the CLI in a file) and every choice, with every candidate's
 * time or failure, goes into the result, so a reader can see what ran and why.
 *
 * A cached choice is not trusted blindly: it is checked again on the real shape before use, and timed
 * again only when that check fails. A variant that fails its check can never be chosen: a fast wrong
 * answer is a failed result, not a record.
 */
import { type Resources, Resources as ResourcesImpl } from '../../gpu/buffers';
import { CancelledError } from '../../gpu/errors';
import type { MeasurePlan, Timer } from '../../measure/timer';
import type { GpuWork } from '../../core/work';
import type { Environment, Runtime, TuneCandidate as CandidateRecord, TuneEntry, Tuning } from '../../schema/result';
import { TOOL } from '../../version';

/** Untimed samples per candidate (first use of a pipeline, caches). */
export const TUNE_WARMUP = 2;
/** Timed samples per candidate: enough for a stable median, short enough to tune every shape of a run. */
export const TUNE_REPS = 5;
/**
 * A candidate replaces the default only when its median is this fraction faster: differences inside the
 * run-to-run noise would otherwise flip choices between runs for nothing.
 */
export const TUNE_MARGIN = 0.03;

/** localStorage key of the page's cache (the browser CLI puts its file's cache there before the page loads). */
export const TUNE_CACHE_KEY = 'tokenbench.tune-cache.v1';

/** What a cache holds per choice. Keys come from cacheKey(): adapter, version, family, shape, candidates. */
export interface CachedChoice {
  chosen: string;
  medianNs: number;
  measuredAt: string;
}

/** Choices by cache key (JSON-serialisable: localStorage in the page, a file in Node). */
export type TuneCache = Record<string, CachedChoice>;

/**
 * A candidate built on the task's fixture: its unit of work with its check against the CPU reference,
 * and what frees the operands it allocated for itself (large operands), once it is checked and timed.
 */
export type BuiltCandidate = GpuWork & Required<Pick<GpuWork, 'check'>> & { dispose?(): void };

/** One tuning decision: a kernel family at one real shape, with its candidates (default first). */
export interface TuneTask<V> {
  family: string;
  /** The shape and mode in words, e.g. "q4_0 1x2048->3072 norm+bias". */
  key: string;
  candidates: ReadonlyArray<{ id: string; value: V }>;
  /** Allocates the shared operands once (in `res`) and returns a builder for each candidate. */
  open(res: Resources): Promise<(value: V) => Promise<BuiltCandidate>>;
}

export interface TunerOptions {
  /** false: every family uses its default variant and nothing is timed (`--no-tune`). */
  enabled: boolean;
  /** Identifies the adapter and runtime a choice was measured on (cacheKey). */
  adapterKey: string;
  /** Cached choices; the tuner adds its new ones (the caller persists them from the result). */
  cache: TuneCache;
  /** Most candidates timed per task (the default counts), e.g. fewer on software adapters. */
  maxCandidates: number;
  plan: Omit<MeasurePlan, 'warmup' | 'reps'>;
  /** Wraps GPU work so device loss and validation errors are attributed (the run's guard). */
  guard: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  /** Errors that must end the run rather than one candidate (device lost). */
  fatal: (e: unknown) => boolean;
}

/**
 * Names the adapter and runtime a choice was measured on: the adapter's identity, and the browser's
 * major version or the Dawn build (another WGSL compiler can change which variant wins).
 */
export function adapterKey(env: Environment, runtime: Runtime): string {
  const a = env.adapter;
  const rt = runtime.kind === 'browser' ? `browser:${/(?:Chrome|Chromium|Firefox|Version)\/(\d+)/.exec(runtime.userAgent ?? '')?.[0] ?? 'unknown'}` : `node:dawn-${runtime.dawn ?? 'unknown'}`;
  return [a.vendor, a.architecture, a.device, a.description, a.isFallbackAdapter ? 'fallback' : 'hardware', rt].join('/');
}

/** 32-bit FNV-1a of a string, as 8 hex digits: a short, stable name for a candidate list. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The cache key of a task: a choice is reused only on the same adapter and runtime, by the same
 * tokenbench build (version and commit: kernels change between commits), for the same shape and the
 * same candidate list.
 */
export function cacheKey(adapterKey: string, family: string, key: string, candidateIds: readonly string[]): string {
  return `${adapterKey}|${TOOL.version}+${TOOL.commit}|${family}|${key}|${hashString(candidateIds.join(','))}`;
}

/**
 * Picks the winner among checked, timed candidates: the default (first) unless another is faster by
 * more than TUNE_MARGIN; then the fastest. undefined when none passed.
 */
export function pickWinner(candidates: readonly CandidateRecord[], margin = TUNE_MARGIN): CandidateRecord | undefined {
  const ok = candidates.filter((c) => c.state === 'ok' && c.medianNs !== undefined);
  if (!ok.length) return undefined;
  const fastest = ok.reduce((a, b) => ((b.medianNs as number) < (a.medianNs as number) ? b : a));
  const def = candidates[0];
  if (def && def.state === 'ok' && def.medianNs !== undefined && (fastest.medianNs as number) >= def.medianNs * (1 - margin)) return def;
  return fastest;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Tuner {
  readonly entries: TuneEntry[] = [];
  /** Progress of the tuning, one line per candidate (set by whoever runs the current phase). */
  onStep: ((label: string) => void) | undefined;
  private spentMs = 0;

  /** @param timer replaced (`tuner.timer = ...`) when the run recovers from a device loss. */
  constructor(
    public timer: Timer,
    private readonly opts: TunerOptions,
  ) {}

  /** The variant to use for `task`: tuned, cached (and re-checked), or the default when tuning is off. */
  async choose<V>(task: TuneTask<V>): Promise<V> {
    const first = task.candidates[0];
    if (!first) throw new Error(`${task.family} ${task.key}: no candidate variants`);
    if (!this.opts.enabled) return first.value;
    const t0 = performance.now();
    const res = new ResourcesImpl();
    try {
      return await this.tune(task, res);
    } finally {
      res.destroyAll();
      this.spentMs += performance.now() - t0;
    }
  }

  private async tune<V>(task: TuneTask<V>, res: Resources): Promise<V> {
    const { opts } = this;
    const candidates = task.candidates.slice(0, Math.max(1, opts.maxCandidates));
    const ids = candidates.map((c) => c.id);
    const key = cacheKey(opts.adapterKey, task.family, task.key, ids);
    let build: (v: V) => Promise<BuiltCandidate>;
    try {
      build = await opts.guard(`tune.${task.family}.fixture`, () => task.open(res));
    } catch (e) {
      // No operands at this shape (out of memory, a limit): the default runs, and the result says why.
      if (e instanceof CancelledError || opts.fatal(e)) throw e;
      const first = candidates[0] as { id: string; value: V };
      this.entries.push({ family: task.family, key: task.key, cacheKey: key, chosen: first.id, source: 'default', candidates: [], note: `tuning operands could not be built (${message(e)}): the default variant runs` });
      return first.value;
    }
    const cached = opts.cache[key];
    const hit = cached && candidates.find((c) => c.id === cached.chosen);
    let note: string | undefined;
    if (cached && hit) {
      this.onStep?.(`tuning ${task.family} ${task.key}: checking cached ${hit.id}`);
      const rec = await this.try(task, hit, build, false);
      if (rec.state === 'ok') {
        this.entries.push({ family: task.family, key: task.key, cacheKey: key, chosen: hit.id, source: 'cache', candidates: [{ ...rec, medianNs: cached.medianNs }] });
        return hit.value;
      }
      note = `cached choice ${hit.id} failed its check (${rec.detail ?? rec.state}); tuned again`;
    }
    const records: CandidateRecord[] = [];
    for (const [i, c] of candidates.entries()) {
      this.onStep?.(`tuning ${task.family} ${task.key}: ${c.id} (${i + 1}/${candidates.length})`);
      records.push(await this.try(task, c, build, true));
    }
    const win = pickWinner(records);
    if (!win) {
      const why = records.map((r) => `${r.id}: ${r.detail ?? r.state}`).join('; ');
      throw new Error(`${task.family} ${task.key}: no variant passed its check (${why})`);
    }
    opts.cache[key] = { chosen: win.id, medianNs: win.medianNs as number, measuredAt: new Date().toISOString() };
    this.entries.push({ family: task.family, key: task.key, cacheKey: key, chosen: win.id, source: 'measured', candidates: records, ...(note ? { note } : {}) });
    return (candidates.find((c) => c.id === win.id) as { value: V }).value;
  }

  /** Builds, checks and (when `timed`) times one candidate; only fatal errors escape. */
  private async try<V>(task: TuneTask<V>, c: { id: string; value: V }, build: (v: V) => Promise<BuiltCandidate>, timed: boolean): Promise<CandidateRecord> {
    const { opts } = this;
    const what = `tune.${task.family}.${c.id}`;
    let built: BuiltCandidate | undefined;
    try {
      built = await opts.guard(`${what}.build`, () => build(c.value));
      const b = built;
      const v = await opts.guard(`${what}.verify`, () => b.check());
      if (v.state !== 'passed') {
        return { id: c.id, state: 'failed', detail: `${v.method}: error ${v.error} > ${v.threshold}${v.detail ? ` (${v.detail})` : ''}` };
      }
      if (!timed) return { id: c.id, state: 'ok' };
      const timing = await opts.guard(`${what}.timed`, () => this.timer.measure(b, { ...opts.plan, warmup: TUNE_WARMUP, reps: TUNE_REPS }));
      return { id: c.id, state: 'ok', medianNs: timing.perUnitNs.median };
    } catch (e) {
      if (e instanceof CancelledError || opts.fatal(e)) throw e;
      return { id: c.id, state: 'errored', detail: message(e) };
    } finally {
      built?.dispose?.();
    }
  }

  /** What goes into the result. */
  record(): Tuning {
    const max = this.opts.maxCandidates;
    const base = {
      adapterKey: this.opts.adapterKey,
      timer: this.timer.info.source,
      warmup: TUNE_WARMUP,
      reps: TUNE_REPS,
      margin: TUNE_MARGIN,
      maxCandidates: Number.isFinite(max) ? max : null,
    };
    if (!this.opts.enabled) return { mode: 'disabled', ...base, durationMs: 0, entries: [] };
    return { mode: 'tuned', ...base, durationMs: this.spentMs, entries: [...this.entries] };
  }

}

/** The build part of every cache key: choices of other builds can never be used by this one. */
function buildTag(): string {
  return `|${TOOL.version}+${TOOL.commit}|`;
}

/**
 * Merges `updates` into `cache`, dropping entries of other tokenbench builds (they are never looked up
 * again), so a cache kept in localStorage or a file does not grow with every upgrade.
 */
export function mergeTuneCache(cache: TuneCache, updates: TuneCache): TuneCache {
  const tag = buildTag();
  const kept = Object.entries(cache).filter(([k]) => k.includes(tag));
  return { ...Object.fromEntries(kept), ...updates };
}

/** The choices a result measured, to merge into a cache (the page's localStorage, the CLI's file). */
export function cacheUpdates(t: Tuning | undefined | null): TuneCache {
  const out: TuneCache = {};
  if (!t || t.mode !== 'tuned') return out;
  for (const e of t.entries) {
    if (e.source !== 'measured') continue;
    const c = e.candidates.find((r) => r.id === e.chosen);
    if (c?.medianNs !== undefined) out[e.cacheKey] = { chosen: e.chosen, medianNs: c.medianNs, measuredAt: new Date().toISOString() };
  }
  return out;
}

/** Parses a cache read from storage; anything malformed is dropped (a cache is only a hint). */
export function parseTuneCache(text: string | null | undefined): TuneCache {
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  const out: TuneCache = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const c = v as Partial<CachedChoice> | null;
    if (c && typeof c.chosen === 'string' && typeof c.medianNs === 'number' && Number.isFinite(c.medianNs) && typeof c.measuredAt === 'string') {
      out[k] = { chosen: c.chosen, medianNs: c.medianNs, measuredAt: c.measuredAt };
    }
  }
  return out;
}
