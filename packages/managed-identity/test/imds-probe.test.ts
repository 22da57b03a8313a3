// The IMDS probe over real loopback HTTP: connection-level, short timeout, remembered per endpoint.
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { CredentialUnavailableError } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential, probeImds } from "../src/index.js";
import { imdsProbeState } from "../src/imds-probe.js";
import { hang, imdsToken, json, startServer, useEnv } from "./servers.js";
import type { TestServer } from "./servers.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer({}, json(400, { error: "bad_request_102", error_description: "Required metadata header not specified" }));
});
afterEach(async () => {
  await server.close();
});

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("probeImds", () => {
  it("any HTTP answer means available: one GET without query and without the Metadata header", async () => {
    const endpoint = `${server.url}/metadata/identity/oauth2/token`;
    expect(await probeImds({ endpoint })).toBe(true);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.url).toBe("/metadata/identity/oauth2/token");
    expect(server.requests[0]?.headers["metadata"]).toBeUndefined();
    // Remembered for the process.
    expect(await probeImds({ endpoint })).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("concurrent probes share one request", async () => {
    const endpoint = `${server.url}/concurrent/metadata/identity/oauth2/token`;
    const results = await Promise.all(Array.from({ length: 50 }, () => probeImds({ endpoint })));
    expect(results.every(Boolean)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("a refused connection means unavailable, decided at once and remembered", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/metadata/identity/oauth2/token`;
    const started = Date.now();
    expect(await probeImds({ endpoint })).toBe(false);
    expect(Date.now() - started).toBeLessThan(900);
    expect(await probeImds({ endpoint })).toBe(false);
  });

  it("no answer within the timeout means unavailable", async () => {
    server.script(hang);
    const started = Date.now();
    expect(await probeImds({ endpoint: `${server.url}/hang/metadata/identity/oauth2/token`, timeoutInMs: 150 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.requests).toHaveLength(1);
  });

  it("Docker Desktop's 403 'unreachable' means unavailable", async () => {
    server.script(json(403, "connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connect: host is unreachable."));
    expect(await probeImds({ endpoint: `${server.url}/docker/metadata/identity/oauth2/token` })).toBe(false);
  });
});

describe("the credential and the probe", () => {
  it("is skipped when AZURE_POD_IDENTITY_AUTHORITY_HOST names IMDS (the source is known)", async () => {
    server.script(imdsToken("no-probe"));
    useEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: server.url });
    expect((await new ManagedIdentityCredential({ probeImds: true }).getToken("https://probe.example/.default")).token).toBe("no-probe");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.query.get("api-version")).toBe("2018-02-01");
  });

  it("is skipped for any source but IMDS", async () => {
    server.script(imdsToken("app-service"));
    useEnv({ IDENTITY_ENDPOINT: `${server.url}/msi/token`, IDENTITY_HEADER: "h" });
    await new ManagedIdentityCredential({ probeImds: true }).getToken("https://probe-app.example/.default");
    expect(server.requests).toHaveLength(1);
  });

  it("a probe that failed makes getToken unavailable at once", async () => {
    // 169.254.169.254 is never contacted: the process-wide probe memo entry of the default address is
    // seeded with a real probe of a closed loopback port, so the credential consults a failed probe.
    useEnv();
    const credential = new ManagedIdentityCredential({ probeImds: true, imdsProbeTimeoutInMs: 100 });
    expect(credential.source).toBe("Imds");
    imdsProbeState().probes.set("http://169.254.169.254/metadata/identity/oauth2/token", probeImds({ endpoint: `http://127.0.0.1:${await closedPort()}/x` }));
    const started = Date.now();
    const error = await credential.getToken("https://no-imds.example/.default").catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/did not answer a probe within 100 ms/);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
