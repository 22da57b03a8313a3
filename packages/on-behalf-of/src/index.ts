export { OnBehalfOfCredential } from "./on-behalf-of-credential.js";
export type {
  OnBehalfOfCredentialAssertionOptions,
  OnBehalfOfCredentialBaseOptions,
  OnBehalfOfCredentialCertificateOptions,
  OnBehalfOfCredentialOptions,
  OnBehalfOfCredentialSecretOptions,
} from "./on-behalf-of-credential.js";
