/**
 * A minimal ASN.1 reader (DER, plus the BER indefinite lengths and constructed OCTET STRINGs that some
 * PKCS#12 writers emit) and the few DER encoders the key handling needs. Private to this package.
 */

/** A decoding failure; callers turn it into a message about the file that was given. */
export class DerError extends Error {
  override readonly name = "DerError";
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONSTRUCTED_OCTET_STRING: 0x24,
} as const;

/** One ASN.1 element: its tag and where its contents are in `bytes`. */
export interface DerNode {
  readonly bytes: Uint8Array;
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  /** Offset just past the element (past the end-of-contents octets for an indefinite length). */
  readonly end: number;
  /** Indefinite length (BER). */
  readonly indefinite: boolean;
}

const MAX_DEPTH = 32;

/** Reads the element at `offset`, which must end by `limit`. */
export function readNode(bytes: Uint8Array, offset = 0, limit = bytes.length, depth = 0): DerNode {
  if (depth > MAX_DEPTH) throw new DerError("ASN.1 nesting too deep");
  if (offset + 2 > limit) throw new DerError("truncated ASN.1 element");
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte ASN.1 tags are not supported");
  const lengthByte = bytes[offset + 1] as number;
  let cursor = offset + 2;
  if (lengthByte === 0x80) {
    if ((tag & 0x20) === 0) throw new DerError("indefinite length on a primitive element");
    // Indefinite length: children until the end-of-contents octets 00 00.
    let position = cursor;
    for (;;) {
      if (position + 2 > limit) throw new DerError("unterminated indefinite-length element");
      if (bytes[position] === 0 && bytes[position + 1] === 0) break;
      position = readNode(bytes, position, limit, depth + 1).end;
    }
    return { bytes, tag, start: offset, contentStart: cursor, contentEnd: position, end: position + 2, indefinite: true };
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new DerError("ASN.1 length too large");
    if (cursor + count > limit) throw new DerError("truncated ASN.1 length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[cursor + i] as number);
    cursor += count;
  }
  const contentEnd = cursor + length;
  if (contentEnd > limit) throw new DerError("truncated ASN.1 element");
  return { bytes, tag, start: offset, contentStart: cursor, contentEnd, end: contentEnd, indefinite: false };
}

/** Reads a whole buffer that must hold exactly one element (trailing bytes are an error). */
export function readRoot(bytes: Uint8Array): DerNode {
  const node = readNode(bytes);
  if (node.end !== bytes.length) throw new DerError("trailing bytes after the ASN.1 element");
  return node;
}

/** The children of a constructed element. */
export function children(node: DerNode, depth = 0): DerNode[] {
  if ((node.tag & 0x20) === 0) throw new DerError("expected a constructed ASN.1 element");
  const out: DerNode[] = [];
  let position = node.contentStart;
  while (position < node.contentEnd) {
    const child = readNode(node.bytes, position, node.contentEnd, depth + 1);
    out.push(child);
    position = child.end;
  }
  return out;
}

/** Asserts the tag and returns the node. */
export function expect(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

/** The children of a SEQUENCE. */
export function sequence(node: DerNode | undefined, what: string): DerNode[] {
  return children(expect(node, TAG.SEQUENCE, what));
}

/** The content bytes of a primitive element. */
export function content(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.contentStart, node.contentEnd);
}

/** The whole encoding of an element (tag, length and contents). */
export function encoding(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.start, node.end);
}

/** The bytes of an OCTET STRING, primitive or constructed (BER). */
export function octets(node: DerNode | undefined, what = "an OCTET STRING"): Uint8Array {
  if (node?.tag === TAG.OCTET_STRING) return content(node);
  if (node?.tag === TAG.CONSTRUCTED_OCTET_STRING) return concat(children(node).map((child) => octets(child, what)));
  throw new DerError(`expected ${what}`);
}

/** An OBJECT IDENTIFIER in dotted form. */
export function oid(node: DerNode | undefined): string {
  const bytes = content(expect(node, TAG.OID, "an OBJECT IDENTIFIER"));
  if (bytes.length === 0) throw new DerError("empty OBJECT IDENTIFIER");
  const first = bytes[0] as number;
  const parts: number[] = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** A small non-negative INTEGER (iteration counts, versions, key lengths). */
export function smallInteger(node: DerNode | undefined, what: string): number {
  const bytes = content(expect(node, TAG.INTEGER, what));
  if (bytes.length === 0 || bytes.length > 6 || ((bytes[0] as number) & 0x80) !== 0) throw new DerError(`${what} is out of range`);
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** The magnitude of an INTEGER without leading zero bytes (an RSA modulus). */
export function unsignedInteger(node: DerNode | undefined, what: string): Uint8Array {
  let bytes = content(expect(node, TAG.INTEGER, what));
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** DER-encodes one element. */
export function encode(tag: number, body: Uint8Array): Uint8Array {
  const length = body.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const lengthBytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    header = [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  }
  return concat([Uint8Array.from(header), body]);
}

/** DER of a dotted OBJECT IDENTIFIER. */
export function encodeOid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number);
  const bytes: number[] = [(parts[0] as number) * 40 + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift((rest & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return encode(TAG.OID, Uint8Array.from(bytes));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** A copy backed by a plain `ArrayBuffer`, as WebCrypto's typings want. */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.slice();
}
