// The README's programmatic quick start, verbatim in substance.
import { createRemoteJWKSet, jwtVerify } from "jose";
import { expect, it } from "vitest";
import { startEmulator } from "../src/index.js";

it("runs the README quick start", async () => {
  const emu = await startEmulator();
  try {
    const { tenantId, secretApp } = emu.defaults;
    const res = await fetch(emu.tokenEndpoint(tenantId), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: secretApp.clientId,
        client_secret: secretApp.clientSecret,
        scope: "https://vault.azure.net/.default",
        grant_type: "client_credentials",
      }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(emu.jwksUri())), {
      issuer: emu.issuer(),
      audience: "https://vault.azure.net",
    });
    expect(payload.appid).toBe(secretApp.clientId);
    expect(emu.requests().map((r) => r.route)).toEqual(["token", "jwks"]);
  } finally {
    await emu.close();
  }
});
