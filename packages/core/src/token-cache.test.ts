import { afterEach, describe, expect, it, vi } from "vitest";
import { toAccessToken } from "./access-token.js";
import { EXPIRY_MARGIN_MS, REFRESH_RETRY_DELAY_MS, TokenCache, cacheKey, cachePartition, freshToken, getTokenCache, tokenCacheKey } from "./token-cache.js";
import type { AccessToken } from "./types.js";

const HOUR = 3_600_000;

function issuer(lifetimeMs = HOUR, options: { refreshInMs?: number } = {}) {
  let issued = 0;
  const calls: AbortSignal[] = [];
  const acquire = async ({ signal }: { signal: AbortSignal }): Promise<AccessToken> => {
    calls.push(signal);
    issued += 1;
    return toAccessToken(
      { accessToken: `token-${issued}`, expiresIn: lifetimeMs / 1000, refreshIn: options.refreshInMs === undefined ? undefined : options.refreshInMs / 1000 },
      Date.now(),
    );
  };
  return { acquire, calls, count: () => issued };
}

afterEach(() => {
  vi.useRealTimers();
});

/** Whether `cache` serves `key` at once. A miss starts a request that fails at once and is forgotten. */
function isCached(cache: TokenCache, key: string): boolean {
  const result = cache.getToken(key, () => Promise.reject(new Error("miss")));
  if (!(result instanceof Promise)) return true;
  result.catch(() => undefined);
  return false;
}

describe("TokenCache", () => {
  it("returns the cached token synchronously on a hit, with no new request", async () => {
    const cache = new TokenCache();
    const { acquire, count } = issuer();
    const first = await cache.getToken("k", acquire);
    const second = cache.getToken("k", acquire);
    expect(second).toBe(first);
    expect(count()).toBe(1);
  });

  it("shares one request among 1,000 concurrent misses for one key", async () => {
    const cache = new TokenCache();
    const { acquire, count } = issuer();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => cache.getToken("k", acquire)));
    expect(count()).toBe(1);
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["token-1"]));
  });

  it("keeps different keys apart", async () => {
    const cache = new TokenCache();
    const { acquire, count } = issuer();
    const a = await cache.getToken("a", acquire);
    const b = await cache.getToken("b", acquire);
    expect(a.token).not.toBe(b.token);
    expect(count()).toBe(2);
  });

  it("bypasses the read when claims are given, and stores the new token", async () => {
    const cache = new TokenCache();
    const { acquire, count } = issuer();
    await cache.getToken("k", acquire);
    const challenged = await cache.getToken("k", acquire, { claims: '{"access_token":{"nbf":{"essential":true}}}' });
    expect(count()).toBe(2);
    expect(challenged.token).toBe("token-2");
    expect(await cache.getToken("k", acquire)).toBe(challenged);
  });

  it("serves the cached token past refresh-after and refreshes once in the background", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    const { acquire, count } = issuer(HOUR);
    const first = await cache.getToken("k", acquire);
    expect(first.refreshAfterTimestamp).toBe(HOUR - 5 * 60_000);
    vi.setSystemTime(HOUR - 4 * 60_000);
    const during = [cache.getToken("k", acquire), cache.getToken("k", acquire), cache.getToken("k", acquire)];
    expect(during.every((t) => t === first)).toBe(true);
    await vi.runAllTimersAsync();
    expect(count()).toBe(2);
    expect((cache.getToken("k", acquire) as AccessToken).token).toBe("token-2");
  });

  it("keeps serving the valid token when a background refresh fails, and retries no sooner than 30 s", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    let attempts = 0;
    const good = await cache.getToken("k", async () => toAccessToken({ accessToken: "good", expiresIn: 3600 }, 0));
    const failing = async (): Promise<AccessToken> => {
      attempts += 1;
      throw new Error("service down");
    };
    vi.setSystemTime(HOUR - 4 * 60_000);
    expect(cache.getToken("k", failing)).toBe(good);
    await vi.runAllTimersAsync();
    expect(attempts).toBe(1);
    vi.setSystemTime(HOUR - 4 * 60_000 + REFRESH_RETRY_DELAY_MS - 1);
    expect(cache.getToken("k", failing)).toBe(good);
    await vi.runAllTimersAsync();
    expect(attempts).toBe(1);
    vi.setSystemTime(HOUR - 4 * 60_000 + REFRESH_RETRY_DELAY_MS);
    expect(cache.getToken("k", failing)).toBe(good);
    await vi.runAllTimersAsync();
    expect(attempts).toBe(2);
  });

  it("never returns an expired token: past expiry (minus the margin) it waits for a new one", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    const { acquire, count } = issuer(HOUR);
    await cache.getToken("k", acquire);
    vi.setSystemTime(HOUR - EXPIRY_MARGIN_MS);
    const result = cache.getToken("k", acquire);
    expect(result).toBeInstanceOf(Promise);
    expect((await result).token).toBe("token-2");
    expect(count()).toBe(2);
  });

  it("fails the caller when the refresh of an expired token fails", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    await cache.getToken("k", async () => toAccessToken({ accessToken: "old", expiresIn: 3600 }, 0));
    vi.setSystemTime(2 * HOUR);
    await expect(cache.getToken("k", async () => Promise.reject(new Error("down")))).rejects.toThrow("down");
  });

  it("uses refresh_in from the service", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    const { acquire, count } = issuer(24 * HOUR, { refreshInMs: HOUR });
    const token = await cache.getToken("k", acquire);
    expect(token.refreshAfterTimestamp).toBe(HOUR);
    vi.setSystemTime(HOUR - 1);
    cache.getToken("k", acquire);
    await vi.runAllTimersAsync();
    expect(count()).toBe(1);
    vi.setSystemTime(HOUR);
    cache.getToken("k", acquire);
    await vi.runAllTimersAsync();
    expect(count()).toBe(2);
  });

  it("bounds memory: past maxEntries the least recently used entries go first", async () => {
    const cache = new TokenCache({ maxEntries: 3 });
    const { acquire } = issuer();
    for (const key of ["a", "b", "c"]) await cache.getToken(key, acquire);
    cache.getToken("a", acquire); // "a" used: it gets a second chance
    await cache.getToken("d", acquire);
    expect(cache.size).toBe(3);
    expect(isCached(cache, "a")).toBe(true);
    expect(isCached(cache, "b")).toBe(false);
    expect(isCached(cache, "c")).toBe(true);
    expect(isCached(cache, "d")).toBe(true);
  });

  it("freshToken serves a returned token again until its refresh time, then defers to getToken", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    const { acquire, count } = issuer(HOUR, { refreshInMs: HOUR / 2 });
    const first = await cache.getToken("k", acquire);
    expect(freshToken(first)).toBe(first);
    expect(cache.getToken("k", acquire)).toBe(first); // the same token by key
    vi.setSystemTime(HOUR / 2 - 1000);
    expect(freshToken(first)).toBe(first);
    vi.setSystemTime(HOUR / 2); // due: freshToken says no; getToken serves it and refreshes once in the background
    expect(freshToken(first)).toBeUndefined();
    expect(cache.getToken("k", acquire)).toBe(first);
    await vi.waitFor(() => expect(count()).toBe(2));
    const refreshed = cache.getToken("k", acquire) as AccessToken;
    expect(refreshed.token).toBe("token-2");
    expect(freshToken(first)).toBeUndefined(); // replaced
    expect(freshToken(refreshed)).toBe(refreshed);
    expect(freshToken(undefined)).toBeUndefined();
    expect(freshToken({ token: "t", expiresOnTimestamp: 2 * HOUR })).toBeUndefined(); // not one of the cache's
    expect(count()).toBe(2);
  });

  it("freshToken never serves a token that was evicted, deleted, cleared or expired", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache({ maxEntries: 2 });
    const { acquire, count } = issuer(HOUR, { refreshInMs: HOUR });
    const a = await cache.getToken("a", acquire);
    await cache.getToken("b", acquire);
    await cache.getToken("c", acquire); // "a" was never read again: evicted
    expect(cache.size).toBe(2);
    expect(freshToken(a)).toBeUndefined();
    const b = cache.getToken("b", acquire) as AccessToken;
    cache.delete("b");
    expect(freshToken(b)).toBeUndefined();
    const c = cache.getToken("c", acquire) as AccessToken;
    expect(freshToken(c)).toBe(c);
    cache.clear();
    expect(freshToken(c)).toBeUndefined();
    const d = await cache.getToken("d", acquire);
    vi.setSystemTime(HOUR - EXPIRY_MARGIN_MS); // refresh-after is capped at the expiry margin
    expect(freshToken(d)).toBeUndefined();
    expect(count()).toBe(4);
  });

  it("returns tokens with the four AccessToken fields only: its bookkeeping is private", async () => {
    const cache = new TokenCache();
    const token = await cache.getToken("k", async () => ({ token: "t", expiresOnTimestamp: Date.now() + HOUR, refreshAfterTimestamp: Date.now() + HOUR / 2, tokenType: "Bearer" }));
    expect(Object.keys(token).sort()).toEqual(["expiresOnTimestamp", "refreshAfterTimestamp", "token", "tokenType"]);
    expect(Object.getOwnPropertySymbols(token)).toEqual([]);
    expect(JSON.parse(JSON.stringify(token))).toEqual({ token: "t", expiresOnTimestamp: token.expiresOnTimestamp, refreshAfterTimestamp: token.refreshAfterTimestamp, tokenType: "Bearer" });
  });

  it("recovers from a request function that throws synchronously (no flight is left behind)", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    const good = await cache.getToken("k", async () => toAccessToken({ accessToken: "good", expiresIn: 3600 }, 0));
    const throwing = (): Promise<AccessToken> => {
      throw new Error("sync failure");
    };
    vi.setSystemTime(3_400_000); // past refresh-after (3,300 s): a background refresh, which throws at once
    expect(cache.getToken("k", throwing)).toBe(good);
    await Promise.resolve();
    vi.setSystemTime(3_600_000); // expired: the next call must start a new request, not join a dead one
    const fresh = toAccessToken({ accessToken: "fresh", expiresIn: 3600 }, 3_600_000);
    expect((await cache.getToken("k", async () => fresh)).token).toBe("fresh");
  });

  it("rejects a caller at once on abort, and aborts the request when no caller is left", async () => {
    const cache = new TokenCache();
    let requestSignal: AbortSignal | undefined;
    const acquire = ({ signal }: { signal: AbortSignal }) => {
      requestSignal = signal;
      return new Promise<AccessToken>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    };
    const one = new AbortController();
    const two = new AbortController();
    const p1 = cache.getToken("k", acquire, { abortSignal: one.signal });
    const p2 = cache.getToken("k", acquire, { abortSignal: two.signal });
    one.abort(new Error("caller one gave up"));
    await expect(p1).rejects.toThrow("caller one gave up");
    expect(requestSignal?.aborted).toBe(false);
    two.abort(new Error("caller two gave up"));
    await expect(p2).rejects.toThrow("caller two gave up");
    expect(requestSignal?.aborted).toBe(true);
  });

  it("rejects at once with an already-aborted signal, making no request", async () => {
    const cache = new TokenCache();
    const { acquire, count } = issuer();
    await expect(cache.getToken("k", acquire, { abortSignal: AbortSignal.abort(new Error("stop")) })).rejects.toThrow("stop");
    expect(count()).toBe(0);
  });

  it("reads a second-level store on a miss and writes it after a request; store failures never fail getToken", async () => {
    const stored = new Map<string, AccessToken>();
    const store = {
      get: async (key: string) => stored.get(key),
      set: async (key: string, token: AccessToken) => void stored.set(key, token),
      delete: async (key: string) => void stored.delete(key),
    };
    const { acquire, count } = issuer();
    const writer = new TokenCache({ store });
    const token = await writer.getToken("k", acquire);
    await Promise.resolve();
    expect(stored.get("k")).toBe(token);
    const reader = new TokenCache({ store });
    expect((await reader.getToken("k", acquire)).token).toBe(token.token);
    expect(count()).toBe(1);
    const broken = new TokenCache({
      store: { get: () => Promise.reject(new Error("disk")), set: () => Promise.reject(new Error("disk")), delete: () => undefined },
    });
    expect((await broken.getToken("k", acquire)).token).toBe("token-2");
  });

  it("rejects a bad maxEntries with a TypeError", () => {
    expect(() => new TokenCache({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new TokenCache({ maxEntries: 1.5 })).toThrow(/"maxEntries" must be a positive integer/);
  });
});

describe("cache keys", () => {
  it("separate identities, secrets, tenants and CAE", () => {
    const base = { kind: "client-secret", authority: "https://login.microsoftonline.com", tenantId: "t", clientId: "c", credentialHash: "h1" };
    const keys = new Set([
      cacheKey(cachePartition(base), "s", false),
      cacheKey(cachePartition(base), "s", true),
      cacheKey(cachePartition({ ...base, credentialHash: "h2" }), "s", false),
      cacheKey(cachePartition({ ...base, tenantId: "t2" }), "s", false),
      cacheKey(cachePartition({ ...base, clientId: "c2" }), "s", false),
      cacheKey(cachePartition(base), "s2", false),
    ]);
    expect(keys.size).toBe(6);
    expect(cacheKey(cachePartition({ ...base, tenantId: "T" }), "s", false)).toBe(cacheKey(cachePartition(base), "s", false));
  });

  it("the process-wide cache is one object, shared through globalThis", () => {
    expect(getTokenCache()).toBe(getTokenCache());
    expect((globalThis as Record<symbol, unknown>)[Symbol.for("@id/core.token-cache.v1")]).toBe(getTokenCache());
  });
});

describe("tokenCacheKey", () => {
  const partition = cachePartition({ kind: "k", authority: "a", tenantId: "t", clientId: "c" });

  it("validates scopes like normalizeScopes and keys them regardless of form and order", () => {
    expect(tokenCacheKey(partition, "s1", false)).toBe(tokenCacheKey(partition, ["s1"], false));
    expect(tokenCacheKey(partition, ["b", "a"], false)).toBe(tokenCacheKey(partition, ["a", "b", "a"], false));
    expect(tokenCacheKey(partition, "s1", true)).not.toBe(tokenCacheKey(partition, "s1", false));
    expect(() => tokenCacheKey(partition, [], false)).toThrow(/at least one scope/);
    expect(() => tokenCacheKey(partition, "a b", false)).toThrow(TypeError);
  });

  it("returns the same string object for a repeated scope (no allocation on the hot path)", () => {
    const a = tokenCacheKey(partition, "https://vault.azure.net/.default", false);
    expect(tokenCacheKey(partition, "https://vault.azure.net/.default", false)).toBe(a);
  });
});

describe("short-lived tokens", () => {
  it("are never served inside the expiry margin, whatever refresh-after says", async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new TokenCache();
    let n = 0;
    const acquire = async (): Promise<AccessToken> => {
      n += 1;
      // 40 s of life, refresh-after claimed at 35 s: inside the 30 s margin from 10 s on.
      return { token: `t${n}`, expiresOnTimestamp: Date.now() + 40_000, refreshAfterTimestamp: Date.now() + 35_000 };
    };
    await cache.getToken("k", acquire);
    vi.setSystemTime(10_000);
    const next = cache.getToken("k", acquire);
    expect(next).toBeInstanceOf(Promise);
    expect((await next).token).toBe("t2");
  });

  it("follow fake timers in a cache built before the clock was faked", async () => {
    const cache = new TokenCache();
    await cache.getToken("k", async () => ({ token: "a", expiresOnTimestamp: Date.now() + 3_600_000 }));
    vi.useFakeTimers({ now: Date.now() + 7_200_000 });
    expect((await cache.getToken("k", async () => ({ token: "b", expiresOnTimestamp: Date.now() + 3_600_000 }))).token).toBe("b");
  });
});
