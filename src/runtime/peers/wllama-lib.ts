/**
 * The lazily loaded half of the WebGPU peer: @wllama/wllama (llama.cpp in WebAssembly, with ggml-webgpu) and
 * the URL of its wasm binary, emitted by the build beside the page (same origin, never a CDN). Only
 * `import()`ed when a run asks for the peer, so the page's first load fetches neither.
 */
import { Wllama } from '@wllama/wllama/esm/index.js';
import wasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import type { WllamaLib } from './wllama';

export const wllamaLib: WllamaLib = {
  wasmUrl,
  create(logger) {
    const w = new Wllama({ default: wasmUrl }, { logger, suppressNativeLog: false });
    // Its "compat" build would come from a CDN; the runner checks JSPI and memory64 before getting here.
    w.setCompat(null);
    return w as unknown as ReturnType<WllamaLib['create']>;
  },
};
