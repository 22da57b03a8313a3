/**
 * The projected service-account token of AKS workload identity (`AZURE_FEDERATED_TOKEN_FILE`), used as
 * the client assertion of the token exchange. The kubelet rotates the file; it is read again whenever it
 * changed (its modification time, size or inode differ), checked with one `stat` per token request — a
 * token request happens only on a cache miss. Node-only (`node:fs`).
 */
import { readFile, stat } from "node:fs/promises";
import { CredentialUnavailableError } from "@id/core";
import { who } from "./source-name.js";

export interface FederatedTokenReader {
  /** The assertion (the file's content, whitespace trimmed). */
  read(): Promise<string>;
}

export function createFederatedTokenReader(path: string): FederatedTokenReader {
  let version: string | undefined;
  let assertion = "";
  const unavailable = (what: string, cause?: unknown) =>
    new CredentialUnavailableError(`${who("TokenExchange")}: the federated token file named by AZURE_FEDERATED_TOKEN_FILE ${what}.`, { cause });
  return {
    async read() {
      const s = await stat(path).catch((error: { code?: string }) => {
        throw unavailable(`cannot be read (${error.code ?? "error"}); check the workload identity webhook's volume mount`, error);
      });
      const current = `${s.mtimeMs}:${s.size}:${s.ino}`;
      if (current !== version) {
        assertion = (await readFile(path, "utf8")).trim();
        if (assertion === "") throw unavailable("is empty");
        version = current;
      }
      return assertion;
    },
  };
}
