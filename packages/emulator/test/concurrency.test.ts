import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

it("serves 300 concurrent token requests, each with a distinct token, and logs every one", async () => {
  emu.clearRequests();
  const responses = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      postForm(emu.tokenEndpoint(), {
        client_id: emu.defaults.secretApp.clientId,
        client_secret: emu.defaults.secretApp.clientSecret,
        scope: `api://resource-${i % 7}/.default`,
        grant_type: "client_credentials",
      }),
    ),
  );
  expect(responses.every((r) => r.status === 200)).toBe(true);
  const tokens = responses.map((r) => r.body.access_token as string);
  expect(new Set(tokens).size).toBe(300);
  expect(new Set(tokens.map((t) => decodePayload(t).uti)).size).toBe(300);
  responses.forEach((r, i) => expect(decodePayload(r.body.access_token as string).aud).toBe(`api://resource-${i % 7}`));
  const log = emu.requests();
  expect(log).toHaveLength(300);
  expect(log.every((e) => e.status === 200 && e.grantType === "client_credentials")).toBe(true);
});
