/**
 * Fake `az`, `azd` and `pwsh` executables (protocols.md §3): small Node scripts written into a directory
 * you put first on PATH. They get a user token from the emulator (password grant for the default user, as
 * the tool's own public client) and print exactly what the real tools print — including the "not logged in"
 * and "module missing" stderr on demand; "not installed" removes the executable. Unix only (shebang scripts).
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type DeveloperTool = "az" | "azd" | "pwsh";
export type DeveloperToolMode = "loggedIn" | "notLoggedIn" | "notInstalled" | "moduleMissing";

export interface DeveloperToolsOptions {
  az?: DeveloperToolMode;
  azd?: DeveloperToolMode;
  pwsh?: DeveloperToolMode;
  /** Signed-in user (default: the default user). */
  username?: string;
  password?: string;
  /** Subscription printed by `az` (default: a fixed GUID). */
  subscriptionId?: string;
}

export interface DeveloperTools {
  /** The directory holding the executables; prepend it to PATH. */
  directory: string;
  /** `directory` + the path delimiter + `process.env.PATH`-style value to use as PATH. */
  path(existingPath?: string): string;
  /** Changes how one tool behaves from now on. */
  setMode(tool: DeveloperTool, mode: DeveloperToolMode): void;
}

export interface DeveloperToolsConfig {
  url: string;
  tenantId: string;
  clientIds: Record<DeveloperTool, string>;
  username: string;
  password: string;
  subscriptionId: string;
  ca: string | undefined;
  modes: Record<DeveloperTool, DeveloperToolMode>;
}

export const TOOL_CLIENT_IDS: Record<DeveloperTool, string> = {
  az: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
  azd: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
  pwsh: "1950a258-227b-4e31-a9cf-717495945fc2",
};

const CONFIG_FILE = ".id-emulator-tools.json";
const MODES = new Set<DeveloperToolMode>(["loggedIn", "notLoggedIn", "notInstalled", "moduleMissing"]);

/** The body shared by the three fakes; TOOL is replaced per executable. */
const SCRIPT = String.raw`
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const TOOL = __TOOL__;
const config = JSON.parse(fs.readFileSync(path.join(__dirname, ${JSON.stringify(CONFIG_FILE)}), "utf8"));
const args = process.argv.slice(2);
const mode = config.modes[TOOL];
const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);

function flag(name) {
  const values = [];
  for (let i = 0; i < args.length; i++) if (args[i] === name && i + 1 < args.length) values.push(args[i + 1]);
  return values;
}

function token(tenant, scopes) {
  const url = new URL(config.url + "/" + encodeURIComponent(tenant) + "/oauth2/v2.0/token");
  const body = new URLSearchParams({
    client_id: config.clientIds[TOOL], grant_type: "password", username: config.username,
    password: config.password, scope: scopes.join(" "),
  }).toString();
  const lib = url.protocol === "https:" ? require("node:https") : require("node:http");
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: "POST", ca: config.ca, headers: {
      "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        let json;
        try { json = JSON.parse(text); } catch { return reject(new Error("unexpected response from the token service (HTTP " + res.statusCode + ")")); }
        if (res.statusCode !== 200) return reject(new Error(String(json.error_description || json.error).split("\r\n")[0]));
        resolve({ accessToken: json.access_token, expiresOn: Math.floor(Date.now() / 1000) + Number(json.expires_in) });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const pad = (n, w = 2) => String(n).padStart(w, "0");
function localDateTime(seconds) {
  const d = new Date(seconds * 1000);
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + ".000000";
}
const rfc3339 = (seconds) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const isoOffset = (seconds) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "+00:00");

async function az() {
  if (args[0] === "--version" || args[0] === "version") return out("azure-cli                         2.67.0\n"), 0;
  if (args[0] !== "account" || args[1] !== "get-access-token") {
    err("ERROR: 'az " + args.join(" ") + "' is not supported by the @id emulator's fake az (only 'az account get-access-token').\n");
    return 2;
  }
  if (mode === "notLoggedIn") return err("ERROR: Please run 'az login' to setup account.\n"), 1;
  const resource = flag("--resource")[0];
  const scopes = flag("--scope");
  const tenant = flag("--tenant")[0] || config.tenantId;
  const requested = resource ? [resource.replace(/\/+$/, "") + "/.default"] : scopes;
  if (requested.length === 0) return err("ERROR: Please specify --resource or --scope.\n"), 2;
  try {
    const t = await token(tenant, requested);
    const subscription = flag("--subscription")[0] || config.subscriptionId;
    out(JSON.stringify({ accessToken: t.accessToken, expiresOn: localDateTime(t.expiresOn), expires_on: t.expiresOn,
      subscription, tenant, tokenType: "Bearer" }, null, 2) + "\n");
    return 0;
  } catch (e) {
    err("ERROR: " + e.message + "\n");
    return 1;
  }
}

async function azd() {
  if (args[0] === "version" || args[0] === "--version") return out("azd version 1.11.0 (commit 0000000)\n"), 0;
  if (args[0] !== "auth" || args[1] !== "token") {
    err("ERROR: 'azd " + args.join(" ") + "' is not supported by the @id emulator's fake azd (only 'azd auth token').\n");
    return 1;
  }
  const json = flag("--output")[0] === "json" || flag("-o")[0] === "json";
  const fail = (message) => {
    if (json) err(JSON.stringify({ type: "consoleMessage", timestamp: new Date().toISOString(), data: { message: "\nERROR: " + message + "\n" } }) + "\n");
    else err("\nERROR: " + message + "\n");
    return 1;
  };
  if (mode === "notLoggedIn") return fail("not logged in, run ` + "`azd auth login`" + String.raw` to login");
  const scopes = flag("--scope");
  const tenant = flag("--tenant-id")[0] || config.tenantId;
  try {
    const t = await token(tenant, scopes.length > 0 ? scopes : ["https://management.azure.com//.default"]);
    out(JSON.stringify({ token: t.accessToken, expiresOn: rfc3339(t.expiresOn) }) + "\n");
    return 0;
  } catch (e) {
    return fail("fetching token: " + e.message);
  }
}

async function pwsh() {
  if (args[0] === "/?" || args[0] === "-?" || args[0] === "-Help") return out("Usage: pwsh[.exe] [-Command] ... (@id emulator fake)\n"), 0;
  const commandIndex = args.findIndex((a) => /^-(Command|c)$/i.test(a));
  const encodedIndex = args.findIndex((a) => /^-(EncodedCommand|e|ec)$/i.test(a));
  const encoded = encodedIndex >= 0;
  const script = encoded ? Buffer.from(args[encodedIndex + 1] || "", "base64").toString("utf16le") : (args[commandIndex + 1] || "");
  if (mode === "moduleMissing") {
    if (encoded) return out("NO_AZ_ACCOUNT_MODULE\n"), 0;
    return err("Import-Module: The specified module 'Az.Accounts' with version '2.2.0' was not loaded because no valid module file was found in any module directory.\n"), 1;
  }
  if (mode === "notLoggedIn") return err("Get-AzAccessToken: Run Connect-AzAccount to login.\n"), 1;
  const fromScript = (name) => (new RegExp("-" + name + "\\s+['\"]?([^'\"\\s]+)", "i").exec(script) || [])[1];
  const resource = process.env.AZURE_IDENTITY_POWERSHELL_RESOURCE || fromScript("ResourceUrl");
  const tenant = process.env.AZURE_IDENTITY_POWERSHELL_TENANT_ID || fromScript("TenantId") || config.tenantId;
  if (!resource) return err("Get-AzAccessToken: Cannot bind argument to parameter 'ResourceUrl' because it is null.\n"), 1;
  try {
    const t = await token(tenant, [resource.replace(/\/+$/, "") + "/.default"]);
    if (encoded) out("azsdk%" + t.accessToken + "%" + t.expiresOn + "\n");
    else out("{\n  \"ExpiresOn\": \"" + isoOffset(t.expiresOn) + "\",\n  \"Token\": \"" + t.accessToken + "\"\n}\n");
    return 0;
  } catch (e) {
    return err("Get-AzAccessToken: " + e.message + "\n"), 1;
  }
}

({ az, azd, pwsh })[TOOL]().then((code) => process.exit(code), (e) => { err(String(e && e.message || e) + "\n"); process.exit(1); });
`;

function writeTool(directory: string, tool: DeveloperTool, mode: DeveloperToolMode, nodePath: string): void {
  const file = join(directory, tool);
  if (mode === "notInstalled") {
    rmSync(file, { force: true });
    return;
  }
  writeFileSync(file, `#!${nodePath}\n${SCRIPT.replace("__TOOL__", JSON.stringify(tool))}`, { mode: 0o755 });
  chmodSync(file, 0o755);
}

function checkMode(tool: DeveloperTool, mode: unknown): DeveloperToolMode {
  if (!MODES.has(mode as DeveloperToolMode) || (mode === "moduleMissing" && tool !== "pwsh")) {
    throw new TypeError(`writeDeveloperTools: mode of ${tool} must be loggedIn, notLoggedIn, notInstalled${tool === "pwsh" ? " or moduleMissing" : ""} (got ${String(mode)})`);
  }
  return mode as DeveloperToolMode;
}

/** Writes the fakes and their config; `nodePath` is the Node binary their shebang runs. */
export function writeDeveloperTools(
  directory: string,
  base: Omit<DeveloperToolsConfig, "modes" | "username" | "password" | "subscriptionId" | "clientIds">,
  defaults: { username: string; password: string },
  options: DeveloperToolsOptions,
  nodePath: string,
  delimiter: string,
): DeveloperTools {
  if (typeof directory !== "string" || directory === "") throw new TypeError("writeDeveloperTools: directory must be a path");
  const config: DeveloperToolsConfig = {
    ...base,
    clientIds: { ...TOOL_CLIENT_IDS },
    username: options.username ?? defaults.username,
    password: options.password ?? defaults.password,
    subscriptionId: options.subscriptionId ?? "7e1d0000-0000-4000-8000-000000000000",
    modes: {
      az: checkMode("az", options.az ?? "loggedIn"),
      azd: checkMode("azd", options.azd ?? "loggedIn"),
      pwsh: checkMode("pwsh", options.pwsh ?? "loggedIn"),
    },
  };
  mkdirSync(directory, { recursive: true });
  const save = () => writeFileSync(join(directory, CONFIG_FILE), JSON.stringify(config), { mode: 0o600 });
  save();
  for (const tool of ["az", "azd", "pwsh"] as const) writeTool(directory, tool, config.modes[tool], nodePath);
  return {
    directory,
    path: (existing) => (existing ? `${directory}${delimiter}${existing}` : directory),
    setMode(tool, mode) {
      if (tool !== "az" && tool !== "azd" && tool !== "pwsh") throw new TypeError(`setMode: unknown tool ${String(tool)}`);
      config.modes[tool] = checkMode(tool, mode);
      save();
      writeTool(directory, tool, config.modes[tool], nodePath);
    },
  };
}
