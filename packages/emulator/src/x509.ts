/**
 * X.509 v3 certificates built with the DER encoder in `der.ts` and signed with node:crypto
 * (sha256WithRSAEncryption). Enough for a test CA, a TLS server certificate for localhost, self-signed
 * certificates for Service Fabric and for client-certificate apps, and the JWKS `x5c` of the signing key.
 */
import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import * as der from "./der.js";

const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const COMMON_NAME = "2.5.4.3";
const ORGANIZATION = "2.5.4.10";

export interface CertificateRequest {
  /** Subject common name. */
  subject: string;
  /** The subject's public key. */
  publicKey: KeyObject;
  /** Key that signs the certificate (the issuer's private key; the subject's own for self-signed). */
  signingKey: KeyObject;
  /** Issuer common name; defaults to `subject` (self-signed). */
  issuer?: string;
  /** Issuer public key, for the authority key identifier; defaults to `publicKey`. */
  issuerPublicKey?: KeyObject;
  /** A certificate authority (basicConstraints CA:TRUE, keyCertSign). */
  isCA?: boolean;
  /** DNS names and IP addresses for subjectAltName (server certificates). */
  altNames?: string[];
  /** Validity in days from one hour ago, default 365. */
  days?: number;
}

export interface GeneratedCertificate {
  pem: string;
  der: Buffer;
  /** SHA-1 of the DER, upper-case hex (the "thumbprint" Azure tools show). */
  thumbprintSha1: string;
  /** SHA-256 of the DER, upper-case hex. */
  thumbprintSha256: string;
}

function name(commonName: string): Buffer {
  return der.sequence(
    der.set(der.sequence(der.oid(ORGANIZATION), der.utf8String("@id emulator"))),
    der.set(der.sequence(der.oid(COMMON_NAME), der.utf8String(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(id), der.octetString(value));
}

/** SHA-1 over the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2 method 1), approximated over the SPKI. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash("sha1").update(spkiOf(publicKey)).digest();
}

function altName(value: string): Buffer {
  if (isIP(value) === 4) return der.implicitPrimitive(7, Buffer.from(value.split(".").map((p) => Number(p))));
  if (isIP(value) === 6) return der.implicitPrimitive(7, ipv6Bytes(value));
  return der.implicitPrimitive(2, Buffer.from(value, "ascii"));
}

function ipv6Bytes(address: string): Buffer {
  const [head = "", tail = ""] = address.split("::");
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = address.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array.from({ length: address.includes("::") ? missing : 0 }, () => "0"), ...tailParts];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  return out;
}

function subjectAltNames(names: string[]): Buffer {
  return der.sequence(...names.map(altName));
}

function pemOf(derBytes: Buffer): string {
  const b64 = derBytes.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Builds and signs one certificate. */
export function createCertificate(request: CertificateRequest): GeneratedCertificate {
  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000);
  const notAfter = new Date(now + (request.days ?? 365) * 24 * 60 * 60 * 1000);
  const algorithm = der.sequence(der.oid(SHA256_WITH_RSA), der.nullValue());
  const issuerKey = request.issuerPublicKey ?? request.publicKey;

  const extensions: Buffer[] = [];
  if (request.isCA) {
    extensions.push(extension("2.5.29.19", true, der.sequence(der.boolean(true))));
    extensions.push(extension("2.5.29.15", true, der.bitString(Buffer.from([0x06]), 1))); // keyCertSign, cRLSign
  } else {
    extensions.push(extension("2.5.29.19", true, der.sequence()));
    extensions.push(extension("2.5.29.15", true, der.bitString(Buffer.from([0xa0]), 5))); // digitalSignature, keyEncipherment
    extensions.push(
      extension("2.5.29.37", false, der.sequence(der.oid("1.3.6.1.5.5.7.3.1"), der.oid("1.3.6.1.5.5.7.3.2"))),
    );
  }
  extensions.push(extension("2.5.29.14", false, der.octetString(keyIdentifier(request.publicKey))));
  extensions.push(
    extension("2.5.29.35", false, der.sequence(der.implicitPrimitive(0, keyIdentifier(issuerKey)))),
  );
  if (request.altNames && request.altNames.length > 0) {
    extensions.push(extension("2.5.29.17", false, subjectAltNames(request.altNames)));
  }

  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(serial),
    algorithm,
    name(request.issuer ?? request.subject),
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name(request.subject),
    spkiOf(request.publicKey),
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, request.signingKey);
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  return {
    pem: pemOf(certificate),
    der: certificate,
    thumbprintSha1: createHash("sha1").update(certificate).digest("hex").toUpperCase(),
    thumbprintSha256: createHash("sha256").update(certificate).digest("hex").toUpperCase(),
  };
}

function spkiOf(key: KeyObject): Buffer {
  const pub = key.type === "public" ? key : createPublicKey(key);
  return pub.export({ type: "spki", format: "der" });
}
