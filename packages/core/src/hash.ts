/** SHA-256 through WebCrypto (portable: Node, Bun, Deno), as lower-case hex. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  // (A Uint8Array over a SharedArrayBuffer is refused by WebCrypto; nothing here passes one.)
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : (data as Uint8Array<ArrayBuffer>);
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
