/**
 * RC2-CBC decryption (RFC 2268), only for reading legacy PKCS#12 files, whose certificates older tools
 * (Windows before 2019, OpenSSL 1.x, `openssl pkcs12 -legacy`) encrypt with 40-bit RC2. OpenSSL 3 keeps
 * RC2 in its legacy provider, which Node does not load, so `node:crypto` cannot do it. Private.
 */

// PITABLE of RFC 2268 §2 (a permutation of 0..255 based on the digits of π).
const PITABLE = Uint8Array.from([
  0xd9, 0x78, 0xf9, 0xc4, 0x19, 0xdd, 0xb5, 0xed, 0x28, 0xe9, 0xfd, 0x79, 0x4a, 0xa0, 0xd8, 0x9d, 0xc6, 0x7e, 0x37, 0x83, 0x2b, 0x76,
  0x53, 0x8e, 0x62, 0x4c, 0x64, 0x88, 0x44, 0x8b, 0xfb, 0xa2, 0x17, 0x9a, 0x59, 0xf5, 0x87, 0xb3, 0x4f, 0x13, 0x61, 0x45, 0x6d, 0x8d,
  0x09, 0x81, 0x7d, 0x32, 0xbd, 0x8f, 0x40, 0xeb, 0x86, 0xb7, 0x7b, 0x0b, 0xf0, 0x95, 0x21, 0x22, 0x5c, 0x6b, 0x4e, 0x82, 0x54, 0xd6,
  0x65, 0x93, 0xce, 0x60, 0xb2, 0x1c, 0x73, 0x56, 0xc0, 0x14, 0xa7, 0x8c, 0xf1, 0xdc, 0x12, 0x75, 0xca, 0x1f, 0x3b, 0xbe, 0xe4, 0xd1,
  0x42, 0x3d, 0xd4, 0x30, 0xa3, 0x3c, 0xb6, 0x26, 0x6f, 0xbf, 0x0e, 0xda, 0x46, 0x69, 0x07, 0x57, 0x27, 0xf2, 0x1d, 0x9b, 0xbc, 0x94,
  0x43, 0x03, 0xf8, 0x11, 0xc7, 0xf6, 0x90, 0xef, 0x3e, 0xe7, 0x06, 0xc3, 0xd5, 0x2f, 0xc8, 0x66, 0x1e, 0xd7, 0x08, 0xe8, 0xea, 0xde,
  0x80, 0x52, 0xee, 0xf7, 0x84, 0xaa, 0x72, 0xac, 0x35, 0x4d, 0x6a, 0x2a, 0x96, 0x1a, 0xd2, 0x71, 0x5a, 0x15, 0x49, 0x74, 0x4b, 0x9f,
  0xd0, 0x5e, 0x04, 0x18, 0xa4, 0xec, 0xc2, 0xe0, 0x41, 0x6e, 0x0f, 0x51, 0xcb, 0xcc, 0x24, 0x91, 0xaf, 0x50, 0xa1, 0xf4, 0x70, 0x39,
  0x99, 0x7c, 0x3a, 0x85, 0x23, 0xb8, 0xb4, 0x7a, 0xfc, 0x02, 0x36, 0x5b, 0x25, 0x55, 0x97, 0x31, 0x2d, 0x5d, 0xfa, 0x98, 0xe3, 0x8a,
  0x92, 0xae, 0x05, 0xdf, 0x29, 0x10, 0x67, 0x6c, 0xba, 0xc9, 0xd3, 0x00, 0xe6, 0xcf, 0xe1, 0x9e, 0xa8, 0x2c, 0x63, 0x16, 0x01, 0x3f,
  0x58, 0xe2, 0x89, 0xa9, 0x0d, 0x38, 0x34, 0x1b, 0xab, 0x33, 0xff, 0xb0, 0xbb, 0x48, 0x0c, 0x5f, 0xb9, 0xb1, 0xcd, 0x2e, 0xc5, 0xf3,
  0xdb, 0x47, 0xe5, 0xa5, 0x9c, 0x77, 0x0a, 0xa6, 0x20, 0x68, 0xfe, 0x7f, 0xc1, 0xad,
]);

/** RFC 2268 §2 key expansion: 64 16-bit subkeys for `effectiveBits`. */
export function rc2ExpandKey(key: Uint8Array, effectiveBits = key.length * 8): Uint16Array {
  const T = key.length;
  if (T < 1 || T > 128) throw new RangeError("RC2 keys have 1 to 128 bytes");
  const L = new Uint8Array(128);
  L.set(key);
  for (let i = T; i < 128; i++) L[i] = PITABLE[((L[i - 1] as number) + (L[i - T] as number)) & 0xff] as number;
  const T8 = (effectiveBits + 7) >> 3;
  const TM = 0xff >> (8 * T8 - effectiveBits);
  L[128 - T8] = PITABLE[(L[128 - T8] as number) & TM] as number;
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[(L[i + 1] as number) ^ (L[i + T8] as number)] as number;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = (L[2 * i] as number) | ((L[2 * i + 1] as number) << 8);
  return K;
}

function decryptBlock(K: Uint16Array, input: Uint8Array, offset: number, out: Uint8Array): void {
  let r0 = (input[offset] as number) | ((input[offset + 1] as number) << 8);
  let r1 = (input[offset + 2] as number) | ((input[offset + 3] as number) << 8);
  let r2 = (input[offset + 4] as number) | ((input[offset + 5] as number) << 8);
  let r3 = (input[offset + 6] as number) | ((input[offset + 7] as number) << 8);
  let j = 63;
  const rmix = (): void => {
    r3 = ((r3 << 11) | (r3 >> 5)) & 0xffff;
    r3 = (r3 - (K[j--] as number) - (r2 & r1) - (~r2 & r0)) & 0xffff;
    r2 = ((r2 << 13) | (r2 >> 3)) & 0xffff;
    r2 = (r2 - (K[j--] as number) - (r1 & r0) - (~r1 & r3)) & 0xffff;
    r1 = ((r1 << 14) | (r1 >> 2)) & 0xffff;
    r1 = (r1 - (K[j--] as number) - (r0 & r3) - (~r0 & r2)) & 0xffff;
    r0 = ((r0 << 15) | (r0 >> 1)) & 0xffff;
    r0 = (r0 - (K[j--] as number) - (r3 & r2) - (~r3 & r1)) & 0xffff;
  };
  const rmash = (): void => {
    r3 = (r3 - (K[r2 & 63] as number)) & 0xffff;
    r2 = (r2 - (K[r1 & 63] as number)) & 0xffff;
    r1 = (r1 - (K[r0 & 63] as number)) & 0xffff;
    r0 = (r0 - (K[r3 & 63] as number)) & 0xffff;
  };
  for (let i = 0; i < 5; i++) rmix();
  rmash();
  for (let i = 0; i < 6; i++) rmix();
  rmash();
  for (let i = 0; i < 5; i++) rmix();
  out[0] = r0 & 0xff;
  out[1] = r0 >> 8;
  out[2] = r1 & 0xff;
  out[3] = r1 >> 8;
  out[4] = r2 & 0xff;
  out[5] = r2 >> 8;
  out[6] = r3 & 0xff;
  out[7] = r3 >> 8;
}

/** Decrypts one 8-byte block (exported for the RFC 2268 test vectors). */
export function rc2DecryptBlock(K: Uint16Array, block: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  decryptBlock(K, block, 0, out);
  return out;
}

/**
 * RC2-CBC decryption with PKCS#7 padding removal. Returns `undefined` when the padding is wrong (which,
 * for a password-derived key, means the wrong password).
 */
export function rc2CbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array, effectiveBits = key.length * 8): Uint8Array | undefined {
  if (iv.length !== 8 || data.length === 0 || data.length % 8 !== 0) return undefined;
  const K = rc2ExpandKey(key, effectiveBits);
  const out = new Uint8Array(data.length);
  const block = new Uint8Array(8);
  for (let offset = 0; offset < data.length; offset += 8) {
    decryptBlock(K, data, offset, block);
    for (let i = 0; i < 8; i++) out[offset + i] = (block[i] as number) ^ (offset === 0 ? (iv[i] as number) : (data[offset - 8 + i] as number));
  }
  const pad = out[out.length - 1] as number;
  if (pad < 1 || pad > 8) return undefined;
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) return undefined;
  return out.subarray(0, out.length - pad);
}
