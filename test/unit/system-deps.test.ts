import { describe, expect, test } from 'vitest';
import { POSTGRES_INITDB, type SystemView, expand, isDebianLike, plan } from '../../scripts/system-deps.mjs';

// npm's pretest (scripts/system-deps.mjs) decides from a view of the system; here that view is made up, so
// no case looks at this machine or runs apt-get.

const CHROMIUM = '/usr/bin/chromium';
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const DRIVER = '/usr/bin/chromedriver';
const VULKAN = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
const INITDB = '/usr/lib/postgresql/15/bin/initdb';
const ALL = [CHROMIUM, ICD, DRIVER, VULKAN, INITDB];

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n';

interface Case {
  files?: string[];
  platform?: string;
  osRelease?: string | null;
  uid?: number;
  sudo?: boolean;
  ldLibraryPath?: string;
  arch?: string;
}

/** A Debian x64 machine run by root with everything installed, changed by `c`; asking for sudo is counted. */
function view(c: Case): SystemView & { sudoAsked: number } {
  const files = new Set(c.files ?? ALL);
  const v = {
    sudoAsked: 0,
    exists: (p: string) => files.has(p),
    list: (dir: string) => {
      const under = [...files].filter((f) => f.startsWith(`${dir}/`));
      return [...new Set(under.map((f) => f.slice(dir.length + 1).split('/')[0] as string))];
    },
    platform: c.platform ?? 'linux',
    arch: c.arch ?? 'x64',
    ldLibraryPath: c.ldLibraryPath,
    uid: c.uid ?? 0,
    osRelease: () => (c.osRelease === undefined ? DEBIAN : c.osRelease),
    canSudo: () => {
      v.sudoAsked++;
      return c.sudo ?? false;
    },
  };
  return v;
}

const without = (...gone: string[]) => ALL.filter((f) => !gone.includes(f));
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];

describe('pretest: system packages for the tests', () => {
  test.each([
    { name: 'everything present, as root', c: {} },
    { name: 'everything present, no root and no sudo', c: { uid: 1000 } },
    { name: 'everything present on an unknown Linux', c: { osRelease: FEDORA } },
    { name: 'the Vulkan loader on LD_LIBRARY_PATH', c: { files: [...without(VULKAN), '/opt/vk/libvulkan.so.1'], ldLibraryPath: '/opt/vk:/nope' } },
    { name: 'the Vulkan loader in the arm64 multiarch directory', c: { arch: 'arm64', files: [...without(VULKAN), '/lib/aarch64-linux-gnu/libvulkan.so.1'] } },
    { name: 'PostgreSQL 17 rather than 15', c: { files: [...without(INITDB), '/usr/lib/postgresql/17/bin/initdb'] } },
  ])('$name: nothing to do, sudo never asked', ({ c }) => {
    const v = view(c);
    expect(plan(v)).toEqual({ action: 'ok' });
    expect(v.sudoAsked).toBe(0);
  });

  test.each([
    { name: 'no Chromium at all', gone: [CHROMIUM, ICD], packages: ['chromium'] },
    { name: 'Chromium without its SwiftShader ICD', gone: [ICD], packages: ['chromium'] },
    { name: 'no chromedriver', gone: [DRIVER], packages: ['chromium-driver'] },
    { name: 'no Vulkan loader', gone: [VULKAN], packages: ['libvulkan1'] },
    { name: 'no PostgreSQL server', gone: [INITDB], packages: ['postgresql'] },
    { name: 'a bare machine', gone: ALL, packages: ['chromium', 'chromium-driver', 'libvulkan1', 'postgresql'] },
  ])('Debian as root, $name: apt-get installs $packages', ({ gone, packages }) => {
    const v = view({ files: without(...gone) });
    expect(plan(v)).toMatchObject({
      action: 'install',
      packages,
      commands: [
        [...APT, 'update', '-qq'],
        [...APT, 'install', '-y', '-qq', '--no-install-recommends', ...packages],
      ],
    });
    expect(v.sudoAsked).toBe(0);
  });

  test('Ubuntu (ID_LIKE=debian), not root, password-less sudo: through sudo -n', () => {
    const p = plan(view({ files: without(DRIVER), osRelease: UBUNTU, uid: 1000, sudo: true }));
    expect(p).toMatchObject({
      action: 'install',
      commands: [
        ['sudo', '-n', ...APT, 'update', '-qq'],
        ['sudo', '-n', ...APT, 'install', '-y', '-qq', '--no-install-recommends', 'chromium-driver'],
      ],
    });
  });

  test('Debian, not root, no password-less sudo: stops and says to run apt-get as root', () => {
    const p = plan(view({ files: without(CHROMIUM, ICD), uid: 1000, sudo: false }));
    expect(p.action).toBe('fail');
    if (p.action !== 'fail') return;
    expect(p.message).toMatch(/not root and has no password-less sudo/);
    expect(p.message).toContain('apt-get install chromium');
    expect(p.message).toContain('/usr/bin/chromium');
    expect(p.message).toContain('the e2e tests drive headless Chromium');
  });

  test.each([
    { name: 'Fedora', c: { osRelease: FEDORA }, os: /a Linux other than Debian or Ubuntu/ },
    { name: 'a Linux without /etc/os-release', c: { osRelease: null }, os: /a Linux other than Debian or Ubuntu/ },
    { name: 'macOS', c: { platform: 'darwin', osRelease: null }, os: /runs darwin/ },
  ])('$name: stops with what is missing, why, and the Debian packages', ({ c, os }) => {
    const v = view({ ...c, files: without(VULKAN, DRIVER) });
    const p = plan(v);
    expect(p.action).toBe('fail');
    if (p.action !== 'fail') return;
    expect(p.message).toMatch(os);
    expect(p.message).toContain('apt-get install chromium-driver libvulkan1');
    expect(p.missing.map((r) => r.pkg)).toEqual(['chromium-driver', 'libvulkan1']);
    expect(v.sudoAsked).toBe(0);
  });

  test.each([
    { text: DEBIAN, debian: true },
    { text: UBUNTU, debian: true },
    { text: 'ID=linuxmint\nID_LIKE="ubuntu debian"\n', debian: true },
    { text: 'ID="raspbian"\nID_LIKE=debian\n', debian: true },
    { text: FEDORA, debian: false },
    { text: 'ID=debianish\n', debian: false },
    { text: '', debian: false },
  ])('isDebianLike($text) = $debian', ({ text, debian }) => {
    expect(isDebianLike(text)).toBe(debian);
  });

  test.each([
    { name: 'one version', files: [INITDB], found: [INITDB] },
    { name: 'two versions, in the order listed', files: ['/usr/lib/postgresql/13/bin/initdb', INITDB], found: ['/usr/lib/postgresql/13/bin/initdb', INITDB] },
    { name: 'a version directory with only the client', files: ['/usr/lib/postgresql/15/bin/psql'], found: [] },
    { name: 'no /usr/lib/postgresql', files: [CHROMIUM], found: [] },
  ])('expand($name): the initdb paths that exist', ({ files, found }) => {
    expect(expand(POSTGRES_INITDB, view({ files }))).toEqual(found);
  });

});

describe('a headless run that finds no browser (--browser mode: Chromium only)', () => {
  test('installs only chromium, even when the test-only packages are missing too', async () => {
    const { REQUIREMENTS } = await import('../../scripts/system-deps.mjs');
    const p = plan(view({ files: [VULKAN] }), REQUIREMENTS.slice(0, 2), "tokenbench's headless run needs");
    expect(p).toMatchObject({ action: 'install', packages: ['chromium'] });
  });

  test('elsewhere it names what to install, for the run rather than the tests', async () => {
    const { REQUIREMENTS } = await import('../../scripts/system-deps.mjs');
    const p = plan(view({ files: [], osRelease: FEDORA }), REQUIREMENTS.slice(0, 2), "tokenbench's headless run needs");
    expect(p.action).toBe('fail');
    expect(p.action === 'fail' && p.message).toMatch(/^tokenbench's headless run needs system packages that are missing/);
  });
});
