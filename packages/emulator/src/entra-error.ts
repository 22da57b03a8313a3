/**
 * Entra's JSON error shape (protocols.md §1.4): `error`, `error_description` starting with `AADSTS<code>:` and
 * ending with trace id, correlation id and timestamp lines, `error_codes`, `timestamp`, `trace_id`,
 * `correlation_id`, `error_uri`, and optionally `suberror` / `claims`.
 */
import { randomUUID } from "node:crypto";
import { jsonReply, type Reply } from "./reply.js";

export interface EntraErrorInput {
  /** OAuth error code (`invalid_client`, `invalid_grant`, …). */
  error: string;
  /** AADSTS number. */
  code: number;
  /** Text after "AADSTS<code>: ". */
  description: string;
  /** HTTP status; 401 for invalid_client, 400 otherwise unless given. */
  status?: number;
  /** Correlation id to echo (the request's `client-request-id`); a new GUID when absent. */
  correlationId?: string | undefined;
  suberror?: string;
  claims?: string;
  /** Extra codes after `code` in `error_codes`. */
  extraCodes?: number[];
  headers?: Record<string, string>;
}

/** "2024-05-01 12:34:56Z" */
export function entraTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

export function entraErrorBody(input: EntraErrorInput): Record<string, unknown> {
  const traceId = randomUUID();
  const correlationId = input.correlationId ?? randomUUID();
  const timestamp = entraTimestamp();
  const body: Record<string, unknown> = {
    error: input.error,
    error_description: `AADSTS${input.code}: ${input.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [input.code, ...(input.extraCodes ?? [])],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${input.code}`,
  };
  if (input.suberror !== undefined) body.suberror = input.suberror;
  if (input.claims !== undefined) body.claims = input.claims;
  return body;
}

export function entraError(input: EntraErrorInput): Reply {
  const status = input.status ?? (input.error === "invalid_client" ? 401 : 400);
  return jsonReply(status, entraErrorBody(input), input.headers);
}

/** Thrown inside Entra handlers; the dispatcher turns it into the Entra-shaped reply. */
export class EntraErrorSignal extends Error {
  constructor(readonly input: Omit<EntraErrorInput, "correlationId">) {
    super(`AADSTS${input.code}`);
  }
}

export function fail(error: string, code: number, description: string, extra: Partial<EntraErrorInput> = {}): never {
  throw new EntraErrorSignal({ error, code, description, ...extra });
}
