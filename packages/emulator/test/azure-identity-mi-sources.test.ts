// @azure/identity ManagedIdentityCredential through the remaining sources: Cloud Shell, Azure ML, Service Fabric
// (trusting its self-signed certificate through NODE_EXTRA_CA_CERTS) and Azure Arc (when the key directory MSAL
// insists on, /var/opt/azcmagent/tokens, can be created: root on Linux).
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload } from "./helpers.js";
import { runAzureIdentity } from "./run-client.js";

const ARC_DIR = "/var/opt/azcmagent/tokens";
const canUseArcDir = process.platform === "linux" && typeof process.getuid === "function" && process.getuid() === 0;
const createdArcDirs: string[] = [];

let emu: Emulator;

beforeAll(async () => {
  if (canUseArcDir) {
    for (const dir of ["/var/opt/azcmagent", ARC_DIR]) {
      if (!existsSync(dir)) {
        mkdirSync(dir);
        createdArcDirs.unshift(dir);
      }
    }
  }
  emu = await startEmulator(canUseArcDir ? { arcKeyDirectory: ARC_DIR } : {});
});
afterAll(async () => {
  await emu.close();
  for (const dir of createdArcDirs) rmSync(dir, { recursive: true, force: true });
});

const scopes = ["https://vault.azure.net/.default"];

describe("@azure/identity ManagedIdentityCredential, other sources", () => {
  it("Cloud Shell", async () => {
    const [result] = await runAzureIdentity({ kind: "managedIdentity", scopes }, emu.env("cloudShell"));
    expect(decodePayload(result?.token as string)).toMatchObject({ oid: emu.defaults.user.objectId, aud: "https://vault.azure.net" });
    expect(emu.requests().some((r) => r.route === "cloudShell" && r.method === "POST" && r.status === 200)).toBe(true);
  });

  it("Azure ML (system and user-assigned)", async () => {
    const [system] = await runAzureIdentity({ kind: "managedIdentity", scopes }, emu.env("azureML"));
    expect(decodePayload(system?.token as string).oid).toBe(emu.defaults.managedIdentity.systemObjectId);
    const uami = emu.defaults.managedIdentity.userAssigned;
    const [user] = await runAzureIdentity({ kind: "managedIdentity", clientId: uami.clientId, scopes }, emu.env("azureML"));
    expect(decodePayload(user?.token as string).oid).toBe(uami.objectId);
  });

  it("Service Fabric", async () => {
    const certFile = join(tmpdir(), `sf-${process.pid}.pem`);
    writeFileSync(certFile, emu.serviceFabric.certificatePem);
    try {
      const [result] = await runAzureIdentity({ kind: "managedIdentity", scopes }, { ...emu.env("serviceFabric"), NODE_EXTRA_CA_CERTS: certFile });
      expect(decodePayload(result?.token as string).oid).toBe(emu.defaults.managedIdentity.systemObjectId);
      expect(emu.requests().some((r) => r.route === "serviceFabric" && r.status === 200)).toBe(true);
    } finally {
      rmSync(certFile, { force: true });
    }
  });

  it.runIf(canUseArcDir)("Azure Arc (401 challenge, key file, Basic retry)", async () => {
    emu.clearRequests();
    const [result] = await runAzureIdentity({ kind: "managedIdentity", scopes }, emu.env("arc"));
    expect(decodePayload(result?.token as string).oid).toBe(emu.defaults.managedIdentity.systemObjectId);
    expect(emu.requests().filter((r) => r.route === "arc").map((r) => r.status)).toEqual([401, 200]);
  });
});
