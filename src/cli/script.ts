/** Runs one CLI command as a standalone script (npm run ca:init / token:create), with the CLI's error handling. */
import type { Io } from "./context.ts";
import { CliError, EXIT } from "./errors.ts";

export async function runScript(command: (args: string[], io: Io) => Promise<number>): Promise<void> {
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env };
  try {
    process.exitCode = await command(process.argv.slice(2), io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`${error.message}\n`);
    process.exitCode = error.exitCode;
  }
}
