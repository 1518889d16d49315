#!/usr/bin/env node
// npm's `pretest`: the system packages tokenbench's tests need, installed when missing so that `npm install`
// and `npm test` are enough on a fresh Debian or Ubuntu machine. Plain Node, no dependencies: it runs
// before anything is built, and when everything is present it only looks at a handful of paths.
// `--browser`: only Chromium, for a headless run (the browser CLI calls it when it finds no browser).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {{ name: string, paths?: string[], library?: string, pkg: string, why: string }} Requirement
 *   `paths` may have `*` for a whole segment (a version directory): any entry there will do.
 * @typedef {object} SystemView what the decision looks at; injected by the unit test
 * @property {(path: string) => boolean} exists
 * @property {(dir: string) => string[]} list the names in a directory, none when it cannot be read
 * @property {string} platform `process.platform`
 * @property {string} arch `process.arch`
 * @property {string | undefined} ldLibraryPath
 * @property {number} uid
 * @property {() => string | null} osRelease the text of /etc/os-release, null when there is none
 * @property {() => boolean} canSudo whether `sudo -n` works (asked only when installing without root)
 * @typedef {{ action: 'ok' } | { action: 'install', packages: string[], missing: Requirement[], commands: string[][] }
 *   | { action: 'fail', missing: Requirement[], message: string }} Plan
 */

/** Where Debian's `postgresql` puts initdb (beside pg_ctl and postgres): one directory per major version. */
export const POSTGRES_INITDB = '/usr/lib/postgresql/*/bin/initdb';

/** What the tests need from the system, where they look for it, and the Debian package that has it. */
/** @type {Requirement[]} */
export const REQUIREMENTS = [
  { name: 'Chromium', paths: ['/usr/bin/chromium'], pkg: 'chromium', why: 'the e2e tests drive headless Chromium' },
  {
    name: "Chromium's SwiftShader Vulkan driver",
    paths: ['/usr/lib/chromium/vk_swiftshader_icd.json'],
    pkg: 'chromium',
    why: 'the software GPU of the Dawn (gpu) tests and the Node runner tests',
  },
  { name: 'chromedriver', paths: ['/usr/bin/chromedriver'], pkg: 'chromium-driver', why: 'the WebDriver e2e test drives Chromium through it' },
  { name: 'the Vulkan loader', library: 'libvulkan.so.1', pkg: 'libvulkan1', why: 'Dawn (npm webgpu) opens it to reach SwiftShader' },
  {
    name: 'the PostgreSQL server',
    paths: [POSTGRES_INITDB],
    pkg: 'postgresql',
    why: "the results board's tests also run on a throwaway PostgreSQL cluster on loopback",
  },
];

/** Debian's multiarch triplet for Node's `process.arch`. */
const TRIPLETS = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', ia32: 'i386-linux-gnu', arm: 'arm-linux-gnueabihf' };

/**
 * Where the dynamic loader finds `library`: LD_LIBRARY_PATH, then the usual system directories.
 * @param {string} library
 * @param {SystemView} view
 */
function libraryPaths(library, view) {
  const triplet = TRIPLETS[/** @type {keyof typeof TRIPLETS} */ (view.arch)];
  const dirs = [
    ...(view.ldLibraryPath ?? '').split(':').filter(Boolean),
    ...(triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : []),
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.map((d) => `${d}/${library}`);
}

/**
 * The existing paths that `pattern` names, a `*` segment standing for any entry of its directory, in the
 * order of `list` (for `thisSystem`: numbers in names compared as numbers, so PostgreSQL 9.6 < 10 < 15).
 * @param {string} pattern
 * @param {SystemView} view
 * @returns {string[]}
 */
export function expand(pattern, view) {
  const parts = pattern.split('/');
  const star = parts.indexOf('*');
  if (star < 0) return view.exists(pattern) ? [pattern] : [];
  const head = parts.slice(0, star).join('/');
  return view.list(head || '/').flatMap((name) => expand([head, name, ...parts.slice(star + 1)].join('/'), view));
}

/**
 * @param {Requirement} r
 * @param {SystemView} view
 */
function present(r, view) {
  const paths = r.paths ?? libraryPaths(/** @type {string} */ (r.library), view);
  return paths.some((p) => expand(p, view).length > 0);
}

/**
 * Whether /etc/os-release names Debian or a derivative (Ubuntu: ID=ubuntu, ID_LIKE=debian).
 * @param {string | null} text
 */
export function isDebianLike(text) {
  if (!text) return false;
  const field = (/** @type {string} */ key) => (text.match(new RegExp(`^${key}=["']?([^"'\\n]*)`, 'm'))?.[1] ?? '').split(/\s+/);
  return [...field('ID'), ...field('ID_LIKE')].some((id) => id === 'debian' || id === 'ubuntu');
}

/** @param {Requirement[]} missing */
function listMissing(missing) {
  return missing.map((r) => `  - ${r.name} (${r.paths?.join(', ') ?? r.library}): ${r.why}`).join('\n');
}

/**
 * What to do: nothing, install these packages with these commands, or stop with a message.
 * @param {SystemView} view
 * @param {Requirement[]} [requirements]
 * @param {string} [purpose] who needs them, for the message ("tokenbench's tests need")
 * @returns {Plan}
 */
export function plan(view, requirements = REQUIREMENTS, purpose = "tokenbench's tests need") {
  const missing = requirements.filter((r) => !present(r, view));
  if (missing.length === 0) return { action: 'ok' };
  const packages = [...new Set(missing.map((r) => r.pkg))];
  const apt = `apt-get install ${packages.join(' ')}`;
  const fail = (/** @type {string} */ reason) => ({
    action: /** @type {const} */ ('fail'),
    missing,
    message: `${purpose} system packages that are missing:\n${listMissing(missing)}\n${reason}`,
  });
  if (view.platform !== 'linux' || !isDebianLike(view.osRelease())) {
    const os = view.platform === 'linux' ? 'a Linux other than Debian or Ubuntu' : view.platform;
    return fail(
      `This machine runs ${os}; this script installs packages only on Debian or Ubuntu, with apt-get. The tests look ` +
        `for Debian's packages at those paths: run them on Debian or Ubuntu (a container will do; there: ${apt}), ` +
        'or put the equivalents at those paths.',
    );
  }
  /** @type {string[]} */
  let prefix;
  if (view.uid === 0) prefix = [];
  else if (view.canSudo()) prefix = ['sudo', '-n'];
  else return fail(`Installing them needs root, and this user is not root and has no password-less sudo: run as root\n  ${apt}\nthen npm test again.`);
  const env = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive'];
  return {
    action: 'install',
    packages,
    missing,
    commands: [
      [...env, 'apt-get', 'update', '-qq'],
      [...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
    ],
  };
}

/** @returns {SystemView} */
export function thisSystem() {
  return {
    exists: existsSync,
    list: (dir) => {
      try {
        return readdirSync(dir).sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
      } catch {
        return [];
      }
    },
    platform: process.platform,
    arch: process.arch,
    ldLibraryPath: process.env['LD_LIBRARY_PATH'],
    uid: process.getuid?.() ?? -1,
    osRelease: () => {
      try {
        return readFileSync('/etc/os-release', 'utf8');
      } catch {
        return null;
      }
    },
    canSudo: () => spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
  };
}

/** @returns {number} the exit status */
function main() {
  const browserOnly = process.argv.includes('--browser');
  const needs = browserOnly ? REQUIREMENTS.slice(0, 2) : REQUIREMENTS;
  const purpose = browserOnly ? "tokenbench's headless run (no Chrome or Chromium found) needs" : "tokenbench's tests need";
  const first = plan(thisSystem(), needs, purpose);
  if (first.action === 'ok') return 0;
  if (first.action === 'fail') {
    console.error(`pretest: ${first.message}`);
    return 1;
  }
  console.error(`pretest: installing ${first.packages.join(' ')}, for:\n${listMissing(first.missing)}`);
  for (const cmd of first.commands) {
    console.error(`pretest: ${cmd.join(' ')}`);
    const run = spawnSync(/** @type {string} */ (cmd[0]), cmd.slice(1), { stdio: 'inherit' });
    if (run.status !== 0) {
      console.error(`pretest: \`${cmd.join(' ')}\` failed (${run.error?.message ?? `exit ${run.status}`}); install ${first.packages.join(' ')} by hand.`);
      return 1;
    }
  }
  const after = plan(thisSystem(), needs, purpose);
  if (after.action === 'ok') return 0;
  // Installed, yet not where the tests look (e.g. Ubuntu's chromium is a snap without /usr/lib/chromium).
  console.error(`pretest: apt-get installed ${first.packages.join(' ')}, but these are still missing:\n${listMissing(after.missing)}`);
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
