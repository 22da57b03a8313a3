/**
 * The id-emulator command: parses flags and an optional JSON config file, starts the emulator, registers
 * extra applications/users/identities, and prints the endpoints and the `export` lines for each credential.
 */
import { readFileSync } from "node:fs";
import { endpoints, startEmulator, type Emulator, type EmulatorOptions, type EnvSource } from "./emulator.js";
import type { RegisterApplicationOptions, RegisterManagedIdentityOptions, RegisterUserOptions } from "./directory.js";

export interface CliConfig extends EmulatorOptions {
  applications?: RegisterApplicationOptions[];
  users?: RegisterUserOptions[];
  managedIdentities?: RegisterManagedIdentityOptions[];
}

export const USAGE = `Usage: id-emulator [options]

Starts a local Microsoft Entra ID and managed-identity emulator and runs until stopped (Ctrl+C).

Options:
  --https                       serve HTTPS (creates a CA; its PEM path is printed for NODE_EXTRA_CA_CERTS)
  --tls-cert <file> --tls-key <file> [--tls-ca <file>]
                                serve HTTPS with these PEM files instead of a generated CA
  --port <n>                    port (default: any free port)
  --host <address>              address to listen on (default 127.0.0.1)
  --token-lifetime <seconds>    expires_in of issued tokens (default 3599)
  --refresh-in <seconds>        send refresh_in with token responses
  --device-code-interval <s>    interval of device-code responses (default 5)
  --arc-key-directory <dir>     where the Arc challenge writes its .key files
  --auto-sign-in <user|true>    sign this user (true = the default user) in at /authorize without the form
  --max-body-bytes <n>          largest accepted request body (default 1048576)
  --config <file.json>          JSON with any of the options above (camelCase) plus
                                "applications", "users", "managedIdentities" to register
  --json                        print one JSON line (url, endpoints, defaults, env) instead of text
  -h, --help                    show this help
`;

export class CliUsageError extends Error {
  override name = "CliUsageError";
}

const NUMERIC: Record<string, keyof EmulatorOptions> = {
  "--port": "port",
  "--token-lifetime": "tokenLifetimeSeconds",
  "--refresh-in": "refreshInSeconds",
  "--device-code-interval": "deviceCodeIntervalSeconds",
  "--max-body-bytes": "maxBodyBytes",
};

export interface ParsedArgs {
  config: CliConfig;
  json: boolean;
  help: boolean;
}

export function parseArgs(argv: string[], readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): ParsedArgs {
  let config: CliConfig = {};
  const flags: CliConfig = {};
  let json = false;
  let help = false;
  const tlsFiles: { cert?: string; key?: string; ca?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new CliUsageError(`${name} needs a value`);
      return v;
    };
    if (name === "-h" || name === "--help") help = true;
    else if (name === "--https") flags.https = true;
    else if (name === "--json") json = true;
    else if (name === "--host") flags.host = value();
    else if (name === "--tls-cert") tlsFiles.cert = value();
    else if (name === "--tls-key") tlsFiles.key = value();
    else if (name === "--tls-ca") tlsFiles.ca = value();
    else if (name === "--arc-key-directory") flags.arcKeyDirectory = value();
    else if (name === "--auto-sign-in") {
      const v = value();
      flags.autoSignIn = v === "true" ? true : v;
    }
    else if (name === "--config") {
      const file = value();
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFile(file));
      } catch (error) {
        throw new CliUsageError(`--config ${file}: ${(error as Error).message}`);
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new CliUsageError(`--config ${file}: must hold a JSON object`);
      config = parsed as CliConfig;
    } else if (name in NUMERIC) {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new CliUsageError(`${name} must be a non-negative integer (got ${raw})`);
      (flags as Record<string, unknown>)[NUMERIC[name] as string] = n;
    } else throw new CliUsageError(`unknown option ${arg}; see --help`);
  }
  if (tlsFiles.cert !== undefined || tlsFiles.key !== undefined || tlsFiles.ca !== undefined) {
    if (tlsFiles.cert === undefined || tlsFiles.key === undefined) throw new CliUsageError("--tls-cert and --tls-key go together");
    const read = (file: string): string => {
      try {
        return readFile(file);
      } catch (error) {
        throw new CliUsageError(`${file}: ${(error as Error).message}`);
      }
    };
    flags.https = true;
    flags.tls = { certPem: read(tlsFiles.cert), keyPem: read(tlsFiles.key) };
    if (tlsFiles.ca !== undefined) flags.tls.caPem = read(tlsFiles.ca);
  }
  return { config: { ...config, ...flags }, json, help };
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const SECTIONS: Array<[EnvSource, string]> = [
  ["clientSecret", "Client secret (EnvironmentCredential, ClientSecretCredential)"],
  ["clientCertificate", "Client certificate (EnvironmentCredential, ClientCertificateCredential)"],
  ["workloadIdentity", "Workload identity (WorkloadIdentityCredential)"],
  ["pipelines", "Azure Pipelines (AzurePipelinesCredential)"],
  ["imds", "Managed identity through IMDS"],
  ["appService", "Managed identity through App Service"],
  ["arc", "Managed identity through Azure Arc (key files go to the Arc key directory printed above)"],
  ["cloudShell", "Managed identity through Cloud Shell"],
  ["serviceFabric", "Managed identity through Service Fabric"],
  ["azureML", "Managed identity through Azure Machine Learning"],
];

/** The text the CLI prints: endpoints, default identities and one block of export lines per credential. */
export function describeEmulator(emu: Emulator): string {
  const lines: string[] = [`@id/emulator listening on ${emu.url}`, ""];
  lines.push("Endpoints:");
  for (const [name, url] of Object.entries(endpoints(emu))) lines.push(`  ${name.padEnd(20)} ${url}`);
  if (emu.caFile) lines.push("", `CA certificate (trust it with NODE_EXTRA_CA_CERTS): ${emu.caFile}`);
  lines.push(`Arc key directory: ${emu.arcKeyDirectory}`);
  const d = emu.defaults;
  lines.push("", "Default identities:");
  lines.push(`  tenant             ${d.tenantId} (${d.tenantDomain}; "organizations" and "common" also work)`);
  lines.push(`  secret app         ${d.secretApp.clientId}`);
  lines.push(`  certificate app    ${d.certificateApp.clientId} (thumbprint ${d.certificateApp.thumbprintSha1})`);
  lines.push(`  public app         ${d.publicApp.clientId} (redirect ${d.publicApp.redirectUri})`);
  lines.push(`  middle-tier api    ${d.apiApp.clientId}`);
  lines.push(`  user               ${d.user.username} / ${d.user.password}`);
  lines.push(`  managed identity   system ${d.managedIdentity.systemClientId}; user-assigned ${d.managedIdentity.userAssigned.clientId}`);
  for (const [source, title] of SECTIONS) {
    lines.push("", `# ${title}`);
    for (const [k, v] of Object.entries(emu.env(source))) lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push("", "Press Ctrl+C to stop.");
  return lines.join("\n");
}

/** Starts the emulator the CLI way; the caller keeps it running and closes it. */
export async function runCli(argv: string[], print: (text: string) => void): Promise<Emulator | undefined> {
  const { config, json, help } = parseArgs(argv);
  if (help) {
    print(USAGE);
    return undefined;
  }
  const { applications, users, managedIdentities, ...options } = config;
  const emu = await startEmulator(options);
  try {
    for (const app of applications ?? []) emu.registerApplication(app);
    for (const user of users ?? []) emu.registerUser(user);
    for (const identity of managedIdentities ?? []) emu.registerManagedIdentity(identity);
  } catch (error) {
    await emu.close();
    throw new CliUsageError(`config: ${(error as Error).message}`);
  }
  if (json) {
    const env: Record<string, Record<string, string>> = {};
    for (const [source] of SECTIONS) env[source] = emu.env(source);
    print(JSON.stringify({ url: emu.url, caFile: emu.caFile, endpoints: endpoints(emu), defaults: emu.defaults, env }));
  } else {
    print(describeEmulator(emu));
  }
  return emu;
}
