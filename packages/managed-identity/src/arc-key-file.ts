/**
 * The Azure Arc agent's challenge: its first answer is a 401 whose `WWW-Authenticate: Basic realm=<path>`
 * names a key file; the client proves it may read that file by sending its content back. Because the
 * path comes from whoever answers on the agent's port, it is accepted only when it is a `.key` file
 * directly inside the agent's token directory (after resolving symbolic links) and at most 4,096 bytes;
 * anything else is refused with the reason, and nothing is read. Node-only (`node:fs`).
 */
import { open, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, resolve, win32 } from "node:path";
import { ARC_KEY_FILE_MAX_BYTES } from "./arc-agent.js";

/** The agent's token directory on this platform, or `undefined` where Azure Arc does not run. */
export function defaultArcKeyDirectory(platform: string, programData: string | undefined): string | undefined {
  if (platform === "linux") return "/var/opt/azcmagent/tokens";
  if (platform === "win32") return win32.join(programData ?? "C:\\ProgramData", "AzureConnectedMachineAgent", "Tokens");
  return undefined;
}

/** Why a challenge was refused (the message says what was wrong; it never holds the file's content). */
export class ArcChallengeError extends Error {
  override readonly name = "ArcChallengeError";
}

/** Extracts the key file path from a `WWW-Authenticate` header value. */
export function keyFilePathFromChallenge(header: string | null): string {
  if (!header?.trim()) throw new ArcChallengeError("the agent answered 401 without a WWW-Authenticate header, so there is no key file to read");
  const match = /^\s*Basic\s+realm=(.+)$/i.exec(header);
  if (!match) throw new ArcChallengeError(`the WWW-Authenticate header is not of the form "Basic realm=<key file path>"`);
  const path = (match[1] as string).trim();
  return path.length >= 2 && path.startsWith('"') && path.endsWith('"') ? path.slice(1, -1) : path;
}

/**
 * Validates the key file named by the challenge and returns its content (the whole file, untrimmed).
 * `directory` is the agent's token directory.
 */
export async function readArcKeyFile(path: string, directory: string): Promise<string> {
  const refuse = (why: string): never => {
    throw new ArcChallengeError(`the key file named in the challenge ${why}`);
  };
  const outside = `directly inside the agent's token directory ${directory}`;
  if (!isAbsolute(path)) refuse("is not absolute");
  if (!basename(path).endsWith(".key")) refuse("is not a .key file");
  if (dirname(resolve(path)) !== resolve(directory)) refuse(`is not ${outside}`);
  const [real, realDirectory] = await Promise.all([realpath(path), realpath(directory)]).catch((error: { code?: string }) =>
    refuse(`cannot be read (${error.code ?? "error"})`),
  );
  if (dirname(real) !== realDirectory || !basename(real).endsWith(".key")) refuse(`links outside, not ${outside}`);
  const handle = await open(real, "r").catch((error: { code?: string }) => refuse(`cannot be opened (${error.code ?? "error"})`));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) refuse("is not a regular file");
    // The size is checked before reading, and the read stops one byte past the limit (a growing file).
    if (stat.size > ARC_KEY_FILE_MAX_BYTES) refuse(`is ${stat.size} bytes; at most ${ARC_KEY_FILE_MAX_BYTES} are accepted`);
    const buffer = Buffer.alloc(ARC_KEY_FILE_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > ARC_KEY_FILE_MAX_BYTES) refuse(`is larger than ${ARC_KEY_FILE_MAX_BYTES} bytes`);
    if (bytesRead === 0) refuse("is empty");
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}
