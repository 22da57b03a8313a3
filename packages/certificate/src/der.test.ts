import { describe, expect, it } from "vitest";
import { DerError, children, encode, encodeOid, octets, oid, readRoot } from "./der.js";
import { rc2DecryptBlock, rc2ExpandKey } from "./rc2.js";

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("DER reader", () => {
  it("reads BER indefinite lengths and constructed OCTET STRINGs (as Windows and Java write PKCS#12)", () => {
    const ber = hex("3080" + "2480" + "0402aabb" + "0401cc" + "0000" + "0000");
    const root = readRoot(ber);
    expect(root.indefinite).toBe(true);
    expect(toHex(octets(children(root)[0]))).toBe("aabbcc");
  });

  it("round-trips OIDs and long lengths", () => {
    for (const dotted of ["1.2.840.113549.1.1.1", "2.16.840.1.101.3.4.1.42", "1.3.101.112"]) expect(oid(readRoot(encodeOid(dotted)))).toBe(dotted);
    const body = new Uint8Array(70_000).fill(7);
    expect(octets(readRoot(encode(0x04, body)))).toHaveLength(70_000);
  });

  it("refuses truncated input, trailing bytes and absurd nesting", () => {
    expect(() => readRoot(hex("3005020101"))).toThrow(DerError);
    expect(() => readRoot(hex("020101ff"))).toThrow(DerError);
    expect(() => readRoot(hex("3084ffffffff"))).toThrow(DerError);
    expect(() => readRoot(hex("3080".repeat(40) + "0000".repeat(40)))).toThrow(DerError);
  });
});

describe("RC2 (RFC 2268 §5 test vectors)", () => {
  it.each([
    ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
    ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
    ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
    ["88", 64, "0000000000000000", "61a8a244adacccf0"],
    ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
    ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
    ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  ])("key %s, %i effective bits", (key, bits, plain, cipher) => {
    expect(toHex(rc2DecryptBlock(rc2ExpandKey(hex(key), bits), hex(cipher)))).toBe(plain);
  });
});
