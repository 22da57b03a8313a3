import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compactVerify, decodeJwt, importX509 } from "jose";
import { describe, expect, it } from "vitest";
import { ASSERTION_LIFETIME_SECONDS, createCertificateAuthenticator } from "./certificate-assertion.js";

const fixtures = join(import.meta.dirname, "..", "test", "fixtures");
const text = (name: string): string => readFileSync(join(fixtures, name), "utf8");
const ENDPOINT = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
const base64UrlOfHex = (hex: string): string => Buffer.from(hex.replace(/:/g, ""), "hex").toString("base64url");

describe("createCertificateAuthenticator", () => {
  const x509 = new X509Certificate(text("rsa-cert.pem"));

  it("signs PS256 with x5t#S256; the assertion verifies with the certificate's public key", async () => {
    const authenticator = createCertificateAuthenticator({ certificate: text("rsa-pkcs1.pem") }, { clientId: "app-1", credentialName: "Test" });
    const before = Math.floor(Date.now() / 1000);
    const fields = await authenticator.authenticate({ tokenEndpoint: ENDPOINT });
    expect(fields.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    const { protectedHeader } = await compactVerify(fields.client_assertion as string, await importX509(text("rsa-cert.pem"), "PS256"));
    expect(protectedHeader).toEqual({ alg: "PS256", typ: "JWT", "x5t#S256": base64UrlOfHex(x509.fingerprint256) });
    const claims = decodeJwt(fields.client_assertion as string);
    expect(claims).toMatchObject({ aud: ENDPOINT, iss: "app-1", sub: "app-1" });
    expect(claims.nbf).toBeGreaterThanOrEqual(before);
    expect((claims.exp as number) - (claims.nbf as number)).toBe(ASSERTION_LIFETIME_SECONDS);
    expect(claims.iat).toBe(claims.nbf);
    const second = decodeJwt((await authenticator.authenticate({ tokenEndpoint: ENDPOINT })).client_assertion as string);
    expect(second.jti).not.toBe(claims.jti); // a fresh jti per assertion
  });

  it("signs RS256 with x5t (SHA-1) on request, and adds x5c with sendCertificateChain", async () => {
    const authenticator = createCertificateAuthenticator(
      { certificate: text("chain.pem") },
      { clientId: "app-1", credentialName: "Test", signingAlgorithm: "RS256", sendCertificateChain: true },
    );
    const { client_assertion: assertion } = await authenticator.authenticate({ tokenEndpoint: ENDPOINT });
    const leaf = new X509Certificate(text("leaf-cert.pem"));
    const ca = new X509Certificate(text("ca-cert.pem"));
    const { protectedHeader } = await compactVerify(assertion as string, await importX509(text("leaf-cert.pem"), "RS256"));
    expect(protectedHeader).toEqual({
      alg: "RS256",
      typ: "JWT",
      x5t: base64UrlOfHex(leaf.fingerprint),
      x5c: [leaf.raw.toString("base64"), ca.raw.toString("base64")],
    });
  });

  it("exposes the thumbprints (upper-case hex, as the portal shows them) and parses once", async () => {
    const authenticator = createCertificateAuthenticator({ certificate: text("rsa-pkcs8.pem") }, { clientId: "app-1", credentialName: "Test" });
    const [a, b] = await Promise.all([authenticator.thumbprints(), authenticator.thumbprints()]);
    expect(a).toEqual({ sha1: x509.fingerprint.replace(/:/g, ""), sha256: x509.fingerprint256.replace(/:/g, "") });
    expect(b).toEqual(a);
    expect(await authenticator.credentialHash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses an unknown signing algorithm or a non-boolean sendCertificateChain", () => {
    const source = { certificate: text("rsa-pkcs8.pem") };
    expect(() => createCertificateAuthenticator(source, { clientId: "a", credentialName: "T", signingAlgorithm: "ES256" as never })).toThrow(
      expect.objectContaining({ name: "TypeError", code: "invalid_argument" }),
    );
    expect(() => createCertificateAuthenticator(source, { clientId: "a", credentialName: "T", sendCertificateChain: "yes" as never })).toThrow(
      expect.objectContaining({ name: "TypeError", code: "invalid_argument" }),
    );
  });
});
