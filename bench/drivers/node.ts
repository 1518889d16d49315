/**
 * The Node driver: the request runs in this process, through Dawn (npm `webgpu`), with the same `execute`
 * as the page's worker. No browser, no transport: the outcome is the result itself.
 */
import type { ModelFiles } from '../../src/run/files';
import { execute } from '../../src/runtime/execute';
import { createDawnGpu } from '../../src/runtime/dawn';
import { describeGpu } from '../../src/runtime/describe';
import type { Runtime } from '../../src/schema/result';
import { type DriveContext, type DriveOutcome, deadline, describeRequest } from './drive';

/**
 * Runs the request on `gpu`, reading its model files through `files`; the deadline cancels the run (it then
 * stops between dispatch batches). With `ctx.admit`, the adapter is described and admitted first.
 */
export async function runNode(gpu: GPU, runtime: Runtime, ctx: DriveContext, files?: ModelFiles): Promise<DriveOutcome> {
  if (ctx.admit) {
    // No adapter: the run itself reports it, as without the check.
    const described = await describeGpu(gpu, 'node');
    if (described.ok) await ctx.admit(described.environment);
  }
  const signal = { cancelled: false };
  ctx.onCancel(async () => {
    signal.cancelled = true;
  });
  const timer = deadline(ctx.timeoutMs);
  timer.expired.catch(() => (signal.cancelled = true));
  ctx.log(`execute(${describeRequest(ctx.request)})`);
  try {
    const result = await Promise.race([execute(gpu, ctx.request, { runtime, ...(files ? { files } : {}) }, { onProgress: ctx.progress }, signal), timer.expired]);
    // As it would cross a transport: plain JSON (no undefined fields), for the schema check.
    return { raw: JSON.parse(JSON.stringify(result)) as unknown, flags: null };
  } finally {
    timer.clear();
  }
}

/** Adapters named in Dawn's "no suitable backends" message: `{ backend, name }` each. */
export function parseAdapterList(message: string): Array<{ backend: string; name: string }> {
  const out: Array<{ backend: string; name: string }> = [];
  for (const m of message.matchAll(/backend: '([^']*)', name: '([^']*)'/g)) out.push({ backend: m[1] as string, name: m[2] as string });
  return out;
}

/** One adapter's details for the listing: vendor, architecture, features that matter; or why it would not open. */
async function adapterDetail(options: string[], software: boolean): Promise<string> {
  try {
    const a = await createDawnGpu(options, software).requestAdapter({ powerPreference: 'high-performance' });
    if (!a) return '';
    const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const wanted = ['shader-f16', 'timestamp-query', 'subgroups', 'chromium-experimental-subgroup-matrix'].filter((f) => a.features.has(f));
    return ` · ${[i.vendor, i.architecture, i.description].filter(Boolean).join(' / ')}${i.isFallbackAdapter ? ' · fallback' : ''} · ${wanted.join(', ') || 'no optional features'}`;
  } catch (e) {
    return ` · could not open: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Prints every adapter Dawn offers with these options (backend, toggles), with its details. */
export async function listAdapters(options: string[], software: boolean): Promise<number> {
  const base = options.filter((o) => !o.startsWith('adapter='));
  // Dawn lists the adapters when asked for one that does not exist.
  const probe = createDawnGpu([...base, 'adapter=\u0001tokenbench-list-adapters'], software);
  let listed: Array<{ backend: string; name: string }> = [];
  try {
    const a = await probe.requestAdapter();
    if (a) process.stderr.write('tokenbench: Dawn returned an adapter for a name that cannot exist; listing the default adapter only\n');
  } catch (e) {
    listed = parseAdapterList((e as Error).message);
  }
  if (!listed.length) {
    process.stdout.write(`no adapters (Dawn options: ${base.join(' ') || 'none'})\n`);
    return 1;
  }
  process.stdout.write(`Dawn adapters (options: ${base.join(' ') || 'none'}):\n`);
  for (const { backend, name } of listed) {
    const detail = await adapterDetail([...base.filter((o) => !o.startsWith('backend=')), `backend=${backend}`, `adapter=${name}`], software);
    process.stdout.write(`  ${backend}\t${name}${detail}\n`);
  }
  process.stdout.write('Pick one with --adapter "NAME" (a part of the name is enough).\n');
  return 0;
}
