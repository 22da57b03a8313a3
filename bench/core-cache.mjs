// Benchmark of @id/core's token cache alone (issue 2): a minimal credential built on core, the way every
// credential package uses it, with token requests served by a real loopback HTTP server.
//   node bench/core-cache.mjs        (after `pnpm build`)
// Prints: cached getToken calls/s for 1 … 10,000 cached keys (goal ≥ 2,000,000/s and flat), and the
// number of HTTP requests 1,000 concurrent cold calls for one key make (goal 1).
import http from "node:http";
import {
  cachePartition,
  freshToken,
  getTokenCache,
  normalizeScopes,
  resolveTenantId,
  toAccessToken,
  tokenCacheKey,
} from "@id/core";

let requests = 0;
const server = http.createServer((req, res) => {
  requests += 1;
  req.resume();
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: `token-${requests}` }));
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/tenant/oauth2/v2.0/token`;

/**
 * The smallest credential built on core, shaped like @id/entra's client-credentials flow: validate,
 * resolve the tenant, ask the cache, request on a miss. Like that flow, it remembers the token it last
 * served per scope and serves it again while core's `freshToken` says it may: a cached call is one Map
 * lookup and one read of the token, and allocates nothing but its promise.
 */
class MinimalCredential {
  #partition;
  #tenantId;
  #served = new Map();
  constructor(tenantId, clientId) {
    this.#tenantId = tenantId;
    this.#partition = cachePartition({ kind: "bench", authority: url, tenantId, clientId, credentialHash: "h" });
  }
  async getToken(scopes, options) {
    if (options?.tenantId !== undefined) resolveTenantId({ configuredTenantId: this.#tenantId, requestedTenantId: options.tenantId });
    const remember = typeof scopes === "string" && !options?.enableCae && !options?.claims;
    if (remember) {
      const token = freshToken(this.#served.get(scopes));
      if (token !== undefined) return token;
    }
    const key = tokenCacheKey(this.#partition, scopes, options?.enableCae);
    const list = normalizeScopes(scopes);
    const result = getTokenCache().getToken(key, () => this.#request(list), options);
    if (remember && !(result instanceof Promise)) this.#served.set(scopes, result); // a cached token
    return result;
  }
  async #request(scopes) {
    const started = Date.now();
    const res = await fetch(url, { method: "POST", body: new URLSearchParams({ scope: scopes.join(" ") }) });
    const body = await res.json();
    return toAccessToken({ accessToken: body.access_token, expiresIn: body.expires_in, tokenType: body.token_type }, started);
  }
}

const credential = new MinimalCredential("tenant", "client");

// 1,000 concurrent cold calls for one key.
requests = 0;
await Promise.all(Array.from({ length: 1000 }, () => credential.getToken("https://cold.example/.default")));
const coldRequests = requests;

async function callsPerSecond(keyCount) {
  getTokenCache().clear();
  const scopes = Array.from({ length: keyCount }, (_, i) => `https://resource-${i}.example/.default`);
  for (const scope of scopes) await credential.getToken(scope); // warm: one request per key
  const before = requests;
  globalThis.gc?.(); // start the measured loop from a collected heap (the warm-up made 10,000 HTTP requests)
  const n = 2_000_000;
  for (let i = 0; i < 200_000; i++) await credential.getToken(scopes[i % keyCount]); // JIT warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await credential.getToken(scopes[i % keyCount]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (requests !== before) throw new Error(`${requests - before} requests during the cached phase`);
  return n / seconds;
}

const rows = [];
for (const keys of [1, 100, 1000, 10_000]) {
  const rate = await callsPerSecond(keys);
  rows.push({ "cached keys": keys, "calls/s": Math.round(rate).toLocaleString("en-US"), "µs/call": (1e6 / rate).toFixed(3) });
}
server.close();

console.log("@id/core token cache (one core, awaited calls)");
console.table(rows);
const rates = rows.map((r) => Number(r["calls/s"].replace(/,/g, "")));
console.log(`1,000 concurrent cold calls for one key → ${coldRequests} HTTP request(s)   (goal: 1; @azure/identity measured here: 1,000)`);
console.log(`cached getToken, 1 key: ${rows[0]["calls/s"]} calls/s   (goal: ≥ 2,000,000; @azure/identity measured here: 44,747)`);
console.log(`slowest across 1…10,000 cached keys: ${Math.round(Math.min(...rates)).toLocaleString("en-US")} calls/s   (goal: ≥ 2,000,000 at every size)`);
const ok = coldRequests === 1 && rates.every((rate) => rate >= 2_000_000);
console.log(ok ? "core goals: met" : "core goals: NOT met");
process.exitCode = ok ? 0 : 1;
