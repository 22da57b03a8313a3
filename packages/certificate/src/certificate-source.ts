/**
 * Turns what the caller gave — a file path, PEM text, or PEM / PKCS#12 bytes, with an optional password —
 * into one RSA signing key, its certificate and the chain, parsed once. In-memory PEM is checked
 * synchronously (so a bad certificate fails at construction); files are read lazily with `node:fs/promises`
 * (dynamic import), and the PKCS#12 reader is loaded only for a PFX. Every failure becomes a typed error
 * whose message says what to do and never contains key material or the password.
 */
import { CredentialUnavailableError, InvalidArgumentError, sha256Hex } from "@id/core";
import { DerError, bufferSource, equalBytes } from "./der.js";
import { importNodeBuiltin } from "./node-builtin.js";
import { base64ToBytes, base64Url, bytesToBase64, looksLikePem, parsePem, PemError } from "./pem.js";
import type { PemBlock } from "./pem.js";
import {
  KeyTypeError,
  PasswordError,
  UnsupportedEncryptionError,
  decryptLegacyPem,
  decryptPkcs8,
  rsaKeyFromPkcs1,
  rsaKeyFromPkcs8,
} from "./private-key.js";
import type { RsaPrivateKey } from "./private-key.js";
import { parseX509 } from "./x509.js";
import type { ParsedX509 } from "./x509.js";

/** Where the certificate comes from: exactly one of `certificatePath` and `certificate`. */
export interface CertificateSource {
  /** Path of a PEM file (certificate + private key) or a PKCS#12 / PFX file. */
  certificatePath?: string | undefined;
  /** PEM text (certificate + private key), a base64 PKCS#12 (as Key Vault returns it), or the bytes of a PEM or PKCS#12 / PFX file. */
  certificate?: string | Uint8Array | undefined;
  /** Password of an encrypted PKCS#8 key or of a PKCS#12 file. */
  certificatePassword?: string | undefined;
}

/** The parsed certificate, ready to sign. */
export interface LoadedCertificate {
  /** The RSA private key, PKCS#8 DER (kept in this closure; never logged). */
  readonly pkcs8: Uint8Array;
  /** SHA-1 of the leaf certificate's DER, upper-case hex (what the Azure portal shows). */
  readonly thumbprintSha1: string;
  /** SHA-256 of the leaf certificate's DER, upper-case hex. */
  readonly thumbprintSha256: string;
  /** `x5t`: base64url SHA-1 thumbprint. */
  readonly x5t: string;
  /** `x5t#S256`: base64url SHA-256 thumbprint. */
  readonly x5tS256: string;
  /** `x5c`: standard base64 DER certificates, leaf first. */
  readonly x5c: readonly string[];
  /** End of the leaf's validity, milliseconds since the epoch. */
  readonly notAfter: number | undefined;
  /** sha256 of the certificate thumbprint and the key identity: the cache partition's credential hash. */
  readonly identityHash: string;
}

type KeyMaterial =
  | { kind: "plain"; key: RsaPrivateKey }
  | { kind: "encrypted"; der: Uint8Array }
  | { kind: "legacy-encrypted"; text: string };

interface PemContents {
  certificates: ParsedX509[];
  key: KeyMaterial;
}

/** A description of the input for messages: the path, or "the in-memory certificate". */
function describe(source: CertificateSource): string {
  return source.certificatePath !== undefined ? `the certificate file "${source.certificatePath}"` : "the in-memory certificate";
}

/** Maps the internal parse errors to the public, typed ones. */
export function toPublicError(error: unknown, source: CertificateSource, credentialName: string): unknown {
  const where = describe(source);
  if (error instanceof KeyTypeError) {
    return new InvalidArgumentError(
      "unsupported_key_type",
      `${credentialName}: the private key in ${where} is ${error.algorithm}, but an RSA key is required (Entra client assertions are signed with PS256 or RS256). Create an RSA certificate, e.g. "openssl req -x509 -newkey rsa:2048 -keyout key.pem -out cert.pem", and register it on the app.`,
    );
  }
  if (error instanceof PasswordError) {
    return new InvalidArgumentError(
      "invalid_certificate_password",
      error.missing
        ? `${credentialName}: ${where} is encrypted; pass its password as "certificatePassword".`
        : `${credentialName}: the "certificatePassword" does not decrypt ${where}. Check the password (it is case-sensitive).`,
    );
  }
  if (error instanceof UnsupportedEncryptionError) {
    return new InvalidArgumentError("unsupported_certificate_encryption", `${credentialName}: ${where} cannot be read: ${error.message}.`);
  }
  if (error instanceof PemError || error instanceof DerError) {
    return new InvalidArgumentError(
      "invalid_certificate",
      `${credentialName}: ${where} is malformed (${error.message}). Pass a PEM file with a "CERTIFICATE" block and its private key ("PRIVATE KEY", "RSA PRIVATE KEY" or "ENCRYPTED PRIVATE KEY"), or a PKCS#12 (.pfx) file with its password.`,
    );
  }
  return error;
}

function invalid(credentialName: string, source: CertificateSource, problem: string): InvalidArgumentError {
  return new InvalidArgumentError("invalid_certificate", `${credentialName}: ${describe(source)} ${problem}`);
}

/** Reads the PEM blocks: the certificates and exactly one private key. Synchronous and portable. */
function readPem(text: string, source: CertificateSource, credentialName: string): PemContents {
  const blocks = parsePem(text);
  const certificates: ParsedX509[] = [];
  const keys: KeyMaterial[] = [];
  for (const block of blocks) {
    switch (block.label) {
      case "CERTIFICATE":
        certificates.push(parseX509(block.der));
        break;
      case "PRIVATE KEY":
        keys.push({ kind: "plain", key: rsaKeyFromPkcs8(block.der) });
        break;
      case "RSA PRIVATE KEY":
        keys.push(isLegacyEncrypted(block) ? { kind: "legacy-encrypted", text: block.text } : { kind: "plain", key: rsaKeyFromPkcs1(block.der) });
        break;
      case "ENCRYPTED PRIVATE KEY":
        keys.push({ kind: "encrypted", der: block.der });
        break;
      case "EC PRIVATE KEY":
        throw new KeyTypeError("EC");
      case "DSA PRIVATE KEY":
        throw new KeyTypeError("DSA");
      case "OPENSSH PRIVATE KEY":
        throw invalid(credentialName, source, `holds an OpenSSH key; convert it to PKCS#8 ("ssh-keygen -p -m PKCS8 -f key") and pair it with its certificate.`);
      default:
        break; // EC PARAMETERS, CERTIFICATE REQUEST, …: not ours
    }
  }
  if (blocks.length === 0) {
    throw invalid(credentialName, source, `holds no PEM block. Pass a PEM file with "-----BEGIN CERTIFICATE-----" and "-----BEGIN PRIVATE KEY-----" blocks, or a PKCS#12 (.pfx) file.`);
  }
  if (certificates.length === 0) {
    throw invalid(credentialName, source, `holds no "CERTIFICATE" block. Append the certificate to the key file: cat cert.pem key.pem > combined.pem.`);
  }
  if (keys.length === 0) {
    throw invalid(credentialName, source, `holds a certificate but no private key. Append the key to the certificate: cat cert.pem key.pem > combined.pem.`);
  }
  if (keys.length > 1) throw invalid(credentialName, source, `holds ${keys.length} private keys; keep only the one that belongs to the certificate.`);
  return { certificates, key: keys[0] as KeyMaterial };
}

function isLegacyEncrypted(block: PemBlock): boolean {
  return (block.headers["Proc-Type"] ?? "").includes("ENCRYPTED");
}

/** Orders the chain with the certificate of `key` first; throws when no certificate matches the key. */
function pair(certificates: readonly ParsedX509[], key: RsaPrivateKey, source: CertificateSource, credentialName: string): ParsedX509[] {
  const index = certificates.findIndex((certificate) => certificate.modulus !== undefined && equalBytes(certificate.modulus, key.modulus));
  if (index === -1) {
    throw invalid(
      credentialName,
      source,
      `holds a private key that belongs to none of its ${certificates.length} certificate(s). Put the certificate issued for this key in the file.`,
    );
  }
  const leaf = certificates[index] as ParsedX509;
  return [leaf, ...certificates.filter((_, i) => i !== index)];
}

/** A parsed source: either done synchronously (PEM in memory) or still to be read. */
export interface PreparedSource {
  /** Completes parsing (decryption, PKCS#12, digests). Memoised; retried after a failure. */
  load(): Promise<LoadedCertificate>;
}

/**
 * Validates the source's shape (a `TypeError` at once) and, for PEM text in memory, parses it now. Files
 * and PKCS#12 are parsed by the first `load()`.
 */
export function prepareSource(input: CertificateSource, credentialName: string): PreparedSource {
  // A private copy: the caller may reuse or wipe its buffer.
  const source: CertificateSource = {
    certificatePath: input.certificatePath,
    certificate: input.certificate instanceof Uint8Array ? input.certificate.slice() : input.certificate,
    certificatePassword: input.certificatePassword,
  };
  const { certificatePath, certificate, certificatePassword } = source;
  if (certificatePassword !== undefined && typeof certificatePassword !== "string") {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: "certificatePassword" must be a string.`);
  }
  if (certificatePath !== undefined && (certificatePath.includes("-----BEGIN") || certificatePath.includes("\n"))) {
    // Else the "cannot read" message would carry the PEM (key included) as the path.
    throw new InvalidArgumentError(
      "invalid_argument",
      `${credentialName}: the certificate path looks like PEM contents, not a file path. Pass PEM text as { certificate: pem }.`,
    );
  }
  let early: PemContents | undefined;
  if (typeof certificate === "string" && !looksLikePem(certificate)) {
    // A base64 PKCS#12 (what Key Vault returns as the secret of a PFX-backed certificate).
    const pfx = decodeBase64Pkcs12(certificate);
    if (pfx !== undefined) {
      source.certificate = pfx;
      return prepareSource(source, credentialName);
    }
  }
  if (typeof certificate === "string" || (certificate instanceof Uint8Array && looksLikePemBytes(certificate))) {
    const text = typeof certificate === "string" ? certificate : new TextDecoder().decode(certificate);
    if (!looksLikePem(text)) {
      throw invalid(
        credentialName,
        source,
        `is neither PEM text nor a base64 PKCS#12. Pass the PEM contents (with "-----BEGIN CERTIFICATE-----"), a PKCS#12 file's bytes (Uint8Array) or base64, or "certificatePath".`,
      );
    }
    try {
      early = readPem(text, source, credentialName);
      if (early.key.kind === "plain") pair(early.certificates, early.key.key, source, credentialName);
      else if (certificatePassword === undefined) throw new PasswordError(true);
    } catch (error) {
      throw toPublicError(error, source, credentialName);
    }
  }

  let pending: Promise<LoadedCertificate> | undefined;
  async function loadOnce(): Promise<LoadedCertificate> {
    let contents = early;
    let pkcs12: { certificates: ParsedX509[]; keys: RsaPrivateKey[] } | undefined;
    if (contents === undefined) {
      const bytes = certificate instanceof Uint8Array ? certificate : await readCertificateFile(certificatePath as string, credentialName);
      if (looksLikePemBytes(bytes)) contents = readPem(new TextDecoder().decode(bytes), source, credentialName);
      else if (bytes[0] === 0x30) {
        const { readPkcs12 } = await import("./pkcs12.js");
        const read = await readPkcs12(bytes, certificatePassword);
        pkcs12 = { certificates: read.certificates.map((der) => parseX509(der)), keys: read.keys };
      } else {
        throw invalid(credentialName, source, `is neither PEM nor PKCS#12 (PFX). Pass a PEM file with the certificate and its private key, or a .pfx file.`);
      }
    }
    let key: RsaPrivateKey;
    let certificates: ParsedX509[];
    if (pkcs12 !== undefined) {
      if (pkcs12.certificates.length === 0) throw invalid(credentialName, source, `holds no certificate. Export the PFX with its certificate.`);
      if (pkcs12.keys.length === 0) throw invalid(credentialName, source, `holds no private key. Export the PFX with its private key ("Yes, export the private key").`);
      const matching = pkcs12.keys.find((candidate) => pkcs12.certificates.some((c) => c.modulus !== undefined && equalBytes(c.modulus, candidate.modulus)));
      key = matching ?? (pkcs12.keys[0] as RsaPrivateKey);
      certificates = pkcs12.certificates;
    } else {
      const material = (contents as PemContents).key;
      certificates = (contents as PemContents).certificates;
      if (material.kind === "plain") key = material.key;
      else if (material.kind === "encrypted") key = await decryptPkcs8(material.der, certificatePassword);
      else key = await decryptLegacyPem(material.text, certificatePassword);
    }
    const chain = pair(certificates, key, source, credentialName);
    const leaf = chain[0] as ParsedX509;
    const subtle = globalThis.crypto.subtle;
    const [sha1, sha256] = await Promise.all([subtle.digest("SHA-1", bufferSource(leaf.der)), subtle.digest("SHA-256", bufferSource(leaf.der))]);
    const sha1Bytes = new Uint8Array(sha1);
    const sha256Bytes = new Uint8Array(sha256);
    const thumbprintSha256 = hex(sha256Bytes);
    const keyIdentity = await sha256Hex(key.modulus);
    return Object.freeze({
      pkcs8: key.pkcs8,
      thumbprintSha1: hex(sha1Bytes),
      thumbprintSha256,
      x5t: base64Url(sha1Bytes),
      x5tS256: base64Url(sha256Bytes),
      x5c: Object.freeze(chain.map((certificate) => bytesToBase64(certificate.der))),
      notAfter: leaf.notAfter,
      identityHash: await sha256Hex(`certificate|${thumbprintSha256}|key|${keyIdentity}`),
    });
  }

  return {
    load() {
      pending ??= loadOnce().catch((error: unknown) => {
        pending = undefined; // a fixed file is picked up by the next call
        throw toPublicError(error, source, credentialName);
      });
      return pending;
    },
  };
}

/** The bytes of a base64 string that decodes to a DER SEQUENCE (a PKCS#12), else undefined. */
function decodeBase64Pkcs12(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length < 64 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const bytes = base64ToBytes(compact);
  return bytes[0] === 0x30 ? bytes : undefined;
}

function looksLikePemBytes(bytes: Uint8Array): boolean {
  // PEM may start with text before the first block (e.g. "Bag Attributes" from openssl pkcs12).
  const head = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  return bytes[0] !== 0x30 && looksLikePem(head);
}

async function readCertificateFile(path: string, credentialName: string): Promise<Uint8Array> {
  let readFile: (path: string) => Promise<Uint8Array>;
  try {
    ({ readFile } = await importNodeBuiltin<typeof import("node:fs/promises")>("fs/promises"));
  } catch (error) {
    throw new CredentialUnavailableError(
      `${credentialName}: this runtime cannot read files ("node:fs/promises" is unavailable). Pass the certificate's contents as { certificate } instead of a path.`,
      { cause: error },
    );
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code ?? "error";
    throw new CredentialUnavailableError(
      `${credentialName}: cannot read the certificate file "${path}" (${code}). Check that the path is right and readable by this process.`,
      { cause: error },
    );
  }
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out.toUpperCase();
}
