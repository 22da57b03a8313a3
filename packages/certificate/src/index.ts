export { ClientCertificateCredential, ClientCertificateCredential as CertificateCredential } from "./client-certificate-credential.js";
export type {
  ClientCertificateCredentialOptions,
  ClientCertificateCredentialOptions as CertificateCredentialOptions,
  ClientCertificateCredentialPEMConfiguration,
  ClientCertificatePEMCertificate,
  ClientCertificatePEMCertificatePath,
} from "./client-certificate-credential.js";
export { ASSERTION_LIFETIME_SECONDS, createCertificateAuthenticator } from "./certificate-assertion.js";
export type { CertificateAuthenticator, CertificateAuthenticatorOptions, CertificateSigningAlgorithm } from "./certificate-assertion.js";
export type { CertificateSource } from "./certificate-source.js";
