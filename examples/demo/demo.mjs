// The README's demo: starts @id/emulator inside this process (loopback only), gets a token from each
// @id credential, verifies every token against the emulator's JWKS with jose, shows that a second call
// and a re-created credential are served from the cache without a request, prints a table, and exits.
import { readFile } from "node:fs/promises";
import { ClientAssertionCredential } from "@id/client-assertion";
import { ClientSecretCredential } from "@id/client-secret";
import { startEmulator } from "@id/emulator";
import { ManagedIdentityCredential } from "@id/managed-identity";
import { createRemoteJWKSet, jwtVerify } from "jose";

const emu = await startEmulator();
const { tenantId, secretApp, workloadIdentity } = emu.defaults;
const authorityHost = emu.authorityHost;
const scope = "https://vault.azure.net/.default";

// Managed identity reads its environment when constructed: point it at the emulator's App Service endpoint.
Object.assign(process.env, emu.env("appService"));
const federatedTokenFile = emu.env("workloadIdentity").AZURE_FEDERATED_TOKEN_FILE;

const credentials = [
  ["ClientSecretCredential", () => new ClientSecretCredential(tenantId, secretApp.clientId, secretApp.clientSecret, { authorityHost })],
  [
    "ClientAssertionCredential",
    () => new ClientAssertionCredential(tenantId, workloadIdentity.clientId, () => readFile(federatedTokenFile, "utf8"), { authorityHost }),
  ],
  ["ManagedIdentityCredential", () => new ManagedIdentityCredential()],
];

const jwks = createRemoteJWKSet(new URL(emu.jwksUri()));
const tokenRequests = () => emu.requests().filter((r) => r.route !== "jwks" && r.route !== "discovery").length;
const rows = [];
let failed = false;

for (const [name, create] of credentials) {
  try {
    const before = tokenRequests();
    const started = performance.now();
    const token = await create().getToken(scope);
    const firstMs = performance.now() - started;
    const afterFirst = tokenRequests();
    await create().getToken(scope); // a new object with the same identity: served from the process-wide cache
    const { payload } = await jwtVerify(token.token, jwks, { audience: "https://vault.azure.net" });
    rows.push({
      credential: name,
      "token requests": afterFirst - before,
      "cached re-call requests": tokenRequests() - afterFirst,
      "first call (ms)": firstMs.toFixed(1),
      aud: payload.aud,
      "signature (JWKS)": "verified",
      "expires in (min)": Math.round((token.expiresOnTimestamp - Date.now()) / 60_000),
    });
  } catch (error) {
    failed = true;
    rows.push({ credential: name, error: `${error.name}: ${error.message}` });
  }
}

await emu.close();
console.log(`@id demo — emulator at ${emu.url}, tenant ${tenantId}, scope ${scope}\n`);
console.table(rows);
console.log(failed ? "\nSome credentials failed." : "\nEvery token was issued by the emulator and verified against its JWKS; re-created credentials made no request.");
process.exitCode = failed ? 1 : 0;
