declare const __TOKENBENCH_VERSION__: string | undefined;
declare const __TOKENBENCH_COMMIT__: string | undefined;

/** Tool identity stamped into every result; injected at build time by vite.config.ts. */
export const TOOL = {
  name: 'tokenbench',
  version: typeof __TOKENBENCH_VERSION__ === 'string' ? __TOKENBENCH_VERSION__ : '0.0.0-unknown',
  commit: typeof __TOKENBENCH_COMMIT__ === 'string' ? __TOKENBENCH_COMMIT__ : 'unknown',
} as const;
