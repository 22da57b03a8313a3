// A corpus of malformed requests: each gets an Entra-shaped (or source-shaped) error, never a crash, and
// the emulator keeps serving valid requests afterwards.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await emu.close();
});

interface Case {
  name: string;
  path?: string;
  method?: string;
  contentType?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number;
  code?: number;
}

const FORM = "application/x-www-form-urlencoded";
const b64 = (s: string) => Buffer.from(s).toString("base64url");
const secretPart = () => `client_id=${emu.defaults.secretApp.clientId}&client_secret=${encodeURIComponent(emu.defaults.secretApp.clientSecret)}`;
const assertionBody = (assertion: string) =>
  `client_id=${emu.defaults.certificateApp.clientId}&grant_type=client_credentials&scope=https%3A%2F%2Fx.example%2F.default&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${encodeURIComponent(assertion)}`;

const cases = (): Case[] => [
  { name: "JSON body instead of a form", contentType: "application/json", body: JSON.stringify({ grant_type: "client_credentials" }), status: 400, code: 900144 },
  { name: "multipart body", contentType: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--", status: 400, code: 900144 },
  { name: "no content type", contentType: "", body: "grant_type=client_credentials", status: 400, code: 900144 },
  { name: "binary garbage", body: Buffer.from([0xff, 0xfe, 0x00, 0x25, 0x25, 0x3d, 0x26, 0x80]), status: 400, code: 900144 },
  { name: "broken percent escapes", body: "grant_type=%zz%&scope=%E0%A4%A&client_id=%", status: 400, code: 70003 },
  { name: "empty body", body: "", status: 400, code: 900144 },
  { name: "unknown grant", body: `grant_type=urn%3Afoo&${secretPart()}`, status: 400, code: 70003 },
  { name: "GET on the token endpoint", method: "GET", status: 400, code: 900561 },
  { name: "oversize body", body: `grant_type=client_credentials&pad=${"x".repeat(100 * 1024)}`, status: 413, code: 9002313 },
  { name: "scope of 5000 garbage characters", body: `grant_type=client_credentials&${secretPart()}&scope=${"%01".repeat(5000)}`, status: 400, code: 70011 },
  { name: "claims not JSON", body: `grant_type=client_credentials&${secretPart()}&scope=https%3A%2F%2Fx.example%2F.default&claims=%7Bnope`, status: 400, code: 9002313 },
  { name: "claims a JSON array", body: `grant_type=client_credentials&${secretPart()}&scope=https%3A%2F%2Fx.example%2F.default&claims=%5B1%5D`, status: 400, code: 9002313 },
  { name: "Basic header not base64", headers: { authorization: "Basic !!!" }, body: "grant_type=client_credentials&scope=https%3A%2F%2Fx.example%2F.default", status: 401, code: 7000218 },
  { name: "Basic header without a colon", headers: { authorization: `Basic ${Buffer.from("nocolon").toString("base64")}` }, body: "grant_type=client_credentials&scope=https%3A%2F%2Fx.example%2F.default", status: 401, code: 7000218 },
  { name: "secret and assertion together", body: `${assertionBody("a.b.c")}&client_secret=x`, status: 400, code: 9002313 },
  { name: "assertion: three dots", body: assertionBody("a.b.c"), status: 400, code: 50027 },
  { name: "assertion: empty", body: assertionBody(""), status: 400, code: 50027 },
  { name: "assertion: header not JSON", body: assertionBody(`${b64("{nope")}.${b64("{}")}.c2ln`), status: 400, code: 50027 },
  { name: "assertion: payload an array", body: assertionBody(`${b64('{"alg":"RS256"}')}.${b64("[1,2]")}.c2ln`), status: 400, code: 50027 },
  { name: "assertion: alg none", body: assertionBody(`${b64('{"alg":"none","x5t":"AAAA"}')}.${b64(`{"iss":"${"x"}"}`)}.c2ln`), status: 401, code: 5002738 },
  { name: "assertion: 40 KB", body: assertionBody("a".repeat(40_000)), status: 400, code: 50027 },
  { name: "assertion: wrong type", body: assertionBody("a.b.c").replace("jwt-bearer", "saml2-bearer"), status: 400, code: 900144 },
  { name: "OBO without requested_token_use", body: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&${secretPart()}&assertion=x`, status: 400, code: 900144 },
  { name: "OBO garbage assertion", body: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&client_id=${emu.defaults.apiApp.clientId}&client_secret=${encodeURIComponent(emu.defaults.apiApp.clientSecret)}&requested_token_use=on_behalf_of&assertion=%00%01`, status: 400, code: 50027 },
  { name: "device code grant without device_code", body: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=${emu.defaults.publicApp.clientId}`, status: 400, code: 900144 },
  { name: "authorization_code without code", body: `grant_type=authorization_code&client_id=${emu.defaults.publicApp.clientId}`, status: 400, code: 900144 },
  { name: "public client sending a secret", body: `grant_type=authorization_code&code=x&client_id=${emu.defaults.publicApp.clientId}&client_secret=x`, status: 401, code: 700025 },
  { name: "client_id not a GUID", body: "grant_type=client_credentials&client_id=%3Cscript%3E&client_secret=x&scope=https%3A%2F%2Fx.example%2F.default", status: 400, code: 700016 },
  { name: "percent-garbage tenant", path: "/%E0%A4%A/oauth2/v2.0/token", body: "grant_type=client_credentials", status: 400, code: 90002 },
  { name: "devicecode without client_id", path: "/organizations/oauth2/v2.0/devicecode", body: "scope=openid", status: 400, code: 900144 },
  { name: "devicecode with GET", path: "/organizations/oauth2/v2.0/devicecode", method: "GET", status: 400, code: 900561 },
  { name: "unknown path", path: "/nothing/here", method: "GET", status: 404, code: 900561 },
  { name: "discovery for a garbage tenant", path: "/..%2F..%2Fetc/v2.0/.well-known/openid-configuration", method: "GET", status: 400, code: 90002 },
];

function send(c: Case): Promise<Response> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  const contentType = c.contentType ?? FORM;
  if (contentType !== "") headers["content-type"] = contentType;
  const method = c.method ?? "POST";
  return fetch(`${emu.url}${c.path ?? `/${emu.defaults.tenantId}/oauth2/v2.0/token`}`, {
    method,
    headers,
    body: method === "GET" ? undefined : typeof c.body === "string" || c.body === undefined ? (c.body ?? "") : new Uint8Array(c.body),
  });
}

async function validRequestWorks(): Promise<void> {
  const res = await fetch(emu.tokenEndpoint(), {
    method: "POST",
    headers: { "content-type": FORM },
    body: `grant_type=client_credentials&${secretPart()}&scope=https%3A%2F%2Fvault.azure.net%2F.default`,
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as Record<string, unknown>).access_token).toBeDefined();
}

describe("bad-input corpus", () => {
  it("answers every malformed Entra request with an Entra error and keeps serving", async () => {
    for (const c of cases()) {
      const res = await send(c);
      const text = await res.text();
      expect(res.status, c.name).toBe(c.status);
      expect(res.headers.get("content-type"), c.name).toBe("application/json; charset=utf-8");
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(typeof body.error, c.name).toBe("string");
      expect(body.error_codes, c.name).toEqual(expect.arrayContaining([c.code]));
      expect(String(body.error_description), c.name).toMatch(new RegExp(`^AADSTS${c.code}: `));
      expect(body.trace_id, c.name).toMatch(/^[0-9a-f-]{36}$/);
      expect(text, c.name).not.toContain(emu.defaults.secretApp.clientSecret);
      await validRequestWorks();
    }
  });

  it("answers malformed managed-identity requests in each source's shape", async () => {
    const mi = [
      [`${emu.url}/metadata/identity/oauth2/token?resource=x`, { Metadata: "true" }, 400, "error"],
      [`${emu.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x&client_id=a&object_id=b`, { Metadata: "true" }, 400, "error"],
      [`${emu.url}/msi/token?resource=x`, { "X-IDENTITY-HEADER": "" }, 400, "message"],
      [`${emu.url}/ml/msi/token?api-version=2017-09-01&resource=x`, { secret: "" }, 401, "error"],
      [`${emu.url}/arc/metadata/identity/oauth2/token?api-version=2019-11-01`, { Metadata: "true" }, 400, "error"],
    ] as const;
    for (const [url, headers, status, field] of mi) {
      const res = await fetch(url, { headers });
      expect(res.status, url).toBe(status);
      expect((await res.json()) as Record<string, unknown>, url).toHaveProperty(field);
    }
    const post = await fetch(`${emu.url}/metadata/identity/oauth2/token`, { method: "POST", headers: { Metadata: "true" }, body: "x" });
    expect(post.status).toBe(405);
    await validRequestWorks();
  });

  it("shows an HTML error page for a broken authorize request", async () => {
    const res = await fetch(`${emu.url}/organizations/oauth2/v2.0/authorize`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("AADSTS900144");
    const xss = await fetch(`${emu.url}/organizations/oauth2/v2.0/authorize?client_id=${emu.defaults.publicApp.clientId}&redirect_uri=${encodeURIComponent('http://localhost/"><script>alert(1)</script>')}`);
    const html = await xss.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;");
    await validRequestWorks();
  });

  it("survives raw protocol garbage and half-sent bodies", async () => {
    const { port } = new URL(emu.url);
    const raw = (payload: string, endAfter = true) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(payload);
          if (endAfter) socket.end();
          else setTimeout(() => socket.destroy(), 100);
        });
        let out = "";
        socket.on("data", (d) => (out += d.toString()));
        socket.on("close", () => resolve(out));
        socket.on("error", () => resolve(out));
      });
    expect(await raw("GARBAGE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    await raw(`POST /${emu.defaults.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 1000\r\n\r\ngrant_type=cl`, false);
    await raw(`POST /${emu.defaults.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, false);
    await validRequestWorks();
  });
});
