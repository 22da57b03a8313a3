// Source detection from the environment (incumbent order), constructor validation, and logging.
import { setLogLevel, setLogSink } from "@id/core";
import type { LogLevel } from "@id/core";
import { afterEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { ENVIRONMENT_VARIABLES, imdsToken, startServer, useEnv } from "./servers.js";

const WI = { AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token", AZURE_TENANT_ID: "tenant", AZURE_CLIENT_ID: "client" };
const SF = { IDENTITY_ENDPOINT: "https://127.0.0.1:2377/metadata/identity/oauth2/token", IDENTITY_HEADER: "h", IDENTITY_SERVER_THUMBPRINT: "a".repeat(40) };
const APP = { IDENTITY_ENDPOINT: "http://127.0.0.1:41564/msi/token", IDENTITY_HEADER: "h" };
const ML = { MSI_ENDPOINT: "http://127.0.0.1:46809/MSI/token", MSI_SECRET: "s" };
const SHELL = { MSI_ENDPOINT: "http://127.0.0.1:50342/oauth2/token" };
const ARC = { IDENTITY_ENDPOINT: "http://127.0.0.1:40342/metadata/identity/oauth2/token", IMDS_ENDPOINT: "http://127.0.0.1:40342" };

describe("detection order", () => {
  it("the tests clear every variable the source reads (else the host's environment could leak into a test)", async () => {
    const { readFile, readdir } = await import("node:fs/promises");
    const dir = new URL("../src/", import.meta.url);
    const read = new Set<string>();
    for (const file of (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      for (const match of (await readFile(new URL(file, dir), "utf8")).matchAll(/\b(?:readEnv|env)\("([A-Za-z_]+)"\)/g)) read.add(match[1]!);
    }
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !ENVIRONMENT_VARIABLES.includes(name) && name !== "ProgramFiles" && name !== "ProgramData")).toEqual([]);
  });

  it.each([
    ["TokenExchange", { ...WI, ...SF, ...ML }],
    ["ServiceFabric", { ...SF, ...ML }],
    ["AppService", { ...APP, ...ML, IMDS_ENDPOINT: "http://127.0.0.1:1" }],
    ["AzureML", { ...ML }],
    ["CloudShell", { ...SHELL }],
    ["AzureArc", { ...ARC }],
    ["Imds", { AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://127.0.0.1:1" }],
    ["Imds", {}],
  ])("%s", (source, env) => {
    useEnv(env);
    expect(new ManagedIdentityCredential().source).toBe(source);
  });

  it("the environment is read by the constructor only", async () => {
    const first = await startServer({}, imdsToken("from-first"));
    const second = await startServer({}, imdsToken("from-second"));
    try {
      useEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: first.url });
      const credential = new ManagedIdentityCredential();
      useEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: second.url });
      expect((await credential.getToken("https://env-once.example/.default")).token).toBe("from-first");
      expect(second.requests).toHaveLength(0);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe("environment URLs are validated at construction", () => {
  it.each([
    ["IDENTITY_ENDPOINT", { IDENTITY_ENDPOINT: "not a url", IDENTITY_HEADER: "h" }, /must be an absolute http or https URL without user information(, query)? or fragment/],
    ["MSI_ENDPOINT", { MSI_ENDPOINT: "ftp://127.0.0.1/token" }, /must be an absolute http or https URL without user information(, query)? or fragment/],
    ["AZURE_POD_IDENTITY_AUTHORITY_HOST", { AZURE_POD_IDENTITY_AUTHORITY_HOST: "127.0.0.1:8080" }, /must be an absolute http or https URL without user information(, query)? or fragment/],
    ["IDENTITY_ENDPOINT", { IDENTITY_ENDPOINT: "http://user:pass@127.0.0.1/t", IMDS_ENDPOINT: "http://127.0.0.1" }, /must be an absolute http or https URL without user information(, query)? or fragment/],
    ["IMDS_ENDPOINT", { IDENTITY_ENDPOINT: "http://127.0.0.1/t", IMDS_ENDPOINT: "::" }, /must be an absolute http or https URL without user information(, query)? or fragment/],
    ["IDENTITY_ENDPOINT", { IDENTITY_ENDPOINT: "http://127.0.0.1/t#f", IDENTITY_HEADER: "h" }, /URL without user information or fragment/],
    ["AZURE_POD_IDENTITY_AUTHORITY_HOST", { AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://127.0.0.1:1/?q=1" }, /URL without user information, query or fragment/],
  ])("%s", (variable, env, reason) => {
    useEnv(env);
    let error: unknown;
    try {
      new ManagedIdentityCredential();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: "invalid_environment" });
    expect((error as Error).message).toContain(`environment variable ${variable} is malformed`);
    expect((error as Error).message).toMatch(reason);
  });

  it("a malformed AZURE_TENANT_ID for the token exchange", () => {
    useEnv({ ...WI, AZURE_TENANT_ID: "bad tenant!" });
    expect(() => new ManagedIdentityCredential()).toThrow(/AZURE_TENANT_ID is malformed/);
  });
});

describe("constructor arguments", () => {
  it("more than one id is a TypeError naming them", () => {
    useEnv();
    expect(() => new ManagedIdentityCredential({ clientId: "a", resourceId: "b" } as never)).toThrow(TypeError);
    expect(() => new ManagedIdentityCredential({ clientId: "a", resourceId: "b" } as never)).toThrow(/only one of "clientId", "resourceId" or "objectId".*got "clientId" and "resourceId"/);
    expect(() => new ManagedIdentityCredential({ objectId: "a", resourceId: "b" } as never)).toThrow(/got "resourceId" and "objectId"/);
    expect(() => new ManagedIdentityCredential("a", { objectId: "b" })).toThrow(/got "clientId" and "objectId"/);
    expect(() => new ManagedIdentityCredential("a", { clientId: "c" })).toThrow(/given twice/);
  });

  it("ids must be non-empty strings without spaces", () => {
    useEnv();
    expect(() => new ManagedIdentityCredential("")).toThrow(/"clientId" must be a non-empty string/);
    expect(() => new ManagedIdentityCredential({ resourceId: "a b" })).toThrow(/"options.resourceId" must be/);
    expect(() => new ManagedIdentityCredential({ objectId: 5 } as never)).toThrow(/got number/);
  });

  it("options are checked", () => {
    useEnv();
    expect(() => new ManagedIdentityCredential(42 as never)).toThrow(/client id \(string\) or an options object/);
    expect(() => new ManagedIdentityCredential({ timeoutInMs: -1 })).toThrow(/"timeoutInMs" must be a positive number/);
    expect(() => new ManagedIdentityCredential({ retryOptions: { maxRetries: -1 } })).toThrow(/retryOptions.maxRetries/);
    expect(() => new ManagedIdentityCredential({ imdsProbeTimeoutInMs: 0 })).toThrow(/imdsProbeTimeoutInMs/);
    expect(() => new ManagedIdentityCredential({ probeImds: "yes" } as never)).toThrow(/"probeImds" must be a boolean/);
    expect(() => new ManagedIdentityCredential({ fetch: "fetch" } as never)).toThrow(/"fetch" must be a fetch function/);
    expect(() => new ManagedIdentityCredential({ dispatcher: 5 })).toThrow(/"dispatcher" must be an undici Dispatcher/);
    expect(() => new ManagedIdentityCredential({ maxResponseBytes: 0 })).toThrow(/"maxResponseBytes" must be a positive number/);
  });

  it("transport options are checked at construction on every source, before the sources are loaded", () => {
    useEnv({ MSI_ENDPOINT: "http://127.0.0.1:9/oauth2/token" }); // Cloud Shell; nothing is sent
    expect(() => new ManagedIdentityCredential({ timeoutInMs: Number.NaN })).toThrow(TypeError);
    expect(() => new ManagedIdentityCredential({ retryOptions: { retryDelayInMs: -5 } })).toThrow(/retryOptions.retryDelayInMs/);
  });

  it("the same id reused keeps working and the options object is not kept", async () => {
    const server = await startServer({}, imdsToken("t"));
    try {
      useEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: server.url });
      const options = { clientId: "first" };
      const credential = new ManagedIdentityCredential(options);
      options.clientId = "changed";
      await credential.getToken("https://kept.example/.default");
      expect(server.requests[0]!.query.get("client_id")).toBe("first");
    } finally {
      await server.close();
    }
  });
});

describe("logging", () => {
  afterEach(() => {
    setLogLevel(undefined);
    setLogSink((level, line) => console.error(`${level.toUpperCase()} ${line}`));
  });

  it("logs the chosen source once per process, never the secret header", () => {
    const lines: Array<[LogLevel, string]> = [];
    setLogLevel("info");
    setLogSink((level, line) => lines.push([level, line]));
    useEnv({ IDENTITY_ENDPOINT: "http://127.0.0.1:41999/msi/token", IDENTITY_HEADER: "very-secret-header" });
    new ManagedIdentityCredential("log-once");
    new ManagedIdentityCredential("log-once");
    const chosen = lines.filter(([, line]) => line.includes("will use App Service"));
    expect(chosen).toHaveLength(1);
    expect(chosen[0]![1]).toContain("http://127.0.0.1:41999/msi/token");
    expect(chosen[0]![1]).toContain("clientId log-once");
    expect(lines.some(([, line]) => line.includes("very-secret-header"))).toBe(false);
  });
});
