/**
 * PEM text → DER blocks (RFC 7468), synchronously and portably (no `node:` imports). Private.
 */

export interface PemBlock {
  /** The label, e.g. `CERTIFICATE`, `PRIVATE KEY`, `RSA PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`. */
  readonly label: string;
  readonly der: Uint8Array;
  /** RFC 1421 headers (a traditional OpenSSL-encrypted key has `Proc-Type: 4,ENCRYPTED`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The block's text, as found (for `node:crypto` when a legacy-encrypted key needs it). */
  readonly text: string;
}

/** A PEM problem; the message never contains the file's content. */
export class PemError extends Error {
  override readonly name = "PemError";
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether the text looks like PEM at all. */
export function looksLikePem(text: string): boolean {
  return text.includes("-----BEGIN ");
}

/** Every PEM block in `text`, in order. Throws `PemError` for a block that does not decode. */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] as string;
    if (match[3] !== label) throw new PemError(`a "BEGIN ${label}" block ends with "END ${match[3] as string}"`);
    const headers: Record<string, string> = {};
    const bodyLines: string[] = [];
    let inHeaders = true;
    for (const raw of (match[2] as string).split(/\r?\n/)) {
      const line = raw.trim();
      if (inHeaders) {
        const header = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (header) {
          headers[header[1] as string] = header[2] as string;
          continue;
        }
        inHeaders = false;
        if (line === "") continue;
      }
      bodyLines.push(line);
    }
    const body = bodyLines.join("");
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) {
      throw new PemError(`the "${label}" block is not valid base64`);
    }
    blocks.push({ label, der: base64ToBytes(body), headers, text: match[0] });
  }
  return blocks;
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function base64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
