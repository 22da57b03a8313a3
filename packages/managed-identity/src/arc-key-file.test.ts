import { describe, expect, it } from "vitest";
import { arcAgentBinary } from "./arc-agent.js";
import { defaultArcKeyDirectory } from "./arc-key-file.js";
import { keyFilePathFromChallenge } from "./arc-key-file.js";

describe("Azure Arc challenge header", () => {
  it("takes the path after Basic realm= (unquoted, as the agent sends it, or quoted)", () => {
    expect(keyFilePathFromChallenge("Basic realm=/var/opt/azcmagent/tokens/a.key")).toBe("/var/opt/azcmagent/tokens/a.key");
    expect(keyFilePathFromChallenge('Basic realm="C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\a.key"')).toBe(
      "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\a.key",
    );
  });
  it("refuses a missing or different header", () => {
    expect(() => keyFilePathFromChallenge(null)).toThrow(/without a WWW-Authenticate header/);
    expect(() => keyFilePathFromChallenge("Bearer realm=x")).toThrow(/not of the form/);
  });
  it("knows the agent's places per platform", () => {
    expect(defaultArcKeyDirectory("linux", undefined)).toBe("/var/opt/azcmagent/tokens");
    expect(defaultArcKeyDirectory("win32", "D:\\PD")).toBe("D:\\PD\\AzureConnectedMachineAgent\\Tokens");
    expect(defaultArcKeyDirectory("darwin", undefined)).toBeUndefined();
    expect(arcAgentBinary("linux", undefined)).toBe("/opt/azcmagent/bin/himds");
    expect(arcAgentBinary("win32", "C:\\Program Files")).toBe("C:\\Program Files\\AzureConnectedMachineAgent\\himds.exe");
  });
});
