// Azure Arc (HIMDS) over real loopback HTTP: the server answers the first request with a 401 whose
// WWW-Authenticate names a key file it wrote in a temporary "agent token directory", and issues the
// token only for `Authorization: Basic <file content>`.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import type { ManagedIdentityCredentialOptions } from "../src/index.js";
import { imdsToken, json, startServer, useEnv } from "./servers.js";
import type { Handler, TestServer } from "./servers.js";
import { sharedSourceSuite } from "./source-suite.js";

const SCOPE = "https://vault.azure.net/.default";
let server: TestServer;
let keyDirectory: string;
const keys = new Set<string>();

function challenge(realm: string | undefined): Handler {
  return (_req, res) => {
    res.writeHead(401, { "content-type": "application/json", ...(realm === undefined ? {} : { "www-authenticate": `Basic realm=${realm}` }) });
    res.end(JSON.stringify({ error: "unauthorized_client", error_description: "key required" }));
  };
}

/** The agent: challenge, then the token for a valid key (echoing a user-assigned selector). */
const ok =
  (accessToken: string, extra: Record<string, unknown> = {}): Handler =>
  (req, res, body) => {
    const presented = /^Basic (.+)$/s.exec(req.headers["authorization"] ?? "")?.[1];
    if (presented === undefined || !keys.has(presented)) {
      const secret = randomBytes(32).toString("hex");
      const file = join(keyDirectory, `${randomUUID()}.key`);
      writeFileSync(file, secret, { mode: 0o600 });
      keys.add(secret);
      return challenge(file)(req, res, body);
    }
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    const echo: Record<string, string> = {};
    for (const name of ["client_id", "object_id", "msi_res_id"]) {
      const value = query.get(name);
      if (value !== null) echo[name] = value;
    }
    imdsToken(accessToken, { ...echo, ...extra })(req, res, body);
  };

const create = (options: ManagedIdentityCredentialOptions = {}) => new ManagedIdentityCredential({ arcKeyDirectory: keyDirectory, ...options });

beforeEach(async () => {
  keyDirectory = mkdtempSync(join(tmpdir(), "id-arc-tokens-"));
  server = await startServer({}, ok("arc-token"));
  useEnv({ IDENTITY_ENDPOINT: `${server.url}/metadata/identity/oauth2/token`, IMDS_ENDPOINT: server.url });
});
afterEach(async () => {
  await server.close();
});

describe("Azure Arc: the challenge", () => {
  it("GET with Metadata: true and api-version 2020-06-01; then the same request with Authorization: Basic <key file content>", async () => {
    const credential = create();
    expect(credential.source).toBe("AzureArc");
    expect((await credential.getToken(SCOPE)).token).toBe("arc-token");
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    for (const request of [first, second]) {
      expect(request?.method).toBe("GET");
      expect(request?.path).toBe("/metadata/identity/oauth2/token");
      expect(Object.fromEntries(request!.query)).toEqual({ "api-version": "2020-06-01", resource: "https://vault.azure.net" });
      expect(request?.headers["metadata"]).toBe("true");
    }
    expect(first?.headers["authorization"]).toBeUndefined();
    const key = /^Basic (.+)$/.exec(second?.headers["authorization"] ?? "")?.[1];
    expect(key !== undefined && keys.has(key)).toBe(true);
  });

  it("localhost in IDENTITY_ENDPOINT is rewritten to 127.0.0.1", async () => {
    useEnv({ IDENTITY_ENDPOINT: `http://localhost:${server.port}/metadata/identity/oauth2/token`, IMDS_ENDPOINT: `http://localhost:${server.port}` });
    await create().getToken(SCOPE);
    expect(server.requests[0]?.headers.host).toBe(`127.0.0.1:${server.port}`);
  });

  it.each([
    ["clientId", "client_id"],
    ["objectId", "object_id"],
    ["resourceId", "msi_res_id"],
  ] as const)("user-assigned by %s sends %s and requires the agent to echo it", async (option, parameter) => {
    expect((await create({ [option]: `${option}-1` }).getToken(SCOPE)).token).toBe("arc-token");
    expect(server.requests[1]!.query.get(parameter)).toBe(`${option}-1`);
  });

  it("an agent that ignores the user-assigned selector (no echo) → CredentialUnavailableError", async () => {
    const legacy: Handler = (req, res, body) => {
      const presented = /^Basic (.+)$/s.exec(req.headers["authorization"] ?? "")?.[1];
      if (presented === undefined) return ok("x")(req, res, body);
      imdsToken("system-token")(req, res, body);
    };
    server.script(legacy);
    const error = await create({ clientId: "user-1" }).getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/did not confirm the user-assigned identity/);
  });

  async function refused(handler: Handler): Promise<Error> {
    server.script(handler, ok("must-not-be-issued"));
    const error = await create().getToken(SCOPE).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ error: "invalid_arc_challenge", statusCode: 401 });
    // No second request: the key was never sent anywhere.
    expect(server.requests).toHaveLength(1);
    return error as Error;
  }

  it("refuses a key file outside the agent's directory", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "id-arc-elsewhere-"));
    writeFileSync(join(elsewhere, "a.key"), "secret");
    expect((await refused(challenge(join(elsewhere, "a.key")))).message).toMatch(/not directly inside the agent's token directory/);
  });

  it("refuses a path that climbs out with ..", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "id-arc-up-"));
    writeFileSync(join(elsewhere, "b.key"), "secret");
    expect((await refused(challenge(`${keyDirectory}/../${elsewhere.split("/").pop()}/b.key`))).message).toMatch(/not directly inside/);
  });

  it("refuses a .key symbolic link in the directory that points outside it", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "id-arc-link-"));
    writeFileSync(join(elsewhere, "target.key"), "secret");
    symlinkSync(join(elsewhere, "target.key"), join(keyDirectory, "link.key"));
    expect((await refused(challenge(join(keyDirectory, "link.key")))).message).toMatch(/links outside/);
  });

  it("refuses a file without the .key extension", async () => {
    writeFileSync(join(keyDirectory, "secret.txt"), "secret");
    expect((await refused(challenge(join(keyDirectory, "secret.txt")))).message).toMatch(/not a \.key file/);
  });

  it("refuses a key file over 4,096 bytes", async () => {
    writeFileSync(join(keyDirectory, "big.key"), "k".repeat(4097));
    expect((await refused(challenge(join(keyDirectory, "big.key")))).message).toMatch(/4097 bytes; at most 4096/);
  });

  it("refuses a 401 without WWW-Authenticate", async () => {
    expect((await refused(challenge(undefined))).message).toMatch(/without a WWW-Authenticate header/);
  });

  it("refuses a WWW-Authenticate that is not Basic realm=…", async () => {
    const bearer: Handler = (_req, res) => {
      res.writeHead(401, { "www-authenticate": 'Bearer authorization_uri="x"' }).end();
    };
    expect((await refused(bearer)).message).toMatch(/not of the form "Basic realm=<key file path>"/);
  });

  it("refuses a relative path and a missing file", async () => {
    expect((await refused(challenge("tokens/x.key"))).message).toMatch(/not absolute/);
    server.requests.length = 0;
    expect((await refused(challenge(join(keyDirectory, "missing.key")))).message).toMatch(/cannot be read \(ENOENT\)/);
  });

  it("a first answer that is not a 401 challenge is refused", async () => {
    server.script(imdsToken("no-challenge"));
    const error = await create().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toMatchObject({ error: "invalid_arc_challenge" });
  });

  it("400 'Identity not found' after the challenge → CredentialUnavailableError", async () => {
    server.script(ok("x"), json(400, { error: "invalid_request", error_description: "Identity not found" }));
    const error = await create().getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
  });
});

sharedSourceSuite("Azure Arc", () => ({
  server,
  create,
  ok,
  requestsPerToken: 2,
  errorBody: (_status, message) => ({ error: "server_error", error_description: message }),
}));
