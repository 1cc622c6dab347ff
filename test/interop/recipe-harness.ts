/**
 * Running docs/kuma.md and README.md: their recipes by id, the runnable blocks
 * in document order, and the recording stand-ins for kubectl, helm and
 * kumactl that recipes call (shared by recipes.test.ts, rotation.test.ts and
 * docs-walkthrough.test.ts).
 */
import { join } from "node:path";
import { REPO } from "./cli-harness.ts";

/** The rotation runbook's recipes (docs/kuma.md "Rotating the CA"), run by rotation.test.ts in phase order. */
export const ROTATION_RECIPES = ["rotate-publish", "rotate-switch", "rotate-retire-check", "rotate-retire"];

/** The recipes of docs/kuma.md by id, blocks of one id joined in order. */
export function recipes(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/^```sh recipe=([a-z0-9-]+)\n([\s\S]*?)^```$/gm)) {
    out.set(m[1]!, (out.get(m[1]!) ?? "") + m[2]!);
  }
  return out;
}

/** A runnable block: ```sh recipe=<id> or ```sh setup=<id>, in document order (blocks of one id stay separate). */
export interface DocBlock {
  kind: "recipe" | "setup";
  id: string;
  script: string;
}

/** The runnable ```sh blocks of a Markdown file in the order a reader meets them. */
export function runnableBlocks(markdown: string): DocBlock[] {
  return [...markdown.matchAll(/^```sh (recipe|setup)=([a-z0-9-]+)\n([\s\S]*?)^```$/gm)].map((m) => ({ kind: m[1] as DocBlock["kind"], id: m[2]!, script: m[3]! }));
}

/** The ```sh block (without an attribute) of a Markdown file whose text contains `needle`. */
export function plainBlock(markdown: string, needle: string): string | undefined {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((s) => s.includes(needle));
}

/**
 * Blocks joined into one script, each announced on stdout ("::block <id>") so
 * a failure names the block it stopped in. The local service's documented
 * address, http://127.0.0.1:8787, becomes `url` (the tests' worker listens on
 * an ephemeral port); nothing else of the text is changed.
 */
export function walkthroughScript(blocks: DocBlock[], url: string): string {
  return blocks.map((b) => `echo "::block ${b.id}"\n${b.script.replaceAll("http://127.0.0.1:8787", url)}`).join("\n");
}

export const FAKE_KUBECTL = `#!/usr/bin/env node
// Recording kubectl: apply -f / create secret write each Secret's data, decoded, to
// $KUBE_STATE/<namespace>/<name>/<key>, as a volume mount would show it.
const fs = require("node:fs"), path = require("node:path");
const { createRequire } = require("node:module");
const YAML = createRequire(${JSON.stringify(join(REPO, "package.json"))})("yaml");
const state = process.env.KUBE_STATE, args = process.argv.slice(2);
fs.appendFileSync(path.join(state, "kubectl.log"), JSON.stringify(args) + "\\n");
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const dryRun = args.includes("--dry-run=client") && opt("-o") === "yaml";
const save = (ns, name, type, data) => {
  if (dryRun) {
    // kubectl create … --dry-run=client -o yaml prints the object instead of creating it (for | kubectl apply -f -).
    const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
    return process.stdout.write(YAML.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type, data: b64 }));
  }
  const dir = path.join(state, ns, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, ".type"), type);
  for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(dir, k), v);
  console.log("secret/" + name + " configured");
};
if (args[0] === "apply") {
  const f = opt("-f");
  const text = fs.readFileSync(f === "-" ? 0 : f, "utf8");
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  if (docs.length === 0) { console.error("error: no objects passed to apply"); process.exit(1); }
  for (const d of docs) {
    if (d.kind !== "Secret") continue;
    save(d.metadata.namespace ?? "default", d.metadata.name, d.type ?? "Opaque",
      Object.fromEntries(Object.entries(d.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])));
  }
} else if (args[0] === "create" && args[1] === "secret") {
  const data = {};
  for (const a of args) {
    const m = /^--from-file=(?:([^=]+)=)?(.+)$/.exec(a);
    if (m) data[m[1] ?? path.basename(m[2])] = fs.readFileSync(m[2]);
    const c = /^--(cert|key)=(.+)$/.exec(a);
    if (c) data[c[1] === "cert" ? "tls.crt" : "tls.key"] = fs.readFileSync(c[2]);
  }
  save(opt("-n") ?? opt("--namespace") ?? "default", args[3], args[2] === "tls" ? "kubernetes.io/tls" : "Opaque", data);
}
`;

export const FAKE_HELM = `#!/usr/bin/env bash
# Recording helm: one JSON array of arguments per call.
node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@" >> "$KUBE_STATE/helm.log"
`;

/** Recording kumactl: one JSON array of arguments per call. */
export const FAKE_KUMACTL = `#!/usr/bin/env bash
node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@" >> "$KUBE_STATE/kumactl.log"
`;
