/** Finding the system Chrome/Chromium (we never download a browser). */
import { accessSync, constants } from 'node:fs';

/** Usual install locations, most specific first. */
export function candidatePaths(platform: NodeJS.Platform = process.platform, env = process.env): string[] {
  switch (platform) {
    case 'darwin':
      return [
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
        '/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary',
        '/Applications/Chromium.app/Contents/MacOS/Chromium',
        '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
      ];
    case 'win32': {
      const roots = [env['PROGRAMFILES'], env['PROGRAMFILES(X86)'], env['LOCALAPPDATA']].filter(Boolean) as string[];
      return roots.flatMap((r) => [
        `${r}\\Google\\Chrome\\Application\\chrome.exe`,
        `${r}\\Microsoft\\Edge\\Application\\msedge.exe`,
        `${r}\\Chromium\\Application\\chrome.exe`,
      ]);
    }
    default:
      return [
        '/usr/bin/google-chrome-stable',
        '/usr/bin/google-chrome',
        '/opt/google/chrome/chrome',
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/snap/bin/chromium',
        '/usr/bin/microsoft-edge',
      ];
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class BrowserNotFoundError extends Error {
  override name = 'BrowserNotFoundError';
}

/** --browser, then $CHROME_PATH, then the usual paths. Throws with install advice when none is found. */
export function findBrowser(explicit: string | null, env = process.env, platform = process.platform): string {
  if (explicit) {
    if (!executable(explicit)) throw new BrowserNotFoundError(`--browser ${explicit}: not an executable file`);
    return explicit;
  }
  const fromEnv = env['CHROME_PATH'];
  if (fromEnv) {
    if (!executable(fromEnv)) throw new BrowserNotFoundError(`CHROME_PATH=${fromEnv}: not an executable file`);
    return fromEnv;
  }
  const tried = candidatePaths(platform, env);
  const found = tried.find(executable);
  if (found) return found;
  throw new BrowserNotFoundError(
    `no Chrome/Chromium found (tried ${tried.join(', ')}). Install one (Debian/Ubuntu: sudo apt-get install chromium; ` +
      'or Google Chrome), or pass --browser PATH / set CHROME_PATH.',
  );
}
