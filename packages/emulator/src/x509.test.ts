import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCertificate } from "./x509.js";

describe("createCertificate", () => {
  const ca = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const leaf = generateKeyPairSync("rsa", { modulusLength: 2048 });

  it("builds a self-signed CA that node:crypto parses and verifies", () => {
    const cert = createCertificate({ subject: "Test CA", publicKey: ca.publicKey, signingKey: ca.privateKey, isCA: true });
    const x509 = new X509Certificate(cert.pem);
    expect(x509.ca).toBe(true);
    expect(x509.subject).toContain("CN=Test CA");
    expect(x509.verify(ca.publicKey)).toBe(true);
    expect(x509.fingerprint.replace(/:/g, "")).toBe(cert.thumbprintSha1);
    expect(x509.fingerprint256.replace(/:/g, "")).toBe(cert.thumbprintSha256);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now());
  });

  it("builds a server certificate issued by the CA with DNS and IP alternative names", () => {
    const caCert = createCertificate({ subject: "Test CA", publicKey: ca.publicKey, signingKey: ca.privateKey, isCA: true });
    const cert = createCertificate({
      subject: "localhost",
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      issuer: "Test CA",
      issuerPublicKey: ca.publicKey,
      altNames: ["localhost", "127.0.0.1", "::1"],
    });
    const x509 = new X509Certificate(cert.pem);
    expect(x509.ca).toBe(false);
    expect(x509.verify(ca.publicKey)).toBe(true);
    expect(x509.verify(leaf.publicKey)).toBe(false);
    expect(x509.checkIssued(new X509Certificate(caCert.pem))).toBe(true);
    expect(x509.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(x509.checkHost("localhost")).toBe("localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });
});
