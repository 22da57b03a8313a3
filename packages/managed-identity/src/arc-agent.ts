/**
 * Where the Azure Arc agent lives on each platform — its `himds` binary (whose presence selects Azure
 * Arc) and its token directory (the only place a key file is read from) — and the size limit of its key
 * files. Apart from `arc-key-file.ts`, so the credential's module does not carry the key-file reader.
 */
import { win32 } from "node:path";

/** Largest key file accepted, bytes (every incumbent uses this limit). */
export const ARC_KEY_FILE_MAX_BYTES = 4096;

/** The agent's token directory on this platform, or `undefined` where Azure Arc does not run. */
export function defaultArcKeyDirectory(platform: string, programData: string | undefined): string | undefined {
  if (platform === "linux") return "/var/opt/azcmagent/tokens";
  if (platform === "win32") return win32.join(programData ?? "C:\\ProgramData", "AzureConnectedMachineAgent", "Tokens");
  return undefined;
}

/** Where the agent's `himds` binary lives on this platform (its presence means "Azure Arc"). */
export function arcAgentBinary(platform: string, programFiles: string | undefined): string | undefined {
  if (platform === "linux") return "/opt/azcmagent/bin/himds";
  if (platform === "win32") return win32.join(programFiles ?? "C:\\Program Files", "AzureConnectedMachineAgent", "himds.exe");
  return undefined;
}
