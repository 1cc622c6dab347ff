/** Moved to src/cli/dev-vars.ts (the CLI's `ca init` and `token create` use it too). */
export * from "../../src/cli/dev-vars.ts";
