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
 *   an LRU approximation whose hit path only sets a flag. A caller that asks for the same key again and
 *   again passes a `CacheSlot` instead of the key: the slot remembers where the key's token lives, so a hit
 *   reads one object instead of hashing into a map of up to `maxEntries` keys (flat from 1 to 10,000 keys).
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

/**
 * A caller's handle on one key, kept by the caller (one per scope it serves) and passed to `getToken` in
 * place of the key. The cache links it to the key's entry; an entry that is evicted, deleted or expired is
 * marked dead, and the next call finds the key's entry again. Any object with a `key` can be a slot.
 */
export interface CacheSlot {
  readonly key: string;
  /** Managed by the cache: the entry this key's token was last found in. */
  entry?: unknown;
}

interface Entry {
  token: AccessToken;
  /** False once the entry has left the map: a slot that still points here looks the key up again. */
  live: boolean;
  refreshAfter: number;
  /** Set on every hit; eviction gives a used entry a second chance. */
  used: boolean;
  /** No background refresh before this time (after a failed one). */
  retryAt: number;
}

interface Flight {
  promise: Promise<AccessToken>;
  controller: AbortController;
  /** Callers that can still use the result; the request is aborted when it reaches 0. */
  waiters: number;
}

export class TokenCache {
  readonly #entries = new Map<string, Entry>();
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
  getToken(keyOrSlot: string | CacheSlot, acquire: Acquire, options?: CacheReadOptions): AccessToken | Promise<AccessToken> {
    const slot = typeof keyOrSlot === "string" ? undefined : keyOrSlot;
    const key = slot === undefined ? (keyOrSlot as string) : slot.key;
    if (options?.claims) return this.#request(key, acquire, options.abortSignal, true);
    let entry = slot?.entry as Entry | undefined;
    if (entry === undefined || !entry.live) {
      entry = this.#entries.get(key);
      if (slot !== undefined) slot.entry = entry;
    }
    if (entry !== undefined) {
      const now = Date.now();
      if (now < entry.refreshAfter) {
        entry.used = true;
        return entry.token;
      }
      if (now < entry.token.expiresOnTimestamp - EXPIRY_MARGIN_MS) {
        entry.used = true;
        if (now >= entry.retryAt && !this.#flights.has(key)) this.#refreshInBackground(key, entry, acquire);
        return entry.token;
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
    for (const entry of this.#entries.values()) entry.live = false;
    this.#entries.clear();
  }

  #set(key: string, token: AccessToken): void {
    // Never serve a token inside the expiry margin without a refresh, whatever refresh-after says.
    const latest = token.expiresOnTimestamp - EXPIRY_MARGIN_MS;
    const refreshAfter = Math.min(token.refreshAfterTimestamp ?? latest, latest);
    // A key's entry keeps its identity across refreshes, so the slots linked to it stay linked; it is
    // (re-)inserted last, the newest entry for eviction.
    // (A new entry is one literal with every field, so its fields live inside the object: a hit reads one
    // object, which keeps 10,000 cached keys fast.)
    let entry = this.#entries.get(key);
    if (entry) Object.assign(entry, { token, refreshAfter, used: false, retryAt: 0 });
    else entry = { token, live: true, refreshAfter, used: false, retryAt: 0 };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) this.#evict();
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    entry.live = false;
    this.#entries.delete(key);
  }

  #evict(): void {
    let budget = this.#entries.size * 2 + 1;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries || budget-- <= 0) return;
      this.#entries.delete(key);
      if (entry.used) {
        entry.used = false;
        this.#entries.set(key, entry);
      } else {
        entry.live = false;
      }
    }
  }

  // Out of getToken, which stays small enough for the engine to inline into its callers.
  #refreshInBackground(key: string, entry: Entry, acquire: Acquire): void {
    this.#startFlight(key, acquire, false, true).promise.catch((error: unknown) => {
      entry.retryAt = Date.now() + REFRESH_RETRY_DELAY_MS; // the valid token is served on meanwhile
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
          if (stored !== undefined) {
            this.#set(key, stored);
            return stored;
          }
        }
        const token = await acquire({ signal: controller.signal });
        this.#set(key, token);
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
 * allocation. (A credential that keeps a `CacheSlot` per scope needs neither.)
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
