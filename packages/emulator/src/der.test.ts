import { describe, expect, it } from "vitest";
import * as der from "./der.js";

const hex = (b: Buffer) => b.toString("hex");

describe("DER encoder", () => {
  it("encodes integers with a leading zero when the top bit is set", () => {
    expect(hex(der.integer(0))).toBe("020100");
    expect(hex(der.integer(127))).toBe("02017f");
    expect(hex(der.integer(128))).toBe("02020080");
    expect(hex(der.integer(2))).toBe("020102");
    expect(hex(der.integer(Buffer.from([0, 0, 0x81])))).toBe("02020081");
    expect(() => der.integer(-1n)).toThrow(RangeError);
  });

  it("encodes OIDs with base-128 arcs", () => {
    expect(hex(der.oid("1.2.840.113549.1.1.11"))).toBe("06092a864886f70d01010b");
    expect(hex(der.oid("2.5.29.17"))).toBe("0603551d11");
    expect(() => der.oid("1")).toThrow(RangeError);
  });

  it("encodes long lengths in the long form", () => {
    const long = der.octetString(Buffer.alloc(300));
    expect(hex(long.subarray(0, 4))).toBe("0482012c");
    expect(long.length).toBe(304);
  });

  it("uses UTCTime before 2050 and GeneralizedTime after", () => {
    expect(der.time(new Date("2030-01-02T03:04:05Z")).toString("latin1", 2)).toBe("300102030405Z");
    expect(der.time(new Date("2060-01-02T03:04:05Z")).toString("latin1", 2)).toBe("20600102030405Z");
    expect(der.time(new Date("2060-01-02T03:04:05Z"))[0]).toBe(0x18);
  });
});
