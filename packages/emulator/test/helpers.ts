import { createHash, randomUUID } from "node:crypto";
import { request as httpsRequest } from "node:https";
import { SignJWT, importPKCS8 } from "jose";
import type { Emulator } from "../src/index.js";

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export function decodePayload(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

export interface AssertionOptions {
  alg?: "RS256" | "PS256";
  thumbprint?: "x5t" | "x5t#S256" | "none";
  x5c?: string[];
  aud?: string;
  iss?: string;
  sub?: string;
  exp?: number;
  nbf?: number;
  jti?: string;
  privateKeyPem?: string;
  certificatePem?: string;
}

/** Builds a client assertion the way MSAL does (header thumbprint, iss=sub=client, aud=token endpoint). */
export async function certificateAssertion(emu: Emulator, options: AssertionOptions = {}): Promise<string> {
  const app = emu.defaults.certificateApp;
  const alg = options.alg ?? "PS256";
  const certPem = options.certificatePem ?? app.certificatePem;
  const der = Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  const header: Record<string, unknown> = { alg, typ: "JWT" };
  const kind = options.thumbprint ?? (alg === "PS256" ? "x5t#S256" : "x5t");
  if (kind === "x5t") header.x5t = createHash("sha1").update(der).digest("base64url");
  if (kind === "x5t#S256") header["x5t#S256"] = createHash("sha256").update(der).digest("base64url");
  if (options.x5c) header.x5c = options.x5c;
  const now = Math.floor(Date.now() / 1000);
  const key = await importPKCS8(options.privateKeyPem ?? app.privateKeyPem, alg);
  return new SignJWT({
    aud: options.aud ?? emu.tokenEndpoint(),
    iss: options.iss ?? app.clientId,
    sub: options.sub ?? app.clientId,
    jti: options.jti ?? randomUUID(),
    nbf: options.nbf ?? now,
    exp: options.exp ?? now + 600,
  })
    .setProtectedHeader(header as { alg: string })
    .sign(key);
}

/** GET over HTTPS trusting only `ca` (or pinning nothing when `ca` is a self-signed leaf). */
export function httpsGetJson(url: string, ca: string, headers: Record<string, string> = {}): Promise<JsonResponse & { raw: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h.set(k, v);
        try {
          resolve({ status: res.statusCode ?? 0, headers: h, body: raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>), raw });
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}
