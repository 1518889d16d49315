/** The WebGPU peer's name and version, apart from its code so the page can name it without loading it. */

/** The @wllama/wllama version the page bundles (test/unit/peer-wllama.test.ts checks it against node_modules). */
export const WLLAMA_VERSION = '3.8.1';

/** How results name the WebGPU peer. */
export const WLLAMA_NAME = `llama.cpp via @wllama/wllama ${WLLAMA_VERSION}`;
