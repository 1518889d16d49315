/**
 * The board tests' PostgreSQL server: a throwaway cluster from Debian's `postgresql` package (what npm's
 * pretest installs), started once per test run by vitest's globalSetup of the `board` project, on a free
 * loopback port with trust authentication, and stopped and deleted afterwards. As root, initdb and the
 * server refuse to run, so they run as the package's `postgres` user in a folder it owns.
 *
 * It never throws: when no server can be started, the tests get the reason instead, and every PostgreSQL
 * case fails with it while the embedded cases run as usual. `TOKENBENCH_TEST_POSTGRES_URL` points the tests
 * at a server of one's own instead (a role that may create databases).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { POSTGRES_INITDB, expand, thisSystem } from '../../scripts/system-deps.mjs';

/** What the tests get: a URL of a database to connect to for creating their own, or why there is none. */
export type PostgresServer = { url: string } | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresServer;
  }
}

/** The server's superuser, the same whoever starts it. */
const USER = 'tokenbench';

/** The newest installed version's bin directory (initdb, pg_ctl, postgres). */
function binDir(): string {
  const found = expand(POSTGRES_INITDB, thisSystem()).at(-1);
  if (!found) {
    throw new Error(
      `no PostgreSQL server: nothing at ${POSTGRES_INITDB}. Install Debian's postgresql package (npm test's pretest does, ` +
        'as root or with password-less sudo: apt-get install postgresql), or set TOKENBENCH_TEST_POSTGRES_URL to a server of your own',
    );
  }
  return found.slice(0, -'/initdb'.length);
}

/** The uid and gid of a system user (from /etc/passwd, where Debian's packages add theirs), or null. */
function systemUser(name: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
}

/** A TCP port nothing listens on now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok, fail) => probe.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((ok) => probe.close(() => ok()));
  return port;
}

interface Cluster {
  url: string;
  stop(): void;
}

/** initdb into a new temporary folder, then pg_ctl start on a free port; the folder goes when it fails. */
async function startCluster(): Promise<Cluster> {
  const bin = binDir();
  const root = (process.getuid?.() ?? -1) === 0;
  const owner = root ? systemUser('postgres') : null;
  if (root && !owner) throw new Error('running as root, and there is no `postgres` user to run PostgreSQL as (Debian\'s postgresql package creates it)');
  const dir = mkdtempSync(join(tmpdir(), 'tokenbench-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const run = (tool: string, args: string[]) => {
    const [cmd, ...rest] = owner ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    // cwd: the postgres user may not be allowed into ours.
    const r = spawnSync(cmd as string, rest, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${[cmd, ...rest].join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}${r.stdout}`);
  };
  try {
    run('initdb', ['-D', data, '-U', USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    // Another process may take the port between the probe and the start: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      // Throwaway data: no fsync. The socket in our folder: /var/run/postgresql may not exist here.
      const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'server.log'), '-o', options]);
      } catch (e) {
        if (attempt < 3) continue;
        throw e;
      }
      return {
        url: `postgres://${USER}@127.0.0.1:${port}/postgres`,
        stop: () => {
          try {
            run('pg_ctl', ['stop', '-m', 'immediate', '-D', data]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** vitest globalSetup: one cluster for the whole run, whichever files use it. */
export default async function setup(project: TestProject): Promise<() => void> {
  const own = process.env['TOKENBENCH_TEST_POSTGRES_URL'];
  if (own) {
    project.provide('postgres', { url: own });
    return () => undefined;
  }
  try {
    const cluster = await startCluster();
    project.provide('postgres', { url: cluster.url });
    return () => cluster.stop();
  } catch (e) {
    project.provide('postgres', { error: e instanceof Error ? e.message : String(e) });
    return () => undefined;
  }
}
