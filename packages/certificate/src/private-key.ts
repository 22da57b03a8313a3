/**
 * RSA private keys: PKCS#8 checked (RSA only), PKCS#1 wrapped into PKCS#8, and encrypted PKCS#8
 * (`ENCRYPTED PRIVATE KEY`) decrypted with PBES2 — PBKDF2 and AES-CBC through WebCrypto, so the
 * in-memory path stays portable; a 3DES-encrypted key falls back to `node:crypto`, loaded only then.
 * Private to this package.
 */
import { DerError, TAG, bufferSource, concat, content, encode, encodeOid, expect, octets, oid, readRoot, sequence, smallInteger, unsignedInteger } from "./der.js";
import type { DerNode } from "./der.js";
import { importNodeBuiltin } from "./node-builtin.js";
import { OID, keyAlgorithmName } from "./x509.js";

/** An RSA private key as PKCS#8 DER, with its modulus (to pair it with a certificate). */
export interface RsaPrivateKey {
  readonly pkcs8: Uint8Array;
  readonly modulus: Uint8Array;
}

/** Thrown for a key that is not RSA; the message names the algorithm found. */
export class KeyTypeError extends Error {
  override readonly name = "KeyTypeError";
  constructor(readonly algorithm: string) {
    super(`the private key is ${algorithm}`);
  }
}

/** Thrown when a password is missing or wrong. */
export class PasswordError extends Error {
  override readonly name = "PasswordError";
  constructor(readonly missing: boolean) {
    super(missing ? "the key is encrypted and no password was given" : "the password does not decrypt the key");
  }
}

/** Thrown for an encryption scheme this package does not implement. */
export class UnsupportedEncryptionError extends Error {
  override readonly name = "UnsupportedEncryptionError";
}

/** Checks a PKCS#8 `PrivateKeyInfo` and returns the RSA key in it. */
export function rsaKeyFromPkcs8(der: Uint8Array): RsaPrivateKey {
  const info = sequence(readRoot(der), "a PrivateKeyInfo");
  smallInteger(info[0], "the PrivateKeyInfo version");
  const algorithm = oid(sequence(info[1], "an AlgorithmIdentifier")[0]);
  if (algorithm !== OID.rsaEncryption) throw new KeyTypeError(keyAlgorithmName(algorithm));
  return { pkcs8: der, modulus: rsaModulus(octets(info[2], "the private key OCTET STRING")) };
}

/** Wraps a PKCS#1 `RSAPrivateKey` into PKCS#8. */
export function rsaKeyFromPkcs1(der: Uint8Array): RsaPrivateKey {
  const modulus = rsaModulus(der);
  const algorithm = encode(TAG.SEQUENCE, concat([encodeOid(OID.rsaEncryption), Uint8Array.from([TAG.NULL, 0])]));
  const pkcs8 = encode(TAG.SEQUENCE, concat([Uint8Array.from([TAG.INTEGER, 1, 0]), algorithm, encode(TAG.OCTET_STRING, der)]));
  return { pkcs8, modulus };
}

function rsaModulus(pkcs1: Uint8Array): Uint8Array {
  const key = sequence(readRoot(pkcs1), "an RSAPrivateKey");
  if (key.length < 9) throw new DerError("an RSAPrivateKey has nine fields");
  return unsignedInteger(key[1], "the RSA modulus");
}

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const PRF: Record<string, string> = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};
const AES_CBC: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 16,
  "2.16.840.1.101.3.4.1.22": 24,
  "2.16.840.1.101.3.4.1.42": 32,
};
const DES_EDE3_CBC = "1.2.840.113549.3.7";
/** Refuse absurd iteration counts (a crafted file could otherwise pin a CPU for minutes). */
export const MAX_ITERATIONS = 10_000_000;

/** Decrypts an `EncryptedPrivateKeyInfo` (PBES2) and returns the RSA key inside. */
export async function decryptPkcs8(der: Uint8Array, password: string | undefined): Promise<RsaPrivateKey> {
  const info = sequence(readRoot(der), "an EncryptedPrivateKeyInfo");
  const algorithm = sequence(info[0], "an AlgorithmIdentifier");
  const scheme = oid(algorithm[0]);
  if (scheme !== PBES2) {
    throw new UnsupportedEncryptionError(
      `the key is encrypted with OID ${scheme}, not PBES2; re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key.encrypted.pem`,
    );
  }
  if (password === undefined) throw new PasswordError(true);
  const plain = await decryptPbes2(algorithm[1], octets(info[1], "the encrypted key"), new TextEncoder().encode(password));
  return parseDecryptedPkcs8(plain);
}

/** Parses a decrypted PKCS#8 blob; garbage after a wrong password that slipped past the padding check → `PasswordError`. */
export function parseDecryptedPkcs8(plain: Uint8Array): RsaPrivateKey {
  try {
    return rsaKeyFromPkcs8(plain);
  } catch (error) {
    if (error instanceof DerError) throw new PasswordError(false);
    throw error;
  }
}

/** PBES2 (RFC 8018): PBKDF2 with HMAC-SHA-1/256/384/512 and AES-CBC (WebCrypto) or 3DES-CBC (`node:crypto`). */
export async function decryptPbes2(parameters: DerNode | undefined, data: Uint8Array, password: Uint8Array): Promise<Uint8Array> {
  const [kdf, cipher] = sequence(parameters, "PBES2 parameters");
  const kdfParts = sequence(kdf, "a key derivation function");
  if (oid(kdfParts[0]) !== PBKDF2) throw new UnsupportedEncryptionError("the key derivation function is not PBKDF2");
  const pbkdf2 = sequence(kdfParts[1], "PBKDF2 parameters");
  const salt = content(expect(pbkdf2[0], TAG.OCTET_STRING, "a PBKDF2 salt"));
  const iterations = smallInteger(pbkdf2[1], "the PBKDF2 iteration count");
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new UnsupportedEncryptionError(`the PBKDF2 iteration count ${iterations} is out of range`);
  let index = 2;
  if (pbkdf2[index]?.tag === TAG.INTEGER) index += 1; // keyLength: implied by the cipher
  const prfOid = pbkdf2[index] === undefined ? "1.2.840.113549.2.7" : oid(sequence(pbkdf2[index], "a PBKDF2 PRF")[0]);
  const hash = PRF[prfOid];
  if (hash === undefined) throw new UnsupportedEncryptionError(`the PBKDF2 PRF ${prfOid} is not supported`);
  const cipherParts = sequence(cipher, "an encryption scheme");
  const cipherOid = oid(cipherParts[0]);
  const iv = content(expect(cipherParts[1], TAG.OCTET_STRING, "a cipher IV"));
  const subtle = globalThis.crypto.subtle;
  const keyLength = AES_CBC[cipherOid] ?? (cipherOid === DES_EDE3_CBC ? 24 : undefined);
  if (keyLength === undefined) throw new UnsupportedEncryptionError(`the cipher ${cipherOid} is not supported (use AES-CBC)`);
  const base = await subtle.importKey("raw", bufferSource(password), "PBKDF2", false, ["deriveBits"]);
  const keyBits = new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", salt: bufferSource(salt), iterations, hash }, base, keyLength * 8));
  if (cipherOid === DES_EDE3_CBC) return decryptNode("des-ede3-cbc", keyBits, iv, data);
  if (iv.length !== 16) throw new DerError("an AES-CBC IV has 16 bytes");
  const key = await subtle.importKey("raw", keyBits, "AES-CBC", false, ["decrypt"]);
  try {
    return new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: bufferSource(iv) }, key, bufferSource(data)));
  } catch {
    throw new PasswordError(false); // bad padding: the wrong key
  }
}

/** A block cipher through `node:crypto` (imported only when such a file is met). */
export async function decryptNode(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const { createDecipheriv } = await importNodeBuiltin<typeof import("node:crypto")>("crypto");
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new PasswordError(false);
  }
}

/** A traditional OpenSSL-encrypted PEM key (`Proc-Type: 4,ENCRYPTED`), decrypted by `node:crypto`. */
export async function decryptLegacyPem(pem: string, password: string | undefined): Promise<RsaPrivateKey> {
  if (password === undefined) throw new PasswordError(true);
  const { createPrivateKey } = await importNodeBuiltin<typeof import("node:crypto")>("crypto");
  let der: Uint8Array;
  try {
    der = createPrivateKey({ key: pem, format: "pem", passphrase: password }).export({ type: "pkcs8", format: "der" });
  } catch {
    throw new PasswordError(false);
  }
  return rsaKeyFromPkcs8(new Uint8Array(der));
}
