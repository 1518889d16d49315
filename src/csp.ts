/**
 * Content-Security-Policy of the built page: scripts, workers, styles and connections only from its own
 * origin (no inline script, no eval, no remote origins). Results are untrusted data rendered as text; the
 * policy is the second line of defence. Injected as a <meta> by vite.config.ts (build only: dev mode keeps
 * Vite's client working) and also sent as a header by the CLI's server, which can add frame-ancestors.
 */
export const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
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
