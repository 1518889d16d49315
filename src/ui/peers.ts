/**
 * llama.cpp beside tokenbench in the page's results: per token test, tokenbench's tok/s as a share of each
 * peer's (with the kernel-limited flag), and per workload each peer's record: state or why it did not run,
 * the backend that held the weights, its settings and tests, the settings in which the two sides differ,
 * and the greedy agreement. Everything comes from the result and is set as text.
 */
import { fmtDuration, fmtNumber } from '../result/formats';
import { KERNEL_LIMITED_NOTE, PEER_LABEL, formatRatio, ratioOf } from '../result/peers';
import type { Peer, TokenTest, Workload } from '../schema/result';
import { el } from './dom';

/** "45 % of llama.cpp WebGPU · 80 % of llama.cpp native" for one test (kernel-limited ones say so); '' without peers. */
export function peerRatioText(w: Workload, t: TokenTest): string {
  if (t.batch !== 1) return '';
  return (w.peers ?? [])
    .flatMap((p) => {
      const x = ratioOf(w, t.name, p.engine);
      return x ? [`${formatRatio(x, p.engine)}${x.kernelLimited ? ` — ${KERNEL_LIMITED_NOTE}` : ''}`] : [];
    })
    .join(' · ');
}

function settingsText(s: NonNullable<Peer['settings']>): string {
  const fa = s.flashAttention === null ? 'flash attention ?' : `flash attention ${s.flashAttention ? 'on' : 'off'}`;
  return [
    `KV cache ${s.kvType}`,
    fa,
    `batch ${s.batch ?? '?'}`,
    `${s.threads ?? '?'} thread${s.threads === 1 ? '' : 's'}`,
    `GPU layers ${s.gpuLayers ?? '?'}`,
    `context ${s.contextSize ?? '?'}`,
  ].join(' · ');
}

function agreementText(a: NonNullable<Peer['agreement']>): string {
  const how = a.method === 'token-ids' ? 'compared as token ids' : 'compared as text';
  const first = a.firstDifference === null ? 'all agree' : `first difference at token ${a.firstDifference}`;
  return `${a.matching} of ${a.compared} greedy tokens agree (${first}; ${how})`;
}

/** One peer's block. */
export function peerBlock(p: Peer): HTMLElement {
  const rows: Array<[string, string]> = [];
  if (p.reason) rows.push([p.state === 'errored' ? 'Error' : 'Why not', p.reason]);
  if (p.backend) rows.push(['Backend', `${p.backend}${p.backendNote ? ` — ${p.backendNote}` : ''}`]);
  else if (p.backendNote) rows.push(['Backend', p.backendNote]);
  if (p.device) rows.push(['Device', p.device]);
  if (p.settings) rows.push(['Settings', settingsText(p.settings)]);
  if (p.tests.length) rows.push(['Tests', p.tests.map((t) => `${t.name} ${fmtNumber(t.rate.median)} tok/s (${t.tokens} tokens; ${t.timer})`).join(' · ')]);
  if (p.ratios?.length) rows.push(['tokenbench / llama.cpp', p.ratios.map((x) => `${x.test}: ${formatRatio(x, p.engine)}${x.kernelLimited ? ` (${KERNEL_LIMITED_NOTE})` : ''}`).join(' · ')]);
  const differences = [...new Set((p.ratios ?? []).flatMap((x) => x.differences))];
  if (differences.length) rows.push(['Differences', differences.join('; ')]);
  if (p.agreement) rows.push(['Greedy agreement', agreementText(p.agreement)]);
  return el(
    'div',
    { class: `peer state-${p.state}`, 'data-engine': p.engine },
    el('h4', {}, `${PEER_LABEL[p.engine]}: ${p.state}`, ` — ${p.name}`, p.durationMs !== undefined ? ` (${fmtDuration(p.durationMs)})` : ''),
    el('table', { class: 'kv' }, el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))))),
  );
}

/** The peers of a workload, or null when it has none. */
export function peersBlock(w: Workload): HTMLElement | null {
  if (!w.peers?.length) return null;
  return el('div', { class: 'peers' }, ...w.peers.map(peerBlock));
}
