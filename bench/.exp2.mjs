import { cachePartition, getTokenCache, normalizeScopes, toAccessToken, tokenCacheKey } from "@id/core";
const N = +process.argv[2] || 10000, mode = process.argv[3] ?? "plain";
const partition = cachePartition({ kind: "bench", authority: "http://127.0.0.1:4444/t/oauth2/v2.0/token", tenantId: "tenant", clientId: "client", credentialHash: "h" });
const memo = new Map();
async function getToken(scopes, options) {
  let hit = typeof scopes === "string" && !options?.enableCae ? memo.get(scopes) : undefined;
  if (hit === undefined) {
    const key = tokenCacheKey(partition, scopes, options?.enableCae);
    const list = normalizeScopes(scopes);
    hit = { key, request: async () => { if (mode === "junk") { for (let i = 0; i < 200; i++) globalThis.__j = { a: new Array(20) }; } await null; return toAccessToken({ accessToken: "eyJ" + "x".repeat(1200), expiresIn: 3599, tokenType: "Bearer" }, Date.now()); } };
    memo.set(scopes, hit);
  }
  return getTokenCache().getToken(hit.key, hit.request, options);
}
const scopes = Array.from({ length: N }, (_, i) => `https://resource-${i}.example/.default`);
for (const s of scopes) await getToken(s);
globalThis.gc?.();
const n = 2_000_000;
for (let i = 0; i < 200_000; i++) await getToken(scopes[i % N]);
const t = process.hrtime.bigint();
for (let i = 0; i < n; i++) await getToken(scopes[i % N]);
console.log(mode, N, Math.round(n / (Number(process.hrtime.bigint() - t) / 1e9)).toLocaleString());
