import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("with fake timers installed in the test", () => {
  it("still serves latency faults, and token times follow the faked clock", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2030-01-01T00:00:00Z") });
    emu.fault({ route: "token", latencyMs: 50 });
    const res = await postForm(emu.tokenEndpoint(), {
      client_id: emu.defaults.secretApp.clientId,
      client_secret: emu.defaults.secretApp.clientSecret,
      scope: "https://vault.azure.net/.default",
      grant_type: "client_credentials",
    });
    expect(res.status).toBe(200);
    expect(decodePayload(res.body.access_token as string).iat).toBe(Date.parse("2030-01-01T00:00:00Z") / 1000);
  });
});
