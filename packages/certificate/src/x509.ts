/**
 * The parts of an X.509 certificate the credential needs: its DER (for thumbprints and `x5c`), its public
 * key algorithm and RSA modulus (to refuse non-RSA keys and to pair it with the private key), and its
 * validity end (to warn about an expired certificate). Private to this package.
 */
import { DerError, TAG, children, content, expect, oid, readNode, readRoot, sequence, unsignedInteger } from "./der.js";
import type { DerNode } from "./der.js";

export const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
  dsa: "1.2.840.10040.4.1",
} as const;

/** A human name for a key algorithm OID, for error messages. */
export function keyAlgorithmName(algorithm: string): string {
  switch (algorithm) {
    case OID.rsaEncryption:
      return "RSA";
    case OID.rsassaPss:
      return "RSA-PSS (restricted)";
    case OID.ecPublicKey:
      return "EC";
    case OID.ed25519:
      return "Ed25519";
    case OID.ed448:
      return "Ed448";
    case OID.dsa:
      return "DSA";
    default:
      return `OID ${algorithm}`;
  }
}

export interface ParsedX509 {
  /** The certificate's DER encoding. */
  readonly der: Uint8Array;
  /** The public key algorithm OID. */
  readonly keyAlgorithm: string;
  /** The RSA modulus (no leading zeros), when the key is RSA. */
  readonly modulus: Uint8Array | undefined;
  /** End of validity, milliseconds since the epoch (undefined if unparsable). */
  readonly notAfter: number | undefined;
}

/** Parses a DER certificate; throws `DerError` when it is not one. */
export function parseX509(der: Uint8Array): ParsedX509 {
  const certificate = sequence(readRoot(der), "a certificate SEQUENCE");
  const tbs = sequence(certificate[0], "a TBSCertificate");
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, …
  const first = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const validity = sequence(tbs[first + 3], "a Validity");
  const spki = sequence(tbs[first + 5], "a SubjectPublicKeyInfo");
  const algorithm = oid(sequence(spki[0], "an AlgorithmIdentifier")[0]);
  let modulus: Uint8Array | undefined;
  if (algorithm === OID.rsaEncryption) {
    const bits = content(expect(spki[1], TAG.BIT_STRING, "a public key BIT STRING"));
    if (bits[0] !== 0) throw new DerError("unexpected unused bits in the public key");
    const publicKey = readNode(bits.subarray(1));
    modulus = unsignedInteger(children(expect(publicKey, TAG.SEQUENCE, "an RSAPublicKey"))[0], "the RSA modulus");
  }
  return { der, keyAlgorithm: algorithm, modulus, notAfter: parseTime(validity[1]) };
}

/** UTCTime (0x17) or GeneralizedTime (0x18), `…Z` form, to epoch milliseconds. */
function parseTime(node: DerNode | undefined): number | undefined {
  if (node === undefined || (node.tag !== 0x17 && node.tag !== 0x18)) return undefined;
  const text = new TextDecoder().decode(content(node));
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  let year = Number(match[1]);
  if (match[1]!.length === 2) year += year >= 50 ? 1900 : 2000;
  return Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]));
}
