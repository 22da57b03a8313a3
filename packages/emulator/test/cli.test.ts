import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliUsageError, USAGE, parseArgs, runCli } from "../src/cli-main.js";
import { postForm } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "emu-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseArgs", () => {
  it("reads flags (both --x v and --x=v) over a JSON config file", () => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ tokenLifetimeSeconds: 100, port: 1234, users: [{ username: "u@x", password: "p" }] }));
    const parsed = parseArgs(["--config", file, "--port=0", "--https", "--refresh-in", "50", "--json", "--auto-sign-in", "true"]);
    expect(parsed.config.autoSignIn).toBe(true);
    expect(parsed.json).toBe(true);
    expect(parsed.config).toMatchObject({ tokenLifetimeSeconds: 100, port: 0, https: true, refreshInSeconds: 50 });
    expect(parsed.config.users).toHaveLength(1);
  });

  it("reads --tls-cert/--tls-key/--tls-ca files and turns on https", () => {
    writeFileSync(join(dir, "c.pem"), "CERT");
    writeFileSync(join(dir, "k.pem"), "KEY");
    const parsed = parseArgs(["--tls-cert", join(dir, "c.pem"), "--tls-key", join(dir, "k.pem"), "--tls-ca", join(dir, "c.pem")]);
    expect(parsed.config).toMatchObject({ https: true, tls: { certPem: "CERT", keyPem: "KEY", caPem: "CERT" } });
    expect(() => parseArgs(["--tls-cert", join(dir, "c.pem")])).toThrow(/go together/);
    expect(() => parseArgs(["--tls-cert", join(dir, "nope.pem"), "--tls-key", join(dir, "k.pem")])).toThrow(CliUsageError);
  });

  it("rejects unknown options, missing values, bad numbers and bad config files", () => {
    expect(() => parseArgs(["--nope"])).toThrow(CliUsageError);
    expect(() => parseArgs(["--port"])).toThrow(/--port needs a value/);
    expect(() => parseArgs(["--port", "-1"])).toThrow(/non-negative integer/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "[1]");
    expect(() => parseArgs(["--config", bad])).toThrow(/JSON object/);
    expect(() => parseArgs(["--config", join(dir, "missing.json")])).toThrow(/--config/);
  });
});

describe("runCli", () => {
  it("prints usage for --help and starts nothing", async () => {
    const out: string[] = [];
    expect(await runCli(["--help"], (t) => out.push(t))).toBeUndefined();
    expect(out.join("")).toBe(USAGE);
  });

  it("starts the emulator, registers config entries and prints endpoints and export lines", async () => {
    const file = join(dir, "apps.json");
    writeFileSync(
      file,
      JSON.stringify({
        tokenLifetimeSeconds: 600,
        applications: [{ clientId: "11111111-1111-4111-8111-111111111111", secrets: ["cli-secret"] }],
      }),
    );
    const out: string[] = [];
    const emu = await runCli(["--config", file], (t) => out.push(t));
    try {
      const text = out.join("\n");
      expect(text).toContain(`@id/emulator listening on ${emu?.url}`);
      expect(text).toContain(`export AZURE_AUTHORITY_HOST=${emu?.url}`);
      expect(text).toContain(`export AZURE_POD_IDENTITY_AUTHORITY_HOST=${emu?.url}`);
      expect(text).toMatch(/export IDENTITY_SERVER_THUMBPRINT=[0-9A-F]{40}/);
      const res = await postForm(emu?.tokenEndpoint() as string, {
        client_id: "11111111-1111-4111-8111-111111111111",
        client_secret: "cli-secret",
        scope: "https://vault.azure.net/.default",
        grant_type: "client_credentials",
      });
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(600);
    } finally {
      await emu?.close();
    }
  });

  it("prints one JSON line with --json", async () => {
    const out: string[] = [];
    const emu = await runCli(["--json"], (t) => out.push(t));
    try {
      const parsed = JSON.parse(out.join("")) as { url: string; env: Record<string, Record<string, string>> };
      expect(parsed.url).toBe(emu?.url);
      expect(parsed.env.appService?.IDENTITY_ENDPOINT).toBe(`${emu?.url}/msi/token`);
    } finally {
      await emu?.close();
    }
  });

  it("reports a bad registration in the config as a usage error", async () => {
    const file = join(dir, "badapp.json");
    writeFileSync(file, JSON.stringify({ applications: [{ clientId: "not-a-guid" }] }));
    await expect(runCli(["--config", file], () => undefined)).rejects.toThrow(/config: registerApplication: clientId must be a GUID/);
  });
});
