/**
 * `npm run ca:init`: the same as `edgeca ca init` (src/cli/commands/ca-init.ts).
 */
import { runScript } from "../src/cli/script.ts";
import { caInitCommand } from "../src/cli/commands/ca-init.ts";

await runScript((args, io) => caInitCommand(args, io, "npm run ca:init --"));
