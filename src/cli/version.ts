/**
 * The CLI version, package.json's. The packed CLI has it compiled in
 * (scripts/build-cli.ts defines __EDGECA_VERSION__); run from the sources it
 * is read once at startup.
 */
import { readFileSync } from "node:fs";

declare const __EDGECA_VERSION__: string | undefined;

export const VERSION: string =
  typeof __EDGECA_VERSION__ === "string"
    ? __EDGECA_VERSION__
    : (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
