// A minimal Entra v2.0 token endpoint on a real loopback HTTP server (node:http, port 0), for tests that
// run without @id/emulator: checks tenant, client id and secret (or assertion) like Entra, answers with
// Entra's error JSON, issues numbered tokens, logs every request.
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface EntraRequest {
  method: string;
  url: string;
  tenant: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
  status: number;
  time: number;
}

export interface FakeEntra {
  url: string;
  tenantId: string;
  otherTenantId: string;
  clientId: string;
  clientSecret: string;
  validAssertion: string;
  requests: EntraRequest[];
  /** Seconds of issued tokens' lifetime; `refreshIn` adds `refresh_in`. */
  configure(options: { expiresIn?: number; refreshIn?: number | undefined; delayMs?: number }): void;
  /** The next `times` token requests get this answer instead. */
  fault(fault: { status: number; body?: string; headers?: Record<string, string>; hang?: boolean; times?: number }): void;
  close(): Promise<void>;
}

function entraError(status: number, error: string, code: number, text: string) {
  return {
    status,
    body: JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: 0c8e2f1a-0000-0000-0000-000000000001\r\nCorrelation ID: 7d3a1b2c-0000-0000-0000-000000000002\r\nTimestamp: 2026-11-21 22:00:00Z`,
      error_codes: [code],
      timestamp: "2026-11-21 22:00:00Z",
      trace_id: "0c8e2f1a-0000-0000-0000-000000000001",
      correlation_id: "7d3a1b2c-0000-0000-0000-000000000002",
    }),
  };
}

export async function startFakeEntra(): Promise<FakeEntra> {
  const tenantId = "72f988bf-0000-0000-0000-000000000001";
  const otherTenantId = "72f988bf-0000-0000-0000-000000000002";
  const clientId = "11111111-0000-0000-0000-000000000001";
  const clientSecret = "Sx8Q~fake.Secret-Value_0123456789abcdefGHIJ";
  const validAssertion = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ0ZXN0In0.c2ln";
  const requests: EntraRequest[] = [];
  let expiresIn = 3599;
  let refreshIn: number | undefined;
  let delayMs = 0;
  let n = 0;
  const faults: Array<{ status: number; body?: string; headers?: Record<string, string>; hang?: boolean; times: number }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (raw += c));
    req.on("end", () => {
      const url = req.url ?? "";
      const match = /^\/([^/]+)\/oauth2\/v2\.0\/token(\?.*)?$/.exec(url);
      const form = Object.fromEntries(new URLSearchParams(raw));
      const entry: EntraRequest = { method: req.method ?? "", url, tenant: match?.[1] ?? "", headers: req.headers, form, status: 0, time: Date.now() };
      requests.push(entry);
      const send = (status: number, body: string, headers: Record<string, string> = {}) => {
        entry.status = status;
        setTimeout(() => res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(body), delayMs);
      };
      const fault = faults[0];
      if (fault) {
        if (--fault.times <= 0) faults.shift();
        if (fault.hang) return;
        return send(fault.status, fault.body ?? "", fault.headers);
      }
      if (!match || req.method !== "POST") return send(404, JSON.stringify({ error: "not_found" }));
      const tenant = match[1] === "organizations" ? tenantId : match[1];
      let err: { status: number; body: string } | undefined;
      if (tenant !== tenantId && tenant !== otherTenantId) err = entraError(400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
      else if (form["client_id"] !== clientId) err = entraError(400, "unauthorized_client", 700016, "Application not found in the directory.");
      else if (form["grant_type"] !== "client_credentials") err = entraError(400, "unsupported_grant_type", 70003, "Unsupported grant type.");
      else if (form["client_secret"] === undefined && form["client_assertion"] === undefined)
        err = entraError(401, "invalid_client", 7000218, "The request body must contain 'client_assertion' or 'client_secret'.");
      else if (form["client_secret"] !== undefined && form["client_secret"] !== clientSecret)
        err = entraError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.");
      else if (form["client_assertion"] !== undefined && form["client_assertion"] !== validAssertion)
        err = entraError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
      else if (!form["scope"]?.endsWith("/.default")) err = entraError(400, "invalid_scope", 1002012, "The provided value for scope is not valid.");
      if (err) return send(err.status, err.body);
      n += 1;
      send(
        200,
        JSON.stringify({
          token_type: "Bearer",
          expires_in: expiresIn,
          ext_expires_in: expiresIn,
          ...(refreshIn !== undefined ? { refresh_in: refreshIn } : {}),
          access_token: `token-${n}-${tenant}`,
        }),
      );
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tenantId,
    otherTenantId,
    clientId,
    clientSecret,
    validAssertion,
    requests,
    configure(o) {
      if (o.expiresIn !== undefined) expiresIn = o.expiresIn;
      if ("refreshIn" in o) refreshIn = o.refreshIn;
      if (o.delayMs !== undefined) delayMs = o.delayMs;
    },
    fault(f) {
      faults.push({ ...f, times: f.times ?? 1 });
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
