import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CredentialUnavailableError } from "@id/core";
import { describe, expect, it } from "vitest";
import { prepareSource } from "./certificate-source.js";
import type { CertificateSource } from "./certificate-source.js";

const fixtures = join(import.meta.dirname, "..", "test", "fixtures");
const fixture = (name: string): string => join(fixtures, name);
const text = (name: string): string => readFileSync(fixture(name), "utf8");
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture(name)));
const PASSWORD = text("password.txt");

/** Thumbprints as node:crypto's X509Certificate computes them (an independent implementation), for comparison. */
function opensslThumbprint(certificate: string, digest: "sha1" | "sha256"): string {
  const x509 = new X509Certificate(readFileSync(fixture(certificate)));
  return (digest === "sha1" ? x509.fingerprint : x509.fingerprint256).replace(/:/g, "");
}

const load = (source: CertificateSource) => prepareSource(source, "TestCredential").load();

describe("certificate sources", () => {
  const rsaSha1 = opensslThumbprint("rsa-cert.pem", "sha1");
  const rsaSha256 = opensslThumbprint("rsa-cert.pem", "sha256");

  it.each([
    ["PEM with a PKCS#8 key", { certificate: text("rsa-pkcs8.pem") }],
    ["PEM with a PKCS#1 key", { certificate: text("rsa-pkcs1.pem") }],
    ["PEM with an encrypted PKCS#8 key (AES-256, PBKDF2-SHA256)", { certificate: text("rsa-encrypted.pem"), certificatePassword: PASSWORD }],
    ["PEM with an encrypted PKCS#8 key (3DES)", { certificate: text("rsa-encrypted-des3.pem"), certificatePassword: PASSWORD }],
    ["PEM with a traditional OpenSSL-encrypted PKCS#1 key (Proc-Type, AES-256)", { certificate: text("rsa-legacy-encrypted.pem"), certificatePassword: PASSWORD }],
    ["PEM bytes", { certificate: bytes("rsa-pkcs8.pem") }],
    ["a PEM file", { certificatePath: fixture("rsa-pkcs8.pem") }],
    ["a PKCS#12 file (AES-256, SHA-256 MAC)", { certificatePath: fixture("rsa-aes.pfx"), certificatePassword: PASSWORD }],
    ["a PKCS#12 file (3DES, SHA-1 MAC)", { certificatePath: fixture("rsa-3des.pfx"), certificatePassword: PASSWORD }],
    ["a legacy PKCS#12 file (RC2-40 certificates, 3DES key)", { certificatePath: fixture("rsa-rc2.pfx"), certificatePassword: PASSWORD }],
    ["PKCS#12 bytes without a password", { certificate: bytes("rsa-nopassword.pfx") }],
    ["a base64 PKCS#12 string (a Key Vault certificate secret)", { certificate: Buffer.from(bytes("rsa-aes.pfx")).toString("base64"), certificatePassword: PASSWORD }],
  ])("reads %s with the same thumbprints as openssl", async (_, source) => {
    const loaded = await load(source as CertificateSource);
    expect(loaded.thumbprintSha1).toBe(rsaSha1);
    expect(loaded.thumbprintSha256).toBe(rsaSha256);
    expect(Buffer.from(loaded.x5t, "base64url").toString("hex").toUpperCase()).toBe(rsaSha1);
    expect(Buffer.from(loaded.x5tS256, "base64url").toString("hex").toUpperCase()).toBe(rsaSha256);
    expect(loaded.x5c).toHaveLength(1);
    expect(loaded.identityHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reads CRLF line endings and the text openssl puts around blocks (Bag Attributes)", async () => {
    const pem = `Bag Attributes\r\n    localKeyId: 01 02\r\nsubject=/CN=x\r\n${text("rsa-pkcs8.pem").replace(/\n/g, "\r\n")}`;
    const loaded = await load({ certificate: pem });
    expect(loaded.thumbprintSha1).toBe(rsaSha1);
  });

  it("gives one identity hash for one certificate whatever the container", async () => {
    const hashes = new Set(
      await Promise.all([
        load({ certificate: text("rsa-pkcs8.pem") }),
        load({ certificate: text("rsa-pkcs1.pem") }),
        load({ certificatePath: fixture("rsa-aes.pfx"), certificatePassword: PASSWORD }),
      ]).then((all) => all.map((loaded) => loaded.identityHash)),
    );
    expect(hashes.size).toBe(1);
    const other = await load({ certificate: text("other.pem") });
    expect(hashes.has(other.identityHash)).toBe(false);
  });

  it("puts the certificate that matches the key first in x5c, then the rest of the chain", async () => {
    const leafSha1 = opensslThumbprint("leaf-cert.pem", "sha1");
    for (const source of [{ certificate: text("chain.pem") }, { certificatePath: fixture("chain.pfx"), certificatePassword: PASSWORD }]) {
      const loaded = await load(source);
      expect(loaded.thumbprintSha1).toBe(leafSha1);
      expect(loaded.x5c).toHaveLength(2);
      const leafDer = Buffer.from(loaded.x5c[0] as string, "base64");
      const expected = Buffer.from(text("leaf-cert.pem").replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
      expect(leafDer.equals(expected)).toBe(true);
    }
  });

  describe("bad input: a TypeError with a code and a message that says what to do", () => {
    it("malformed PEM (bad base64) fails at construction", () => {
      const broken = text("rsa-pkcs8.pem").replace(/^MII/m, "MI*");
      expect(() => prepareSource({ certificate: broken }, "TestCredential")).toThrow(
        expect.objectContaining({ name: "TypeError", code: "invalid_certificate", message: expect.stringContaining("malformed") }),
      );
    });

    it("truncated DER inside a PEM block fails at construction", () => {
      const pem = text("rsa-cert.pem");
      const body = pem.replace(/-----[A-Z ]+-----|\s/g, "");
      const truncated = `-----BEGIN CERTIFICATE-----\n${body.slice(0, 400)}\n-----END CERTIFICATE-----\n${text("rsa-key.pkcs8.pem")}`;
      expect(() => prepareSource({ certificate: truncated }, "TestCredential")).toThrow(expect.objectContaining({ code: "invalid_certificate" }));
    });

    it("text that is not PEM", () => {
      expect(() => prepareSource({ certificate: "hello" }, "TestCredential")).toThrow(
        expect.objectContaining({ code: "invalid_certificate", message: expect.stringContaining("neither PEM text nor a base64 PKCS#12") }),
      );
    });

    it("PEM without a private key", () => {
      expect(() => prepareSource({ certificate: text("rsa-cert.pem") }, "TestCredential")).toThrow(
        expect.objectContaining({ code: "invalid_certificate", message: expect.stringContaining("no private key") }),
      );
    });

    it("PEM without a certificate", () => {
      expect(() => prepareSource({ certificate: text("rsa-key.pkcs8.pem") }, "TestCredential")).toThrow(
        expect.objectContaining({ code: "invalid_certificate", message: expect.stringContaining('no "CERTIFICATE" block') }),
      );
    });

    it("a key that does not belong to the certificate", () => {
      expect(() => prepareSource({ certificate: text("mismatch.pem") }, "TestCredential")).toThrow(
        expect.objectContaining({ code: "invalid_certificate", message: expect.stringContaining("belongs to none") }),
      );
    });

    it.each([
      ["PKCS#8", "ec.pem"],
      ["SEC1", "ec-sec1.pem"],
    ])("an EC key (%s) → RSA is required", (_, name) => {
      expect(() => prepareSource({ certificate: text(name) }, "TestCredential")).toThrow(
        expect.objectContaining({ name: "TypeError", code: "unsupported_key_type", message: expect.stringMatching(/is EC, but an RSA key is required/) }),
      );
    });

    it("an EC key in a PFX → RSA is required", async () => {
      await expect(load({ certificatePath: fixture("ec.pfx"), certificatePassword: PASSWORD })).rejects.toMatchObject({
        name: "TypeError",
        code: "unsupported_key_type",
      });
    });

    it.each([
      ["an encrypted PEM key", { certificate: text("rsa-encrypted.pem"), certificatePassword: "wrong" }],
      ["an encrypted 3DES PEM key", { certificate: text("rsa-encrypted-des3.pem"), certificatePassword: "wrong" }],
      ["a traditional encrypted PEM key", { certificate: text("rsa-legacy-encrypted.pem"), certificatePassword: "wrong" }],
      ["a PFX", { certificatePath: fixture("rsa-aes.pfx"), certificatePassword: "wrong" }],
      ["a legacy PFX", { certificatePath: fixture("rsa-rc2.pfx"), certificatePassword: "wrong" }],
    ])("a wrong password for %s", async (_, source) => {
      await expect(load(source)).rejects.toMatchObject({ name: "TypeError", code: "invalid_certificate_password", message: expect.stringContaining("does not decrypt") });
    });

    it("a missing password for an encrypted key or a PFX", async () => {
      expect(() => prepareSource({ certificate: text("rsa-encrypted.pem") }, "TestCredential")).toThrow(
        expect.objectContaining({ code: "invalid_certificate_password", message: expect.stringContaining("is encrypted") }),
      );
      await expect(load({ certificatePath: fixture("rsa-encrypted.pem") })).rejects.toMatchObject({ code: "invalid_certificate_password" });
      await expect(load({ certificatePath: fixture("rsa-aes.pfx") })).rejects.toMatchObject({ code: "invalid_certificate_password" });
    });

    it("a file that is neither PEM nor PKCS#12", async () => {
      await expect(load({ certificatePath: fixture("password.txt") })).rejects.toMatchObject({ code: "invalid_certificate" });
    });

    it("a truncated PFX", async () => {
      const truncated = bytes("rsa-aes.pfx").subarray(0, 600);
      await expect(load({ certificate: truncated, certificatePassword: PASSWORD })).rejects.toMatchObject({ code: "invalid_certificate" });
    });

    it("a missing file → CredentialUnavailableError naming the path, retried on the next call", async () => {
      const prepared = prepareSource({ certificatePath: fixture("does-not-exist.pem") }, "TestCredential");
      const first = await prepared.load().catch((error: unknown) => error);
      expect(CredentialUnavailableError.isInstance(first)).toBe(true);
      expect((first as Error).message).toContain("does-not-exist.pem");
      expect((first as Error).message).toContain("ENOENT");
      await expect(prepared.load()).rejects.toBeInstanceOf(CredentialUnavailableError);
    });

    it("messages never contain the password or key material", async () => {
      const keyBody = text("rsa-key.pkcs8.pem").split("\n")[1] as string;
      const errors: unknown[] = [];
      for (const source of [
        { certificate: text("rsa-encrypted.pem"), certificatePassword: "not-the-password-123" },
        { certificatePath: fixture("rsa-aes.pfx"), certificatePassword: "not-the-password-123" },
        { certificate: text("mismatch.pem") },
        { certificate: text("ec.pem") },
      ]) {
        try {
          await load(source);
        } catch (error) {
          errors.push(error);
        }
      }
      expect(errors).toHaveLength(4);
      for (const error of errors) {
        const message = `${String(error)} ${JSON.stringify(error)}`;
        expect(message).not.toContain("not-the-password-123");
        expect(message).not.toContain(PASSWORD);
        expect(message).not.toContain(keyBody.slice(0, 20));
      }
    });
  });
});
