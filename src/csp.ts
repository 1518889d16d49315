/**
 * Content-Security-Policy of the built page: scripts, workers, styles and connections only from its own
 * origin (no inline script, no eval, no remote origins). Results are untrusted data rendered as text; the
 * policy is the second line of defence. Injected as a <meta> by vite.config.ts (build only: dev mode keeps
 * Vite's client working) and also sent as a header by the CLI's server, which can add frame-ancestors.
 *
 * Two allowances, both for llama.cpp run beside tokenbench in the page (the `webgpu` peer, wllama), and
 * neither reaching another origin:
 * - `'wasm-unsafe-eval'`: compiling WebAssembly (llama.cpp's wasm binary, served from this origin). It
 *   allows WebAssembly compilation only: JavaScript eval and new Function stay refused.
 * - `blob:` workers: wllama starts llama.cpp's worker from a blob: URL that the page's own script creates
 *   from code it bundles. A blob: URL is of the page's origin and can only be made by script already running
 *   here, so no code from elsewhere can become a worker.
 */
export const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

export const CSP_META = CSP_DIRECTIVES.join('; ');
/** frame-ancestors only works in a header. */
export const CSP_HEADER = [...CSP_DIRECTIVES, "frame-ancestors 'none'"].join('; ');
