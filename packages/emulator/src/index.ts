export { startEmulator, endpoints } from "./emulator.js";
export type {
  ConfigureOptions,
  Emulator,
  EmulatorDefaults,
  EmulatorOptions,
  EnvSource,
  RequestLogEntry,
  UserAssertionOptions,
} from "./api.js";
export type {
  FederatedCredential,
  ManagedIdentity,
  RegisterApplicationOptions,
  RegisteredApplication,
  RegisteredUser,
  RegisterManagedIdentityOptions,
  RegisterUserOptions,
} from "./directory.js";
export type { FaultOptions } from "./faults.js";
export { createCertificate } from "./x509.js";
export type { CertificateRequest, GeneratedCertificate } from "./x509.js";
export type { DeveloperTool, DeveloperToolMode, DeveloperTools, DeveloperToolsOptions } from "./developer-tools.js";
