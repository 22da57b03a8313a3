/** Fault injection per route or exact path; each fault applies to the next `times` matching requests. */

export interface FaultOptions {
  /** A route name ("token", "imds", "appService", …) or an exact request path ("/common/discovery/instance"). */
  route: string;
  /** Only requests with this form `grant_type` match (e.g. fail only refresh_token redemptions). */
  grantType?: string;
  /** Answer with this status (with `body`, or an error body shaped like the route's real errors). */
  status?: number;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: string | number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /**
   * Answer with this Entra error instead (status: `status`, else 401 for invalid_client, else 400), e.g.
   * `{ error: "interaction_required", code: 50079, claims: '{"access_token":{…}}' }` for a claims challenge.
   */
  entraError?: { error: string; code: number; description?: string; suberror?: string; claims?: string };
  /** Raw body to send (default content type application/json unless `headers` sets one). */
  body?: string;
  /** Delay before answering, milliseconds (combined with any other fault, or alone before the real answer). */
  latencyMs?: number;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Never answer (the connection stays open until the client gives up or the emulator closes). */
  hang?: boolean;
  /** Send the real answer's headers and half of its body, then close the connection. */
  truncated?: boolean;
  /**
   * Send the real answer's status and headers (chunked, no length) and the start of its body, then never
   * finish it: the connection stays open until the client gives up or the emulator closes.
   */
  endlessBody?: boolean;
  /** How many matching requests the fault applies to; default 1; `Infinity` for all. */
  times?: number;
}

interface ActiveFault extends FaultOptions {
  remaining: number;
}

export class FaultList {
  private readonly faults: ActiveFault[] = [];

  add(options: FaultOptions): void {
    if (options === null || typeof options !== "object" || typeof options.route !== "string" || options.route === "") {
      throw new TypeError('fault: "route" must be a route name or a path');
    }
    const times = options.times ?? 1;
    if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times > 0))) {
      throw new TypeError('fault: "times" must be a positive integer or Infinity');
    }
    if (options.status !== undefined && !(Number.isInteger(options.status) && options.status >= 100 && options.status <= 599)) {
      throw new TypeError('fault: "status" must be an HTTP status code (100-599)');
    }
    if (options.latencyMs !== undefined && !(Number.isFinite(options.latencyMs) && options.latencyMs >= 0)) {
      throw new TypeError('fault: "latencyMs" must be a non-negative number of milliseconds');
    }
    if (options.entraError !== undefined) {
      const e = options.entraError;
      if (e === null || typeof e !== "object" || typeof e.error !== "string" || !Number.isInteger(e.code)) {
        throw new TypeError('fault: "entraError" needs an "error" string and an integer AADSTS "code"');
      }
    }
    this.faults.push({ ...options, remaining: times });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** Takes the first fault matching the route name or path (and grant type, when the fault names one), consuming one use. */
  take(route: string, path: string, grantType: string | undefined): FaultOptions | undefined {
    if (this.faults.length === 0) return undefined;
    const index = this.faults.findIndex(
      (f) => (f.route === route || f.route === path) && (f.grantType === undefined || f.grantType === grantType),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index] as ActiveFault;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}
