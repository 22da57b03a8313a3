/**
 * Where the Azure Arc agent's `himds` binary lives on each platform (its presence selects Azure Arc), and
 * the size limit of its key files. Apart from `arc-key-file.ts` (the token directory and the key-file
 * reader), so the credential's module carries neither.
 */
import { win32 } from "node:path";

/** Largest key file accepted, bytes (every incumbent uses this limit). */
export const ARC_KEY_FILE_MAX_BYTES = 4096;

/** Where the agent's `himds` binary lives on this platform (its presence means "Azure Arc"). */
export function arcAgentBinary(platform: string, programFiles: string | undefined): string | undefined {
  if (platform === "linux") return "/opt/azcmagent/bin/himds";
  if (platform === "win32") return win32.join(programFiles ?? "C:\\Program Files", "AzureConnectedMachineAgent", "himds.exe");
  return undefined;
}
