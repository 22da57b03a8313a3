/**
 * The token cache every credential shares, written once.
 *
 * - Process-wide (`getTokenCache()`), keyed by credential identity + scopes + CAE, so a re-created
 *   credential with the same identity costs no request.
 * - Past `refreshAfterTimestamp` and before expiry the cached token is returned at once and one
 *   background refresh runs; a failed background refresh keeps the valid token and is retried no sooner
 *   than 30 s later. A token within `EXPIRY_MARGIN_MS` of expiry is never returned.
 * - Single flight: concurrent misses for one key share one request. `claims` bypasses the read.
 * - O(1) lookup; memory bounded by `maxEntries` (default 10,000) with second-chance (CLOCK) eviction,
 *   an LRU approximation whose hit path only sets a flag.
 * - The tokens it returns are its entries: the acquired token's four fields, with the cache's bookkeeping
 *   in private fields (invisible to callers, stored inside the object). A credential that remembers the
 *   token it last returned per scope asks `freshToken` whether it may serve it again: one read of one
 *   object, flat from 1 to 10,000 cached keys; only when the answer is no does it build a key and call
 *   `getToken`.
 * - An optional second-level `TokenStore` (on disk, Redis) is consulted on a miss and written after a
 *   request; its failures are logged and never fail a `getToken`.
 */
import { getLogger } from "./logger.js";
import { normalizeScopes, scopeKey } from "./scopes.js";
import type { AbortSignalLike, AccessToken } from "./types.js";

/** Default `maxEntries`. */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** A failed background refresh is retried no sooner than this (milliseconds). */
export const REFRESH_RETRY_DELAY_MS = 30_000;
/** A token this close to expiry (milliseconds) counts as expired: it could expire in flight. */
export const EXPIRY_MARGIN_MS = 30_000;

/** A second-level store, implemented by `@id/cache-persistence` and `@id/cache-redis`. */
export interface TokenStore {
  get(key: string): AccessToken | undefined | Promise<AccessToken | undefined>;
  set(key: string, token: AccessToken): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

export interface TokenCacheOptions {
  /** Most entries kept in memory; the least recently used beyond it are dropped. Default 10,000. */
  maxEntries?: number;
  /** Second-level store consulted on a miss. */
  store?: TokenStore;
}

/** What a request function receives. */
export interface AcquireContext {
  /** Aborted when every caller waiting for this request has aborted. */
  signal: AbortSignal;
}

export type Acquire = (context: AcquireContext) => Promise<AccessToken>;

export interface CacheReadOptions {
  /** A claims challenge: skip the read, always request. */
  claims?: string | undefined;
  /** The caller's signal: rejects this caller at once; the request is aborted when no caller is left. */
  abortSignal?: AbortSignalLike | undefined;
}

// A millisecond timestamp is a boxed number in V8, one more object to read per hit; whole seconds since
// this base (2023-11-14) are a small integer stored inside the token (until 2091).
const SECONDS_BASE = 1.7e12;

/** Seconds since SECONDS_BASE, fractional. */
function secondsOf(ms: number): number {
  return (ms - SECONDS_BASE) / 1000;
}

/**
 * `token`, a token a `TokenCache` returned earlier, if it may be served again as it is: still its key's
 * current token (not replaced, evicted, deleted or cleared) and before its refresh time. Else undefined,
 * and the caller asks `getToken` (which also starts the background refresh of a token that is due).
 */
export let freshToken: (token: AccessToken | undefined) => AccessToken | undefined;

// What the cache does with a token's bookkeeping, which only CachedToken's own code can reach (below).
/** A hit past the refresh time, before expiry: marks the token used; whether to refresh it in the background. */
let refreshDue: (token: CachedToken, now: number) => boolean;
let retryLater: (token: CachedToken) => void;
let kill: (token: CachedToken) => void;
/** Eviction's second chance: whether the token was used since the last pass (clears the mark). */
let takeUsed: (token: CachedToken) => boolean;

/** The token the cache keeps and returns for a key: the acquired token's fields and private bookkeeping. */
class CachedToken implements AccessToken {
  declare readonly token: string;
  declare readonly expiresOnTimestamp: number;
  declare readonly refreshAfterTimestamp: number | undefined;
  declare readonly tokenType: "Bearer" | "pop" | undefined;
  /** Seconds (since SECONDS_BASE) from which a hit refreshes in the background; before the expiry margin. */
  #refreshAt: number;
  /** No background refresh before this (seconds), after a failed one. */
  #retryAt: number | undefined = undefined;
  /** False once evicted, deleted, cleared or replaced: then only the map knows the key's token. */
  #live = true;
  /** Set on every hit; eviction gives a used entry a second chance. */
  #used = false;

  constructor(token: AccessToken) {
    (this as { token: string }).token = token.token;
    (this as { expiresOnTimestamp: number }).expiresOnTimestamp = token.expiresOnTimestamp;
    (this as { refreshAfterTimestamp?: number }).refreshAfterTimestamp = token.refreshAfterTimestamp;
    (this as { tokenType?: string }).tokenType = token.tokenType;
    // Never serve a token inside the expiry margin without a refresh, whatever refresh-after says.
    const latest = token.expiresOnTimestamp - EXPIRY_MARGIN_MS;
    this.#refreshAt = Math.floor(secondsOf(Math.min(token.refreshAfterTimestamp ?? latest, latest))); // never late
  }

  static {
    freshToken = (token) => {
      if (token instanceof CachedToken && token.#live && secondsOf(Date.now()) < token.#refreshAt) {
        token.#used = true;
        return token;
      }
    };
    refreshDue = (token, now) => {
      token.#used = true;
      return token.#retryAt === undefined || secondsOf(now) >= token.#retryAt;
    };
    retryLater = (token) => (token.#retryAt = Math.ceil(secondsOf(Date.now() + REFRESH_RETRY_DELAY_MS))); // never early
    kill = (token) => (token.#live = false);
    takeUsed = (token) => {
      const used = token.#used;
      token.#used = false;
      return used;
    };
  }
}

interface Flight {
  promise: Promise<AccessToken>;
  controller: AbortController;
  /** Callers that can still use the result; the request is aborted when it reaches 0. */
  waiters: number;
}

export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #flights = new Map<string, Flight>();
  #maxEntries = DEFAULT_MAX_ENTRIES;
  #store: TokenStore | undefined;

  constructor(options: TokenCacheOptions = {}) {
    this.configure(options);
  }

  /** Changes the cap or the second-level store. */
  configure(options: TokenCacheOptions): void {
    if (options.maxEntries !== undefined) this.#maxEntries = checkMaxEntries(options.maxEntries);
    if ("store" in options) this.#store = options.store;
    this.#evict();
  }

  /** Number of tokens held in memory. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The token for `key`: the cached one when it is fresh (synchronously), else one from `acquire`
   * (shared by concurrent callers).
   */
  getToken(key: string, acquire: Acquire, options?: CacheReadOptions): AccessToken | Promise<AccessToken> {
    if (options?.claims) return this.#request(key, acquire, options.abortSignal, true);
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (freshToken(entry)) return entry;
      const now = Date.now();
      if (now < entry.expiresOnTimestamp - EXPIRY_MARGIN_MS) {
        if (refreshDue(entry, now) && !this.#flights.has(key)) this.#refreshInBackground(key, entry, acquire);
        return entry;
      }
      this.#remove(key);
    }
    return this.#request(key, acquire, options?.abortSignal, false);
  }

  /** Forgets one key (both levels). */
  delete(key: string): void {
    this.#remove(key);
    this.#toStore("delete", key);
  }

  /** Forgets every token held in memory. */
  clear(): void {
    for (const entry of this.#entries.values()) kill(entry);
    this.#entries.clear();
  }

  /** Stores `token` as the key's entry, the newest for eviction; the entry it replaces is dead. */
  #set(key: string, token: AccessToken): CachedToken {
    const entry = new CachedToken(token);
    this.#remove(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) this.#evict();
    return entry;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    kill(entry);
    this.#entries.delete(key);
  }

  #evict(): void {
    let budget = this.#entries.size * 2 + 1;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries || budget-- <= 0) return;
      this.#entries.delete(key);
      if (takeUsed(entry)) this.#entries.set(key, entry);
      else kill(entry);
    }
  }

  // Out of getToken, which stays small enough for the engine to inline into its callers.
  #refreshInBackground(key: string, entry: CachedToken, acquire: Acquire): void {
    this.#startFlight(key, acquire, false, true).promise.catch((error: unknown) => {
      retryLater(entry); // the valid token is served on meanwhile
      getLogger("core").warning("Background token refresh failed; serving the cached token until it expires.", error);
    });
  }

  #request(key: string, acquire: Acquire, signal: AbortSignalLike | undefined, bypass: boolean): Promise<AccessToken> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const flight = bypass ? this.#startFlight(key, acquire, true, false) : (this.#flights.get(key) ?? this.#startFlight(key, acquire, false, false));
    if (signal === undefined) {
      flight.waiters = Infinity;
      return flight.promise;
    }
    flight.waiters += 1;
    return new Promise<AccessToken>((resolve, reject) => {
      const onAbort = (): void => {
        flight.waiters -= 1;
        if (flight.waiters <= 0) {
          if (this.#flights.get(key) === flight) this.#flights.delete(key);
          flight.controller.abort(abortReason(signal));
        }
        reject(abortReason(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  #startFlight(key: string, acquire: Acquire, bypass: boolean, background: boolean): Flight {
    const controller = new AbortController();
    const flight = { controller, waiters: background ? Infinity : 0 } as Flight;
    if (!bypass) this.#flights.set(key, flight); // before the request starts, which may settle at once
    flight.promise = (async () => {
      try {
        if (!bypass && !background) {
          const stored = await this.#readStore(key);
          if (stored !== undefined) return this.#set(key, stored);
        }
        const token = this.#set(key, await acquire({ signal: controller.signal }));
        this.#toStore("set", key, token);
        return token;
      } finally {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      }
    })();
    return flight;
  }

  async #readStore(key: string): Promise<AccessToken | undefined> {
    const token = await this.#toStore("get", key);
    return token && Date.now() < token.expiresOnTimestamp - EXPIRY_MARGIN_MS ? token : undefined;
  }

  /** Calls the store, if any; a failure (thrown or rejected) is logged, never passed on. */
  #toStore(operation: keyof TokenStore, key: string, token?: AccessToken): Promise<AccessToken | undefined | void> | undefined {
    const store = this.#store; // no store, no work (not even a promise)
    return store && Promise.resolve()
      .then(() => store[operation](key, token as AccessToken))
      .catch((error: unknown) => getLogger("core").warning(`Token store ${operation} failed; using the memory cache alone.`, error));
  }
}

/** Why `signal` aborted: its reason, or an `AbortError` when it has none. */
export function abortReason(signal: AbortSignalLike): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

function checkMaxEntries(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`"maxEntries" must be a positive integer.`);
  }
  return value;
}

const GLOBAL_CACHE = Symbol.for("@id/core.token-cache.v1");

/**
 * The process-wide cache every credential uses by default. Shared through `globalThis`, so two copies of
 * this major version of @id/core in one process still share tokens.
 */
export function getTokenCache(): TokenCache {
  const holder = globalThis as { [GLOBAL_CACHE]?: TokenCache };
  return (holder[GLOBAL_CACHE] ??= new TokenCache());
}

/** Configures the process-wide cache: its cap and its second-level store. */
export function configureTokenCache(options: TokenCacheOptions): void {
  getTokenCache().configure(options);
}

/** The identity parts of a cache key. */
export interface CachePartition {
  /** The credential kind, such as `client-secret` or `managed-identity`. */
  kind: string;
  /** The authority host, or the managed-identity endpoint. */
  authority: string;
  tenantId: string;
  /** Client id, or the managed identity's id. */
  clientId: string;
  /** A hash of the credential's secret material (never the secret). */
  credentialHash?: string;
  /** Anything else that changes which token is issued (a user assertion's hash, …). */
  extra?: string;
}

/**
 * The prefix of the cache keys of one identity. A key is `partition + (enableCae ? "cae|" : "|") + scopeKey(scopes)`;
 * see `cacheKey`.
 */
export function cachePartition(parts: CachePartition): string {
  return `${parts.kind}|${parts.authority}|${parts.tenantId.toLowerCase()}|${parts.clientId}|${parts.credentialHash ?? ""}|${parts.extra ?? ""}|`;
}

// Keys built by `tokenCacheKey`, by partition then scope: a repeated call reuses the same key string, whose
// hash the engine has already computed, instead of concatenating and hashing a new one. Bounded.
const builtKeys = new Map<string, Map<string, string>[]>();
const MAX_BUILT_KEYS = 16_384;
let builtKeyCount = 0;

/**
 * The cache key of a `getToken` call: validates `scopes` (string or array, as `normalizeScopes`) and
 * combines them with the partition and the CAE flag. A call seen before costs two map lookups and no
 * allocation. (A credential that remembers its last token per scope needs it only when `freshToken` says no.)
 */
export function tokenCacheKey(partition: string, scopes: unknown, enableCae: boolean | undefined): string {
  // Per partition: single raw scopes (no CAE, CAE), then validated multi-scope keys (no CAE, CAE). A raw
  // string is looked up only among single scopes, so "a b" can never pass for a validated scope.
  let maps = builtKeys.get(partition);
  if (maps === undefined) {
    maps = [new Map(), new Map(), new Map(), new Map()];
    builtKeys.set(partition, maps);
  }
  const single = typeof scopes === "string";
  const raw = single ? (maps[enableCae ? 1 : 0] as Map<string, string>) : undefined;
  let key = raw?.get(scopes as string);
  if (key === undefined) {
    const validated = scopeKey(normalizeScopes(scopes));
    const keys = raw ?? (maps[enableCae ? 3 : 2] as Map<string, string>);
    key = keys.get(validated);
    if (key === undefined) {
      if (builtKeyCount >= MAX_BUILT_KEYS) {
        builtKeys.clear();
        builtKeyCount = 0;
      }
      key = cacheKey(partition, validated, enableCae);
      keys.set(validated, key);
      builtKeyCount += 1;
    }
  }
  return key;
}

/** The cache key of a partition, an already validated scope key (`scopeKey`) and the CAE flag. */
export function cacheKey(partition: string, scopes: string, enableCae: boolean | undefined): string {
  return (enableCae ? partition + "cae|" : partition + "|") + scopes;
}
