import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { getJson, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

const token = async () =>
  (
    await postForm(emu.tokenEndpoint(), {
      client_id: emu.defaults.secretApp.clientId,
      client_secret: emu.defaults.secretApp.clientSecret,
      scope: "api://rotation/.default",
      grant_type: "client_credentials",
    })
  ).body.access_token as string;

const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[0] as string, "base64url").toString()) as { kid: string };

const obo = (assertion: string) =>
  postForm(emu.tokenEndpoint(), {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    client_id: emu.defaults.apiApp.clientId,
    client_secret: emu.defaults.apiApp.clientSecret,
    assertion,
    requested_token_use: "on_behalf_of",
    scope: "https://graph.microsoft.com/.default",
  });

it("rotates the signing key: the JWKS keeps the previous key until the next rotation", async () => {
  const before = await token();
  const assertion = await emu.userAssertion();
  const { kid } = await emu.rotateSigningKey();
  const after = await token();
  expect(header(after).kid).toBe(kid);
  expect(header(before).kid).not.toBe(kid);
  const jwks = (await getJson(emu.jwksUri())).body as { keys: Array<{ kid: string }> };
  expect(jwks.keys.map((k) => k.kid)).toEqual([kid, header(before).kid]);
  const keySet = createLocalJWKSet(jwks as never);
  for (const t of [before, after]) await expect(jwtVerify(t, keySet, { issuer: emu.issuer() })).resolves.toBeDefined();
  expect((await obo(assertion)).status).toBe(200);

  await emu.rotateSigningKey();
  const jwks2 = (await getJson(emu.jwksUri())).body as { keys: Array<{ kid: string }> };
  expect(jwks2.keys.map((k) => k.kid)).not.toContain(header(before).kid);
  await expect(jwtVerify(before, createLocalJWKSet(jwks2 as never))).rejects.toThrow();
  expect((await obo(assertion)).body.error_codes).toEqual([50013]);
});
