import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type DeveloperTools, type Emulator } from "../src/index.js";
import { decodePayload } from "./helpers.js";
import { runAzureIdentity } from "./run-client.js";

let emu: Emulator;
let tools: DeveloperTools;
const dir = mkdtempSync(join(tmpdir(), "emu-tools-"));

beforeAll(async () => {
  emu = await startEmulator({ https: true });
  tools = emu.writeDeveloperTools(dir);
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(tool: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(dir, tool), args, { env: { PATH: tools.path(process.env.PATH), ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("fake az", () => {
  it("prints az account get-access-token JSON for the signed-in user", async () => {
    const { code, stdout } = await run("az", ["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com/"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(["accessToken", "expiresOn", "expires_on", "subscription", "tenant", "tokenType"]);
    expect(out.expiresOn).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(typeof out.expires_on).toBe("number");
    expect(out.tenant).toBe(emu.defaults.tenantId);
    expect(decodePayload(out.accessToken as string)).toMatchObject({ aud: "https://management.azure.com", oid: emu.defaults.user.objectId, appid: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" });
  });

  it("prints the not-logged-in error, and AADSTS errors for an unknown tenant", async () => {
    tools.setMode("az", "notLoggedIn");
    const notLoggedIn = await run("az", ["account", "get-access-token", "--resource", "https://x.example"]);
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toBe("ERROR: Please run 'az login' to setup account.\n");
    tools.setMode("az", "loggedIn");
    const badTenant = await run("az", ["account", "get-access-token", "--resource", "https://x.example", "--tenant", "00000000-0000-0000-0000-000000000009"]);
    expect(badTenant.code).toBe(1);
    expect(badTenant.stderr).toMatch(/^ERROR: AADSTS90002: /);
  });
});

describe("fake azd", () => {
  it("prints azd auth token JSON and the not-logged-in envelope", async () => {
    const ok = await run("azd", ["auth", "token", "--output", "json", "--no-prompt", "--scope", "https://vault.azure.net/.default"]);
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout) as Record<string, string>;
    expect(out.expiresOn).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(decodePayload(out.token as string).aud).toBe("https://vault.azure.net");
    tools.setMode("azd", "notLoggedIn");
    const bad = await run("azd", ["auth", "token", "--output", "json", "--no-prompt", "--scope", "https://vault.azure.net/.default"]);
    expect(bad.code).toBe(1);
    const envelope = JSON.parse(bad.stderr) as { type: string; data: { message: string } };
    expect(envelope.type).toBe("consoleMessage");
    expect(envelope.data.message).toContain("not logged in, run `azd auth login` to login");
    tools.setMode("azd", "loggedIn");
  });
});

describe("fake pwsh", () => {
  it("answers /?, -Command (JSON) and -EncodedCommand (azsdk% line)", async () => {
    expect((await run("pwsh", ["/?"])).code).toBe(0);
    const command = await run("pwsh", ["-NoProfile", "-NonInteractive", "-Command", "Get-AzAccessToken @params"], { AZURE_IDENTITY_POWERSHELL_RESOURCE: "https://storage.azure.com" });
    expect(command.code).toBe(0);
    const out = JSON.parse(command.stdout) as Record<string, string>;
    expect(out.ExpiresOn).toMatch(/\+00:00$/);
    expect(decodePayload(out.Token as string).aud).toBe("https://storage.azure.com");
    const script = "$token = Get-AzAccessToken -ResourceUrl 'https://vault.azure.net'";
    const encoded = await run("pwsh", ["-NoProfile", "-NonInteractive", "-EncodedCommand", Buffer.from(script, "utf16le").toString("base64")]);
    expect(encoded.stdout).toMatch(/^azsdk%[\w-]+\.[\w-]+\.[\w-]+%\d+\n$/);
  });

  it("prints the module-missing and not-logged-in texts; notInstalled removes it", async () => {
    tools.setMode("pwsh", "moduleMissing");
    const missing = await run("pwsh", ["-NoProfile", "-NonInteractive", "-Command", "x"]);
    expect(missing.stderr).toContain("The specified module 'Az.Accounts' with version '2.2.0' was not loaded because no valid module file was found in any module directory");
    tools.setMode("pwsh", "notLoggedIn");
    expect((await run("pwsh", ["-Command", "x"], { AZURE_IDENTITY_POWERSHELL_RESOURCE: "https://x" })).stderr).toContain("Run Connect-AzAccount to login");
    tools.setMode("pwsh", "notInstalled");
    expect((await run("pwsh", ["/?"])).code).not.toBe(0);
    tools.setMode("pwsh", "loggedIn");
    expect(() => tools.setMode("az", "moduleMissing")).toThrow(TypeError);
  });
});

describe("@azure/identity developer credentials with the fakes on PATH", () => {
  it.each([
    ["azureCli", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"],
    ["azureDeveloperCli", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"],
    ["azurePowerShell", "1950a258-227b-4e31-a9cf-717495945fc2"],
  ])("%s gets the user's token", async (kind, appid) => {
    const [result] = await runAzureIdentity({ kind, scopes: ["https://management.azure.com/.default"] }, { PATH: tools.path(process.env.PATH) });
    expect(decodePayload(result?.token as string)).toMatchObject({ oid: emu.defaults.user.objectId, appid });
    expect(result?.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  it("AzureCliCredential reports not logged in and not installed", async () => {
    tools.setMode("az", "notLoggedIn");
    await expect(runAzureIdentity({ kind: "azureCli", scopes: ["https://management.azure.com/.default"] }, { PATH: tools.path(process.env.PATH) })).rejects.toThrow(/CredentialUnavailableError: Please run 'az login'/);
    tools.setMode("az", "notInstalled");
    await expect(runAzureIdentity({ kind: "azureCli", scopes: ["https://management.azure.com/.default"] }, { PATH: tools.path("/nonexistent") })).rejects.toThrow(/CredentialUnavailableError: Azure CLI could not be found/);
    tools.setMode("az", "loggedIn");
  });
});
