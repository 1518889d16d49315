/** A minimal static server for the built page, bound to 127.0.0.1 on a free port (a secure context for WebGPU). */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSP_HEADER } from '../src/csp';

/** The built page (`vite build`): what every browser run loads. */
export const PAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wgsl': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  // llama.cpp's wasm (the WebGPU peer): compiled while it streams in only when served as application/wasm.
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * How a request path of the page maps to a file of `root`, with the response headers. Shared by the HTTP
 * server and by fleet runs that deliver the page over a Playwright connection (bench/fleet.ts).
 */
export function staticResponse(
  root: string,
  urlPath: string,
): { status: 200; file: string; headers: Record<string, string> } | { status: 403 | 404; body: string } {
  const path = decodeURIComponent(new URL(urlPath || '/', 'http://127.0.0.1').pathname);
  let file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return { status: 403, body: 'forbidden' };
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file)) return { status: 404, body: 'not found' };
  return {
    status: 200,
    file,
    headers: {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'content-security-policy': CSP_HEADER,
      'x-content-type-options': 'nosniff',
    },
  };
}

/**
 * Starts `server` listening on `host` and `port` (0: a free one); resolves with its origin as a client on
 * this machine reaches it (`http://127.0.0.1:PORT` for a wildcard host, brackets around IPv6).
 */
export async function listenOn(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const { port: actual } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${urlHost}:${actual}`;
}

/** Serves the built page on `host` (default loopback) and `port` (default a free one). */
export async function serveStatic(rootDir: string, port = 0, host = '127.0.0.1'): Promise<StaticServer> {
  const root = resolve(rootDir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`${join(root, 'index.html')} not found: build the page first (npm run build)`);
  }
  const server = createServer((req, res) => {
    const r = staticResponse(root, req.url ?? '/');
    if (r.status !== 200) {
      res.writeHead(r.status, { 'content-type': 'text/plain' }).end(r.body);
      return;
    }
    res.writeHead(200, r.headers);
    createReadStream(r.file).pipe(res);
  });
  return {
    url: `${await listenOn(server, port, host)}/`,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
