/** node:http plumbing shared by every listener: body reading with a limit, replies, fault replies, listen/close. */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { entraError } from "./entra-error.js";
import type { FaultOptions } from "./faults.js";
import { managedIdentityErrorBody } from "./managed-identity.js";
import { pipelinesErrorBody } from "./pipelines.js";
import { jsonReply, type Reply } from "./reply.js";

/** Lower-cased header names → values (repeated headers joined with ", "), from Node's rawHeaders pairs. */
export function headerRecord(rawHeaders: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function notFound(path: string): Reply {
  return entraError({
    error: "invalid_request",
    code: 900561,
    description: `The emulator does not serve '${path.slice(0, 200)}'. See the README for the endpoint list.`,
    status: 404,
  });
}

const MI_ROUTES = new Set(["imds", "appService", "arc", "cloudShell", "serviceFabric", "azureML"]);

export function faultReply(route: string, fault: FaultOptions, correlationId: string | undefined): Reply {
  const status = fault.status ?? 200;
  let reply: Reply;
  if (fault.entraError !== undefined) {
    const e = fault.entraError;
    const input: Parameters<typeof entraError>[0] = {
      error: e.error,
      code: e.code,
      description: e.description ?? `Injected error ${e.error}.`,
      correlationId,
    };
    if (fault.status !== undefined) input.status = fault.status;
    if (e.suberror !== undefined) input.suberror = e.suberror;
    if (e.claims !== undefined) input.claims = e.claims;
    reply = entraError(input);
  } else if (fault.body !== undefined) {
    reply = { status, headers: { "content-type": "application/json; charset=utf-8" }, body: fault.body };
  } else if (MI_ROUTES.has(route)) {
    reply = jsonReply(status, managedIdentityErrorBody(route, status, `Injected fault: HTTP ${status}`));
  } else if (route === "pipelines") {
    reply = jsonReply(status, pipelinesErrorBody(status));
  } else {
    const [error, code] =
      status === 429 ? ["temporarily_unavailable", 50196] : status >= 500 ? ["temporarily_unavailable", 90033] : status === 401 ? ["invalid_client", 7000215] : ["invalid_request", 9002313];
    reply = entraError({ error: error as string, code: code as number, description: `Injected fault: HTTP ${status}.`, status, correlationId });
  }
  applyFaultHeaders(reply, fault);
  return reply;
}

export function applyFaultHeaders(reply: Reply, fault: FaultOptions): void {
  if (fault.retryAfter !== undefined) reply.headers["retry-after"] = String(fault.retryAfter);
  for (const [k, v] of Object.entries(fault.headers ?? {})) reply.headers[k.toLowerCase()] = v;
}

export function send(res: ServerResponse, reply: Reply, close: boolean): void {
  const body = Buffer.from(reply.body);
  const headers: Record<string, string> = { ...reply.headers, "content-length": String(body.length) };
  if (close) headers.connection = "close";
  res.writeHead(reply.status, headers);
  res.end(body);
}

export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve({ body: Buffer.alloc(0), tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on("error", () => resolve({ body: Buffer.alloc(0), tooLarge }));
    req.on("aborted", () => resolve({ body: Buffer.alloc(0), tooLarge }));
  });
}

// Latency faults wait on the real timer even when a test installs fake timers after importing the emulator
// (fake timers would otherwise freeze the server). Token times follow Date.now(), faked or not, so they stay
// consistent with a client under fake timers.
const realSetTimeout = globalThis.setTimeout;

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
