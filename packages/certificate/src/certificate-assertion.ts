/**
 * The signed client assertion (protocols.md §1.6): a JWT for the token endpoint, signed with the
 * certificate's RSA key through jose (WebCrypto). PS256 with `x5t#S256` by default, RS256 with `x5t` on
 * request; `x5c` (leaf first) when the certificate chain is sent for subject-name/issuer authentication.
 *
 * `createCertificateAuthenticator` is the reusable piece: the certificate credential and the
 * on-behalf-of credential both hand its `authenticate` to their token requests.
 */
import { InvalidArgumentError, getLogger } from "@id/core";
import { CLIENT_ASSERTION_TYPE } from "@id/entra";
import type { ClientAuthentication } from "@id/entra";
import { bufferSource } from "./der.js";
import { prepareSource } from "./certificate-source.js";
import type { CertificateSource, LoadedCertificate } from "./certificate-source.js";

/** The assertion signature algorithm: `PS256` (RSASSA-PSS, Entra's current recommendation) or `RS256`. */
export type CertificateSigningAlgorithm = "PS256" | "RS256";

/** Lifetime of a signed assertion, seconds (MSAL: 600). */
export const ASSERTION_LIFETIME_SECONDS = 600;

export interface CertificateAuthenticatorOptions {
  /** The application (client) id: `iss` and `sub` of the assertion. */
  clientId: string;
  /** Default `PS256` (with `x5t#S256`); `RS256` uses `x5t`. */
  signingAlgorithm?: CertificateSigningAlgorithm | undefined;
  /** Adds `x5c` (the certificate chain) to the header, for subject name + issuer authentication. Default false. */
  sendCertificateChain?: boolean | undefined;
  /** Prefixes error messages and log lines. */
  credentialName: string;
}

/** Produces the client-authentication form fields from a certificate. */
export interface CertificateAuthenticator {
  /** Parses the certificate (once) and returns its identity hash: sha256 of thumbprint and key identity. */
  credentialHash(): Promise<string>;
  /** Parses the certificate (once) and returns its SHA-1/SHA-256 thumbprints. */
  thumbprints(): Promise<{ sha1: string; sha256: string }>;
  /** A freshly signed assertion for `tokenEndpoint` as `{ client_assertion_type, client_assertion }`. */
  authenticate(context: { tokenEndpoint: string }): Promise<ClientAuthentication>;
}

const logger = getLogger("certificate");

interface Signer {
  loaded: LoadedCertificate;
  key: CryptoKey;
  SignJWT: typeof import("jose").SignJWT;
}

/**
 * Validates the certificate source (in-memory PEM is parsed now: a `TypeError` for a malformed PEM, a
 * missing key or a non-RSA key) and returns an authenticator that signs assertions with it.
 */
export function createCertificateAuthenticator(source: CertificateSource, options: CertificateAuthenticatorOptions): CertificateAuthenticator {
  const { clientId, credentialName } = options;
  const algorithm = options.signingAlgorithm ?? "PS256";
  if (algorithm !== "PS256" && algorithm !== "RS256") {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: "signingAlgorithm" must be "PS256" or "RS256".`);
  }
  if (options.sendCertificateChain !== undefined && typeof options.sendCertificateChain !== "boolean") {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: "sendCertificateChain" must be a boolean.`);
  }
  const sendChain = options.sendCertificateChain === true;
  const prepared = prepareSource(source, credentialName);
  let signer: Promise<Signer> | undefined;

  function ready(): Promise<Signer> {
    signer ??= (async () => {
      // jose is loaded on first use: importing this package costs no jose module graph (~30 ms cold).
      const [loaded, { SignJWT }] = await Promise.all([prepared.load(), import("jose")]);
      const key = await globalThis.crypto.subtle.importKey(
        "pkcs8",
        bufferSource(loaded.pkcs8),
        algorithm === "PS256" ? { name: "RSA-PSS", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        false,
        ["sign"],
      );
      if (loaded.notAfter !== undefined && loaded.notAfter < Date.now()) {
        logger.warning(`${credentialName}: the certificate ${loaded.thumbprintSha1} expired on ${new Date(loaded.notAfter).toISOString()}; Entra will refuse it.`);
      }
      logger.info(`${credentialName}: using certificate ${loaded.thumbprintSha1} (${algorithm}${sendChain ? ", with x5c" : ""}).`);
      return { loaded, key, SignJWT };
    })().catch((error: unknown) => {
      signer = undefined;
      throw error;
    });
    return signer;
  }

  return Object.freeze({
    async credentialHash() {
      return (await ready()).loaded.identityHash;
    },
    async thumbprints() {
      const { loaded } = await ready();
      return { sha1: loaded.thumbprintSha1, sha256: loaded.thumbprintSha256 };
    },
    async authenticate({ tokenEndpoint }: { tokenEndpoint: string }) {
      const { loaded, key, SignJWT } = await ready();
      const header: Record<string, unknown> & { alg: string } = { alg: algorithm, typ: "JWT" };
      if (algorithm === "PS256") header["x5t#S256"] = loaded.x5tS256;
      else header["x5t"] = loaded.x5t;
      if (sendChain) header["x5c"] = [...loaded.x5c];
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader(header)
        .setAudience(tokenEndpoint)
        .setIssuer(clientId)
        .setSubject(clientId)
        .setJti(globalThis.crypto.randomUUID())
        .setNotBefore(now)
        .setIssuedAt(now)
        .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
        .sign(key);
      return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
    },
  });
}
