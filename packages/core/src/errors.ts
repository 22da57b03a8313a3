/**
 * The error taxonomy. A chain decides by class (through `isInstance`, which works across two installed
 * copies of @id/core), never by comparing strings:
 * - `CredentialUnavailableError`: this credential cannot work here; a chain tries the next one.
 * - `AuthenticationRequiredError`: interaction is needed; a chain tries the next one.
 * - `AuthenticationError`: the service refused; a chain stops.
 * - `AggregateAuthenticationError`: every attempt of a chain, one line each.
 * Messages never hold a secret, an assertion or a token.
 */
import type { GetTokenOptions } from "./types.js";

const MARK = (name: string): symbol => Symbol.for(`@id/core.${name}`);

function hasMark(value: unknown, mark: symbol): boolean {
  return (value as Record<symbol, unknown> | null | undefined)?.[mark] === true;
}

/** Marks an error; the property is non-enumerable (and read-only), as `defineProperty` makes it by default. */
function defineMark(target: object, mark: symbol): void {
  Object.defineProperty(target, mark, { value: true });
}

const unavailableMark = /* @__PURE__ */ MARK("CredentialUnavailableError");

/** This credential cannot be used in this environment. A chain moves on to its next credential. */
export class CredentialUnavailableError extends Error {
  /** Stable code to switch on. */
  readonly code = "credential_unavailable" as const;
  override readonly name = "CredentialUnavailableError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    defineMark(this, unavailableMark);
  }

  static isInstance(value: unknown): value is CredentialUnavailableError {
    return hasMark(value, unavailableMark);
  }
}

/** The parsed body of an Entra (or managed identity) error response. */
export interface ErrorResponse {
  /** The OAuth error code, such as `invalid_client`. */
  error: string;
  /** The human-readable description, starting with the AADSTS code for Entra. */
  errorDescription: string;
  /** Entra's numeric AADSTS codes. */
  errorCodes?: number[];
  correlationId?: string;
  traceId?: string;
  /** Entra's `suberror` (with `interaction_required` / `invalid_grant`), such as `consent_required`. */
  suberror?: string;
  /** A claims challenge (JSON) to satisfy, sent with `interaction_required` by Conditional Access. */
  claims?: string;
}

const authenticationMark = /* @__PURE__ */ MARK("AuthenticationError");

/** The identity service refused the request, or answered with something that is not a token. A chain stops. */
export class AuthenticationError extends Error {
  readonly code = "authentication_failed" as const;
  override readonly name = "AuthenticationError";
  /** The HTTP status, or 0 when there was no HTTP response (a process, a malformed body). */
  declare readonly statusCode: number;
  /** The OAuth error code (`invalid_client`, …). */
  declare readonly error: string;
  declare readonly errorDescription: string;
  declare readonly errorCodes: readonly number[];
  declare readonly correlationId: string | undefined;
  declare readonly traceId: string | undefined;
  /** Entra's `suberror`, when sent. */
  declare readonly suberror: string | undefined;
  /** The claims challenge to pass as `GetTokenOptions.claims`, when sent. */
  declare readonly claims: string | undefined;
  /** The same fields in the shape `@azure/identity` exposes. */
  declare readonly errorResponse: ErrorResponse;
  /** The raw response body (non-enumerable, so logging the error never dumps it). */
  declare readonly rawBody: string | undefined;

  constructor(statusCode: number, response: ErrorResponse, options?: { cause?: unknown; rawBody?: string; message?: string }) {
    super(options?.message ?? `${response.error} (status ${statusCode})${response.errorDescription ? `: ${firstLine(response.errorDescription)}` : ""}`, options);
    const errorCodes = response.errorCodes ?? [];
    Object.assign(this, response, { statusCode, errorCodes, errorResponse: { ...response, errorCodes } });
    Object.defineProperty(this, "rawBody", { value: options?.rawBody }); // non-enumerable
    defineMark(this, authenticationMark);
  }

  static isInstance(value: unknown): value is AuthenticationError {
    return hasMark(value, authenticationMark);
  }
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] as string;
}

const aggregateMark = /* @__PURE__ */ MARK("AggregateAuthenticationError");

/** Every credential of a chain failed; `errors` holds each attempt's error, in order. */
export class AggregateAuthenticationError extends Error {
  readonly code = "all_credentials_failed" as const;
  override readonly name = "AggregateAuthenticationError";
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[], message = "ChainedTokenCredential authentication failed.") {
    super([message, ...errors.map(describeAttempt)].join("\n"));
    this.errors = [...errors];
    defineMark(this, aggregateMark);
  }

  static isInstance(value: unknown): value is AggregateAuthenticationError {
    return hasMark(value, aggregateMark);
  }
}

function describeAttempt(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${firstLine(error.message)}`;
  return `Error: ${String(error)}`;
}

const requiredMark = /* @__PURE__ */ MARK("AuthenticationRequiredError");

/** A token cannot be obtained without user interaction. A chain moves on. */
export class AuthenticationRequiredError extends Error {
  readonly code = "authentication_required" as const;
  override readonly name = "AuthenticationRequiredError";
  readonly scopes: readonly string[];
  readonly getTokenOptions: GetTokenOptions | undefined;

  constructor(options: { scopes: readonly string[]; getTokenOptions?: GetTokenOptions; message?: string; cause?: unknown }) {
    super(options.message ?? "Interactive authentication is required to get a token.", { cause: options.cause });
    this.scopes = [...options.scopes];
    this.getTokenOptions = options.getTokenOptions;
    defineMark(this, requiredMark);
  }

  static isInstance(value: unknown): value is AuthenticationRequiredError {
    return hasMark(value, requiredMark);
  }
}

/** A `TypeError` with a stable code, thrown for programmer mistakes (bad arguments). */
export class InvalidArgumentError extends TypeError {
  readonly code: string; // (its name is TypeError's, inherited)

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Whether a chain should move on after this error. */
export function isChainContinuable(error: unknown): boolean {
  return CredentialUnavailableError.isInstance(error) || AuthenticationRequiredError.isInstance(error);
}
