#!/usr/bin/env node
// id-emulator: run the emulator until SIGINT/SIGTERM. See cli-main.ts and the README.
import { CliUsageError, runCli } from "./cli-main.js";

async function main(): Promise<void> {
  const emu = await runCli(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`));
  if (!emu) return;
  const stop = () => {
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const message = error instanceof CliUsageError ? `id-emulator: ${error.message}` : `id-emulator: ${(error as Error)?.message ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(error instanceof CliUsageError ? 2 : 1);
});
