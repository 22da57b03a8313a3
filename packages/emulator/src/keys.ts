/**
 * RSA key pairs and the emulator's token-signing key. Keys are generated once, at start, in libuv's thread
 * pool (in parallel); signing also runs in the pool (`crypto.sign` with a callback) so both cores sign.
 */
import { createHash, generateKeyPair, sign, type KeyObject } from "node:crypto";
import { createCertificate, type GeneratedCertificate } from "./x509.js";

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export function generateRsaKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048 }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ publicKey, privateKey });
    });
  });
}

export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

export interface Jwk {
  kty: "RSA";
  use: "sig";
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

/** The key that signs every token the emulator issues, with its self-signed certificate (for `x5c`/`x5t`). */
export class SigningKey {
  readonly kid: string;
  readonly certificate: GeneratedCertificate;
  private readonly headerCache = new Map<string, string>();

  constructor(private readonly pair: KeyPair) {
    this.certificate = createCertificate({
      subject: "id-emulator token signing",
      publicKey: pair.publicKey,
      signingKey: pair.privateKey,
      days: 3650,
    });
    // Entra's kid equals x5t: base64url of the certificate's SHA-1.
    this.kid = base64url(createHash("sha1").update(this.certificate.der).digest());
  }

  get publicKey(): KeyObject {
    return this.pair.publicKey;
  }

  private exported: { n: string; e: string } | undefined;

  jwk(issuer?: string): Jwk {
    const exported = (this.exported ??= this.pair.publicKey.export({ format: "jwk" }) as { n: string; e: string });
    const jwk: Jwk = {
      kty: "RSA",
      use: "sig",
      kid: this.kid,
      x5t: this.kid,
      n: exported.n,
      e: exported.e,
      x5c: [this.certificate.der.toString("base64")],
    };
    if (issuer !== undefined) jwk.issuer = issuer;
    return jwk;
  }

  private encodedHeader(typ: string): string {
    let header = this.headerCache.get(typ);
    if (header === undefined) {
      header = base64url(JSON.stringify({ typ, alg: "RS256", x5t: this.kid, kid: this.kid }));
      this.headerCache.set(typ, header);
    }
    return header;
  }

  /** Signs a JWT (RS256) in the thread pool. */
  signJwt(payload: Record<string, unknown>, typ = "JWT"): Promise<string> {
    const signingInput = `${this.encodedHeader(typ)}.${base64url(JSON.stringify(payload))}`;
    return new Promise((resolve, reject) => {
      sign("sha256", Buffer.from(signingInput), this.pair.privateKey, (error, signature) => {
        if (error) reject(error);
        else resolve(`${signingInput}.${base64url(signature)}`);
      });
    });
  }

  /** Signs a JWT synchronously (for the few places that must stay synchronous, such as `env()`). */
  signJwtSync(payload: Record<string, unknown>, typ = "JWT"): string {
    const signingInput = `${this.encodedHeader(typ)}.${base64url(JSON.stringify(payload))}`;
    return `${signingInput}.${base64url(sign("sha256", Buffer.from(signingInput), this.pair.privateKey))}`;
  }
}

/**
 * The emulator's signing keys: the current one signs; after rotateSigningKey() the previous one stays in the
 * JWKS and keeps verifying until the next rotation (as Entra publishes upcoming and retiring keys together).
 */
export class KeyRing {
  private previous: SigningKey | undefined;

  constructor(private current: SigningKey) {}

  signJwt(payload: Record<string, unknown>, typ?: string): Promise<string> {
    return this.current.signJwt(payload, typ);
  }

  signJwtSync(payload: Record<string, unknown>, typ?: string): string {
    return this.current.signJwtSync(payload, typ);
  }

  /** JWKS entries, current key first. */
  jwks(issuer?: string): Jwk[] {
    return [this.current.jwk(issuer), ...(this.previous ? [this.previous.jwk(issuer)] : [])];
  }

  /** The public key for a token's `kid`, or undefined when the kid is not one of ours. */
  publicKeyFor(kid: unknown): KeyObject | undefined {
    if (kid === this.current.kid) return this.current.publicKey;
    if (this.previous && kid === this.previous.kid) return this.previous.publicKey;
    return undefined;
  }

  get kid(): string {
    return this.current.kid;
  }

  rotate(next: SigningKey): void {
    this.previous = this.current;
    this.current = next;
  }
}
