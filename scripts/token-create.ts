/**
 * `npm run token:create`: the same as `edgeca token create` (src/cli/commands/token-create.ts).
 */
import { runScript } from "../src/cli/script.ts";
import { tokenCreateCommand } from "../src/cli/commands/token-create.ts";

await runScript((args, io) => tokenCreateCommand(args, io, "npm run token:create --"));
