/**
 * The CLI's exit codes and its one error type. Every failure ends up as a
 * CliError with an exit code; main() prints it as one line (or JSON).
 */

/** Exit codes, documented in `edgeca --help` and docs/cli.md. */
export const EXIT = {
  /** Success: issued, renewed, fetched, valid. */
  ok: 0,
  /** Any failure: the service refused (problem details), network, files. */
  failed: 1,
  /** The command line is wrong (unknown option, missing value). */
  usage: 2,
  /** `renew`: the certificate does not expire within the window; nothing was done. */
  notDue: 3,
  /** `verify`: the chain is not valid for the name / usage / time. */
  invalid: 4,
  /** `ca --pin`: no certificate in the trust bundle has a pinned fingerprint. */
  pinMismatch: 5,
  /** `ca rotate check`: the phase is not safe yet (something still depends on the old CA). */
  notSafe: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
    /** Machine-readable extras for --json (e.g. the problem document's code). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
