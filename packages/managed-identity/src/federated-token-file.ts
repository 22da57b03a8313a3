/**
 * The projected service-account token of AKS workload identity (`AZURE_FEDERATED_TOKEN_FILE`), used as
 * the client assertion of the token exchange. The kubelet rotates the file; it is read again whenever it
 * changed (its modification time, size or inode differ), checked with one `stat` per token request — a
 * token request happens only on a cache miss. Node-only (`node:fs`).
 */
import { readFile, stat } from "node:fs/promises";
import { CredentialUnavailableError } from "@id/core";

export interface FederatedTokenReader {
  /** The assertion (the file's content, whitespace trimmed). */
  read(): Promise<string>;
}

export function createFederatedTokenReader(path: string): FederatedTokenReader {
  let cached: { version: string; assertion: string } | undefined;

  async function read(): Promise<string> {
    let version: string;
    try {
      const s = await stat(path);
      version = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (error) {
      throw new CredentialUnavailableError(
        `ManagedIdentityCredential (workload identity token exchange): cannot read the federated token file named by AZURE_FEDERATED_TOKEN_FILE (${(error as { code?: string }).code ?? "error"}). Check the workload identity webhook's volume mount.`,
        { cause: error },
      );
    }
    if (cached !== undefined && cached.version === version) return cached.assertion;
    const assertion = (await readFile(path, "utf8")).trim();
    if (assertion === "") {
      throw new CredentialUnavailableError(
        "ManagedIdentityCredential (workload identity token exchange): the federated token file named by AZURE_FEDERATED_TOKEN_FILE is empty.",
      );
    }
    cached = { version, assertion };
    return assertion;
  }

  return { read };
}
