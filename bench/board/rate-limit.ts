/**
 * Per-client rate limit: a token bucket per client address. Each request takes a token; tokens come back at
 * `rate` per second up to `burst`. Buckets that are full again are forgotten, so memory follows the
 * clients of the last few seconds.
 */

export interface RateLimit {
  /** Tokens per second; 0 turns the limit off. */
  rate: number;
  /** Bucket size: requests a client may make at once. */
  burst: number;
}

/** Defaults of `npm run board`: a steady 10 requests/s per client, bursts of 100 (a fleet submitting at once). */
export const DEFAULT_RATE_LIMIT: RateLimit = { rate: 10, burst: 100 };

export interface Limiter {
  /** Takes a token for `client`; returns 0 when allowed, else the seconds until one is there. */
  take(client: string): number;
}

export function tokenBuckets(limit: RateLimit, now: () => number = () => performance.now()): Limiter {
  if (limit.rate <= 0) return { take: () => 0 };
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();
  const refill = (b: { tokens: number; at: number }, t: number) => {
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.rate);
    b.at = t;
  };
  return {
    take(client) {
      const t = now();
      // Forget full buckets once per refill period of a whole bucket.
      if (t - lastSweep > (limit.burst / limit.rate) * 1000) {
        for (const [k, b] of buckets) {
          refill(b, t);
          if (b.tokens >= limit.burst) buckets.delete(k);
        }
        lastSweep = t;
      }
      let b = buckets.get(client);
      if (!b) buckets.set(client, (b = { tokens: limit.burst, at: t }));
      refill(b, t);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return (1 - b.tokens) / limit.rate;
    },
  };
}
