/**
 * The token shapes every credential speaks. Structurally identical to `@azure/core-auth` 1.x, so an
 * @id credential can be passed to any Azure SDK client without @id depending on `@azure/core-auth`.
 */

/** An access token and when it stops being valid. */
export interface AccessToken {
  /** The access token itself. Never log it. */
  token: string;
  /** When the token expires, in milliseconds since the Unix epoch. */
  expiresOnTimestamp: number;
  /** When the token should be refreshed, in milliseconds since the Unix epoch. */
  refreshAfterTimestamp?: number;
  /** The token type, `"Bearer"` or `"pop"`. */
  tokenType?: "Bearer" | "pop";
}

/** The subset of the Web `AbortSignal` that credentials use. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: (this: AbortSignalLike, ev: unknown) => unknown, options?: unknown): void;
  removeEventListener(type: "abort", listener: (this: AbortSignalLike, ev: unknown) => unknown, options?: unknown): void;
}

/** The tracing context shape of `@azure/core-tracing` (accepted and passed through; @id does not trace). */
export interface TracingContext {
  setValue(key: symbol, value: unknown): TracingContext;
  getValue(key: symbol): unknown;
  deleteValue(key: symbol): TracingContext;
}

/** Options of one `getToken` call. */
export interface GetTokenOptions {
  /** Aborts the request; the promise rejects with the signal's reason. */
  abortSignal?: AbortSignalLike;
  /** Per-request options. */
  requestOptions?: {
    /** Milliseconds before the HTTP request is abandoned. */
    timeout?: number;
  };
  /** Tracing options (accepted for compatibility; @id does not trace). */
  tracingOptions?: {
    tracingContext?: TracingContext;
  };
  /** A claims challenge (JSON) from a resource; always bypasses the cache. */
  claims?: string;
  /** Request a token that supports Continuous Access Evaluation (adds the `cp1` client capability). */
  enableCae?: boolean;
  /** The tenant to request the token from, subject to the credential's allowed tenants. */
  tenantId?: string;
  /** Proof-of-possession options (accepted for compatibility; not supported). */
  proofOfPossessionOptions?: {
    nonce: string;
    resourceRequestMethod: "DELETE" | "GET" | "HEAD" | "OPTIONS" | "PATCH" | "POST" | "PUT" | "TRACE";
    resourceRequestUrl: string;
  };
}

/** Anything that can produce an access token: every @id credential, and every `@azure/identity` one. */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null>;
}
