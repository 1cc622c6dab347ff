/**
 * A strict reader of the Prometheus text exposition format 0.0.4, so tests
 * check /metrics output on machines without promtool too. It refuses what
 * Prometheus' parser refuses (bad names, label syntax or escapes, values,
 * a TYPE after samples, a family split in two, duplicate series, a missing
 * final newline) and what `promtool check metrics` lints (no HELP, a
 * counter without `_total`, a non-counter with it, camelCase, the type or
 * an abbreviated unit in the name), and returns the families for assertions. Pure: it runs inside workerd too; promtool.ts
 * runs the real checker (Node only).
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string | undefined;
  type: string | undefined;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;

function fail(line: number, message: string): never {
  throw new Error(`exposition line ${line}: ${message}`);
}

/** Reads `{a="x",b="y"}` from `text` at `pos` (at the "{"); returns the labels and the index after "}". */
function readLabels(text: string, pos: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = pos + 1;
  for (;;) {
    if (text[i] === "}") return [labels, i + 1];
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!nameMatch) fail(line, `bad label name at column ${i}`);
    const name = nameMatch[0];
    if (name in labels) fail(line, `duplicate label ${name}`);
    i += name.length;
    if (text[i] !== "=" || text[i + 1] !== '"') fail(line, `expected =" after label ${name}`);
    i += 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) fail(line, `unterminated value of label ${name}`);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else fail(line, `bad escape \\${e ?? ""} in label ${name}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") fail(line, `expected , or } after label ${name}`);
  }
}

function unescapeHelp(text: string, line: number): string {
  return text.replace(/\\(.?)/g, (_, e: string) => {
    if (e === "\\") return "\\";
    if (e === "n") return "\n";
    return fail(line, `bad escape \\${e} in HELP`);
  });
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, ParsedFamily>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const family = (name: string, line: number): ParsedFamily => {
    if (current !== name) {
      if (finished.has(name)) fail(line, `lines of ${name} are not together`);
      if (current !== undefined) finished.add(current);
      current = name;
    }
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, help: undefined, type: undefined, samples: [] }));
    return f;
  };
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // any other comment
      const [, kind, name, rest] = m as unknown as [string, "HELP" | "TYPE", string, string];
      if (!NAME.test(name)) fail(line, `bad metric name ${name}`);
      const f = family(name, line);
      if (kind === "HELP") {
        if (f.help !== undefined) fail(line, `second HELP for ${name}`);
        f.help = unescapeHelp(rest, line);
      } else {
        if (f.type !== undefined) fail(line, `second TYPE for ${name}`);
        if (f.samples.length > 0) fail(line, `TYPE for ${name} after its samples`);
        if (!TYPES.has(rest)) fail(line, `unknown type ${rest}`);
        f.type = rest;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) fail(line, "a sample must start with a metric name");
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === "{") [labels, i] = readLabels(raw, i, line);
    const rest = raw.slice(i);
    const vm = /^ ([^ ]+)(?: (-?\d+))?$/.exec(rest);
    if (!vm || !FLOAT.test(vm[1]!)) fail(line, `bad value in ${JSON.stringify(rest)}`);
    for (const k of Object.keys(labels)) if (!LABEL_NAME.test(k)) fail(line, `bad label name ${k}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) fail(line, `duplicate series ${key}`);
    seen.add(key);
    const v = vm[1]!;
    const value = /Inf$/.test(v) ? (v.startsWith("-") ? -Infinity : Infinity) : Number(v);
    family(name, line).samples.push({ name, labels, value });
  });
  // promtool check metrics' lint rules (for the families this service writes: no histograms or summaries).
  for (const f of families.values()) {
    if (f.help === undefined || f.help === "") throw new Error(`${f.name}: no HELP text`);
    if (f.type === undefined) throw new Error(`${f.name}: no TYPE`);
    if (f.type === "counter" && !f.name.endsWith("_total")) throw new Error(`${f.name}: counter names end in _total`);
    if (f.type !== "counter" && f.name.endsWith("_total")) throw new Error(`${f.name}: only counters end in _total`);
    if (f.name !== f.name.toLowerCase()) throw new Error(`${f.name}: metric names are snake_case`);
    if (f.name.includes(":")) throw new Error(`${f.name}: colons are reserved for recording rules`);
    for (const t of TYPES) if (f.name.includes(`_${t}_`) || f.name.endsWith(`_${t}`)) throw new Error(`${f.name}: the name includes its type`);
    if (/_(ms|us|ns|sec|secs|min|mins|hrs|kb|mb|gb)(_|$)/.test(f.name)) throw new Error(`${f.name}: abbreviated unit (use base units: seconds, bytes)`);
    for (const s of f.samples) for (const k of Object.keys(s.labels)) if (k !== k.toLowerCase()) throw new Error(`${f.name}: label ${k} is not snake_case`);
  }
  return families;
}
