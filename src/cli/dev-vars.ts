/**
 * Reading and writing .dev.vars, the dotenv file wrangler reads secrets from
 * locally. Multi-line PEM values are written double-quoted with \n escapes,
 * which dotenv expands. The file is created with mode 0600.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

export function readDevVars(path: string): Map<string, string> {
  const vars = new Map<string, string>();
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if (value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\n/g, "\n");
    } else if (/^(['`]).*\1$/.test(value)) {
      value = value.slice(1, -1);
    }
    vars.set(m[1]!, value);
  }
  return vars;
}

/**
 * dotenv expands \n only inside double quotes and has no escape for quotes,
 * so multi-line values (PEM, which has no quotes) are double-quoted with \n,
 * and single-line values (JSON) are single-quoted, taken literally.
 */
function quote(key: string, value: string): string {
  if (value.includes("\n")) {
    if (/["\\]/.test(value)) throw new Error(`${key}: a multi-line value cannot contain quotes or backslashes`);
    return `"${value.replace(/\n/g, "\\n")}"`;
  }
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes("`")) return `\`${value}\``;
  throw new Error(`${key}: the value contains both ' and \``);
}

export function writeDevVars(path: string, vars: Map<string, string>): void {
  const lines = ["# Local secrets for `wrangler dev`, written by edgeca scripts. Never commit this file."];
  for (const [k, v] of vars) lines.push(`${k}=${quote(k, v)}`);
  writeFileSync(path, lines.join("\n") + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
