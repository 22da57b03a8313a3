/**
 * A minimal PKCS#12 (PFX, RFC 7292) reader: verifies the integrity MAC (HMAC-SHA-1/256/384/512 with the
 * PKCS#12 key derivation), decrypts encrypted safe contents and shrouded key bags — PBES2 (PBKDF2 +
 * AES-CBC, the OpenSSL 3 and Windows Server 2019+ default) and the legacy PKCS#12 PBEs (SHA-1 with
 * 3-key/2-key 3DES, 40/128-bit RC2) — and returns the certificates and the private key bags.
 * Imported with a dynamic `import()` only when a PFX is given; uses `node:crypto` (also loaded lazily) for
 * hashes, HMAC and 3DES, and its own RC2. Private to this package.
 */
import { DerError, TAG, children, concat, content, equalBytes, expect, octets, oid, readNode, readRoot, sequence, smallInteger } from "./der.js";
import type { DerNode } from "./der.js";
import { MAX_ITERATIONS, PasswordError, UnsupportedEncryptionError, decryptNode, decryptPbes2, parseDecryptedPkcs8, rsaKeyFromPkcs8 } from "./private-key.js";
import type { RsaPrivateKey } from "./private-key.js";
import { importNodeBuiltin } from "./node-builtin.js";
import { rc2CbcDecrypt } from "./rc2.js";

const DATA = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA = "1.2.840.113549.1.7.6";
const KEY_BAG = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG = "1.2.840.113549.1.12.10.1.3";
const SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6";
const X509_CERTIFICATE = "1.2.840.113549.1.9.22.1";
const PBES2 = "1.2.840.113549.1.5.13";
const PBMAC1 = "1.2.840.113549.1.5.14";

const HASHES: Record<string, { name: string; length: number; block: number }> = {
  "1.3.14.3.2.26": { name: "sha1", length: 20, block: 64 },
  "2.16.840.1.101.3.4.2.4": { name: "sha224", length: 28, block: 64 },
  "2.16.840.1.101.3.4.2.1": { name: "sha256", length: 32, block: 64 },
  "2.16.840.1.101.3.4.2.2": { name: "sha384", length: 48, block: 128 },
  "2.16.840.1.101.3.4.2.3": { name: "sha512", length: 64, block: 128 },
};
const SHA1 = HASHES["1.3.14.3.2.26"]!;

/** PKCS#12 PBE schemes (RFC 7292 Appendix C): cipher, key length, RC2 effective bits. */
const PKCS12_PBE: Record<string, { cipher: "des-ede3-cbc" | "des-ede-cbc" | "rc2"; keyLength: number }> = {
  "1.2.840.113549.1.12.1.3": { cipher: "des-ede3-cbc", keyLength: 24 },
  "1.2.840.113549.1.12.1.4": { cipher: "des-ede-cbc", keyLength: 16 },
  "1.2.840.113549.1.12.1.5": { cipher: "rc2", keyLength: 16 },
  "1.2.840.113549.1.12.1.6": { cipher: "rc2", keyLength: 5 },
};

export interface Pkcs12Contents {
  /** DER certificates in file order. */
  readonly certificates: Uint8Array[];
  /** The RSA private keys found (non-RSA keys throw `KeyTypeError`). */
  readonly keys: RsaPrivateKey[];
}

type NodeCrypto = typeof import("node:crypto");

/**
 * Reads a PFX. Throws `PasswordError` for a wrong (or missing) password, `UnsupportedEncryptionError`
 * for a scheme not implemented, `DerError` for a file that is not PKCS#12, `KeyTypeError` for a non-RSA key.
 */
export async function readPkcs12(der: Uint8Array, password: string | undefined): Promise<Pkcs12Contents> {
  const crypto = await importNodeBuiltin<NodeCrypto>("crypto");
  const pfx = sequence(readRoot(der), "a PFX");
  if (smallInteger(pfx[0], "the PFX version") !== 3) throw new DerError("not a version 3 PFX");
  const authSafe = contentInfo(pfx[1]);
  if (authSafe.type !== DATA) throw new UnsupportedEncryptionError("PFX files protected by public-key integrity are not supported; export with a password");
  const authSafeBytes = octets(authSafe.content, "the AuthenticatedSafe");
  const passwords = passwordCandidates(password);
  let pbeBytes = passwords[0] as Uint8Array;
  if (pfx[2] !== undefined) pbeBytes = verifyMac(crypto, pfx[2], authSafeBytes, passwords);
  const utf8 = new TextEncoder().encode(password ?? "");
  const certificates: Uint8Array[] = [];
  const keys: RsaPrivateKey[] = [];
  for (const info of sequence(readRoot(authSafeBytes), "an AuthenticatedSafe")) {
    const { type, content: body } = contentInfo(info);
    let safeContents: Uint8Array;
    if (type === DATA) safeContents = octets(body, "SafeContents");
    else if (type === ENCRYPTED_DATA) safeContents = await decryptEncryptedData(crypto, body, pbeBytes, utf8);
    else throw new UnsupportedEncryptionError(`PFX content type ${type} is not supported (enveloped data needs a recipient key)`);
    await readSafeContents(crypto, safeContents, pbeBytes, utf8, certificates, keys, 0);
  }
  return { certificates, keys };
}

function contentInfo(node: DerNode | undefined): { type: string; content: DerNode | undefined } {
  const parts = sequence(node, "a ContentInfo");
  const type = oid(parts[0]);
  const explicit = parts[1];
  if (explicit === undefined) return { type, content: undefined };
  if (explicit.tag !== 0xa0) throw new DerError("expected [0] content");
  return { type, content: children(explicit)[0] };
}

/** The password as PKCS#12 wants it (BMPString, NUL-terminated); an empty password also tried as no bytes. */
function passwordCandidates(password: string | undefined): Uint8Array[] {
  const text = password ?? "";
  const bmp = new Uint8Array(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    bmp[i * 2] = code >> 8;
    bmp[i * 2 + 1] = code & 0xff;
  }
  return text.length === 0 ? [bmp, new Uint8Array(0)] : [bmp];
}

function verifyMac(crypto: NodeCrypto, macDataNode: DerNode, data: Uint8Array, passwords: Uint8Array[]): Uint8Array {
  const macData = sequence(macDataNode, "MacData");
  const digestInfo = sequence(macData[0], "a DigestInfo");
  const algorithm = oid(sequence(digestInfo[0], "a digest AlgorithmIdentifier")[0]);
  if (algorithm === PBMAC1) throw new UnsupportedEncryptionError("PBMAC1 integrity is not supported; export with an HMAC-SHA-256 MAC");
  const hash = HASHES[algorithm];
  if (hash === undefined) throw new UnsupportedEncryptionError(`the PFX MAC digest ${algorithm} is not supported`);
  const expected = content(expect(digestInfo[1], TAG.OCTET_STRING, "the MAC digest"));
  const salt = content(expect(macData[1], TAG.OCTET_STRING, "the MAC salt"));
  const iterations = macData[2] === undefined ? 1 : checkIterations(smallInteger(macData[2], "the MAC iteration count"));
  for (const password of passwords) {
    const key = pkcs12Kdf(crypto, hash, password, salt, iterations, 3, hash.length);
    const mac = crypto.createHmac(hash.name, key).update(data).digest();
    if (equalBytes(new Uint8Array(mac), expected)) return password;
  }
  throw new PasswordError(passwords[0]!.length === 2);
}

function checkIterations(iterations: number): number {
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new UnsupportedEncryptionError(`the iteration count ${iterations} is out of range`);
  return iterations;
}

/** RFC 7292 Appendix B.2: the PKCS#12 key derivation (id 1 key, 2 IV, 3 MAC key). */
export function pkcs12Kdf(
  crypto: NodeCrypto,
  hash: { name: string; length: number; block: number },
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  id: 1 | 2 | 3,
  length: number,
): Uint8Array {
  const v = hash.block;
  const D = new Uint8Array(v).fill(id);
  const stretch = (input: Uint8Array): Uint8Array => {
    const out = new Uint8Array(v * Math.ceil(input.length / v));
    for (let i = 0; i < out.length; i++) out[i] = input[i % input.length] as number;
    return out;
  };
  const I = concat([salt.length > 0 ? stretch(salt) : salt, password.length > 0 ? stretch(password) : password]);
  const blocks: Uint8Array[] = [];
  let produced = 0;
  while (produced < length) {
    let A = new Uint8Array(crypto.createHash(hash.name).update(D).update(I).digest());
    for (let i = 1; i < iterations; i++) A = new Uint8Array(crypto.createHash(hash.name).update(A).digest());
    blocks.push(A);
    produced += A.length;
    if (produced >= length) break;
    const B = new Uint8Array(v);
    for (let i = 0; i < v; i++) B[i] = A[i % A.length] as number;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return concat(blocks).subarray(0, length);
}

async function decryptWith(crypto: NodeCrypto, algorithmNode: DerNode | undefined, data: Uint8Array, bmp: Uint8Array, utf8: Uint8Array): Promise<Uint8Array> {
  const algorithm = sequence(algorithmNode, "an encryption AlgorithmIdentifier");
  const scheme = oid(algorithm[0]);
  if (scheme === PBES2) return decryptPbes2(algorithm[1], data, utf8);
  const pbe = PKCS12_PBE[scheme];
  if (pbe === undefined) throw new UnsupportedEncryptionError(`the PFX encryption ${scheme} is not supported (RC4 and PBES1 are not); re-export with AES-256`);
  const params = sequence(algorithm[1], "PBE parameters");
  const salt = content(expect(params[0], TAG.OCTET_STRING, "a PBE salt"));
  const iterations = checkIterations(smallInteger(params[1], "the PBE iteration count"));
  const key = pkcs12Kdf(crypto, SHA1, bmp, salt, iterations, 1, pbe.keyLength);
  const iv = pkcs12Kdf(crypto, SHA1, bmp, salt, iterations, 2, 8);
  if (pbe.cipher === "rc2") {
    const plain = rc2CbcDecrypt(key, iv, data);
    if (plain === undefined) throw new PasswordError(false);
    return plain;
  }
  return decryptNode(pbe.cipher, key, iv, data);
}

async function decryptEncryptedData(crypto: NodeCrypto, node: DerNode | undefined, bmp: Uint8Array, utf8: Uint8Array): Promise<Uint8Array> {
  const encryptedData = sequence(node, "EncryptedData");
  const info = sequence(encryptedData[1], "EncryptedContentInfo");
  const encrypted = info[2];
  if (encrypted === undefined) throw new DerError("EncryptedContentInfo has no content");
  // [0] IMPLICIT OCTET STRING: primitive (0x80) or constructed (0xa0, BER).
  let data: Uint8Array;
  if (encrypted.tag === 0x80) data = content(encrypted);
  else if (encrypted.tag === 0xa0) data = concat(children(encrypted).map((child) => octets(child)));
  else throw new DerError("expected [0] encrypted content");
  return decryptWith(crypto, info[1], data, bmp, utf8);
}

async function readSafeContents(
  crypto: NodeCrypto,
  bytes: Uint8Array,
  bmp: Uint8Array,
  utf8: Uint8Array,
  certificates: Uint8Array[],
  keys: RsaPrivateKey[],
  depth: number,
): Promise<void> {
  if (depth > 4) throw new DerError("SafeContents nested too deep");
  for (const bagNode of sequence(readRoot(bytes), "SafeContents")) {
    const bag = sequence(bagNode, "a SafeBag");
    const type = oid(bag[0]);
    const valueHolder = bag[1];
    if (valueHolder?.tag !== 0xa0) throw new DerError("expected a [0] bag value");
    const value = children(valueHolder)[0];
    if (type === CERT_BAG) {
      const certBag = sequence(value, "a CertBag");
      if (oid(certBag[0]) !== X509_CERTIFICATE) continue; // SDSI certificates: not used
      const holder = certBag[1];
      if (holder?.tag !== 0xa0) throw new DerError("expected a [0] certificate value");
      certificates.push(octets(children(holder)[0], "a DER certificate").slice());
    } else if (type === KEY_BAG) {
      if (value === undefined) throw new DerError("empty key bag");
      keys.push(rsaKeyFromPkcs8(encodingOf(value)));
    } else if (type === SHROUDED_KEY_BAG) {
      const shrouded = sequence(value, "an EncryptedPrivateKeyInfo");
      const plain = await decryptWith(crypto, shrouded[0], octets(shrouded[1], "the encrypted key"), bmp, utf8);
      keys.push(parseDecryptedPkcs8(plain));
    } else if (type === SAFE_CONTENTS_BAG) {
      if (value === undefined) continue;
      await readSafeContents(crypto, encodingOf(value), bmp, utf8, certificates, keys, depth + 1);
    }
    // CRL and secret bags are ignored.
  }
}

function encodingOf(node: DerNode): Uint8Array {
  const copy = node.bytes.slice(node.start, node.end);
  readNode(copy); // sanity: still one element
  return copy;
}
