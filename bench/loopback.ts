/** Which URLs point at this machine (no npm imports: the argument parser and the Node runner use it). */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Host name of an http(s)/ws(s) URL, lower-case; empty when it is not a URL. */
export function urlHost(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** Whether a host name is this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}

/** Whether a URL points at this machine. */
export function isLoopbackUrl(url: string): boolean {
  return isLoopbackHost(urlHost(url));
}
