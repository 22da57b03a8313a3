import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./fixtures/azure-identity-client.mjs", import.meta.url));

export interface ChildToken {
  token: string;
  expiresOnTimestamp: number;
  refreshAfterTimestamp?: number;
}

/** Runs the @azure/identity client in a child process with a clean Azure environment plus `env`. */
export function runAzureIdentity(input: Record<string, unknown>, env: Record<string, string> = {}): Promise<ChildToken[]> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(AZURE_|IDENTITY_|MSI_|IMDS_|NODE_EXTRA_CA_CERTS$|SYSTEM_|AZURESUBSCRIPTION_)/.test(k)) continue;
    base[k] = v;
  }
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script],
      { env: { ...base, ...env, EMU_INPUT: JSON.stringify(input) }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`child failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as ChildToken[]);
      },
    );
  });
}
