/**
 * A `fetch` for Service Fabric's managed-identity endpoint, whose server certificate is self-signed and
 * trusted only through its thumbprint (`IDENTITY_SERVER_THUMBPRINT`). The TLS connection is made first;
 * the leaf certificate's SHA-1 (or SHA-256) digest is compared in constant time with the expected one;
 * only then is the HTTP request — carrying the `secret` header — written to that socket. A mismatch
 * closes the connection before a byte of the request is sent. Redirects are never followed.
 * Node-only (`node:tls`, `node:http`); loaded only by the Service Fabric source.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { request as httpRequest } from "node:http";
import { isIP } from "node:net";
import { Readable } from "node:stream";
import { connect } from "node:tls";
import { AuthenticationError } from "@id/core";
import type { FetchLike } from "@id/entra";
import { who } from "./source-name.js";

function networkError(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

/** Creates the pinned fetch for a thumbprint (hex, 40 digits for SHA-1 or 64 for SHA-256). */
export function createPinnedFetch(thumbprintHex: string): FetchLike {
  const expected = Buffer.from(thumbprintHex, "hex");
  const algorithm = expected.length === 20 ? "sha1" : "sha256";

  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const signal = init.signal ?? undefined;
      if (target.protocol !== "https:") return reject(networkError(new Error(`refusing to send a Service Fabric request over ${target.protocol}`)));
      if (signal?.aborted) return reject(signal.reason);
      const hostname = target.hostname.replace(/^\[(.*)\]$/, "$1");
      const socket = connect({
        host: hostname,
        port: Number(target.port || 443),
        // Chain validation is replaced by the thumbprint check below (the certificate is self-signed).
        rejectUnauthorized: false,
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        ALPNProtocols: ["http/1.1"],
      });
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      };
      const onAbort = (): void => {
        socket.destroy();
        fail(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", (error) => fail(networkError(error)));
      socket.once("secureConnect", () => {
        const raw = socket.getPeerCertificate()?.raw;
        const actual = raw ? createHash(algorithm).update(raw).digest() : Buffer.alloc(0);
        if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
          socket.destroy();
          // An AuthenticationError, which `@id/entra`'s transport passes through at once: a connection that can
          // never be trusted is not retried.
          const description = `The server certificate's ${algorithm.toUpperCase()} thumbprint ${actual.toString("hex") || "(none)"} does not match IDENTITY_SERVER_THUMBPRINT; the request was not sent.`;
          return fail(new AuthenticationError(0, { error: "untrusted_server_certificate", errorDescription: description }, { message: `${who("ServiceFabric")}: ${description} Check the variable.` }));
        }
        const body = typeof init.body === "string" ? init.body : undefined;
        const headers: Record<string, string> = { host: target.host };
        new Headers(init.headers).forEach((value, name) => (headers[name] = value));
        if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
        const req = httpRequest({ method: init.method ?? "GET", path: target.pathname + target.search, headers, createConnection: () => socket });
        req.once("error", (error) => fail(networkError(error)));
        req.once("response", (res) => {
          if (settled) return res.destroy();
          settled = true;
          const status = res.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
          // A body is not allowed with these statuses.
          const noBody = [101, 204, 205, 304].includes(status);
          if (noBody) res.resume();
          if (signal) {
            signal.removeEventListener("abort", onAbort);
            signal.addEventListener("abort", () => res.destroy(signal.reason instanceof Error ? signal.reason : undefined), { once: true });
          }
          resolve(new Response(noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers: responseHeaders }));
        });
        req.end(body);
      });
    });
}
