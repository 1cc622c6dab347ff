/**
 * Compiles the `edgeca` CLI (src/cli and what it imports: src/pki, src/kuma, a
 * few small modules) to JavaScript in dist/cli/, so the packed CLI runs on
 * plain Node with no TypeScript loader and no dependencies to install. Runs on
 * `npm pack` / `npm publish` (prepack) and `npm run build:cli`.
 *
 * - Everything is bundled, @peculiar/x509 and its stack included: the
 *   tarball then installs with nothing from the registry (offline, in CI,
 *   behind a proxy) and `package.json` needs no runtime `dependencies`.
 * - Code splitting keeps the commands' lazy imports lazy: `edgeca --help`,
 *   `--version` and `ca` load ~20 KiB, not the ~370 KiB x509 chunk that
 *   `issue --local-key` and `ca init` need (~25 ms of start-up on this
 *   machine's Node 20).
 * - The version is compiled in (src/cli/version.ts reads package.json only
 *   when run from the sources).
 * - The bundled packages' licence texts go to dist/cli/THIRD-PARTY-LICENSES.txt
 *   (MIT, BSD and Apache-2.0 all ask for their notices in copies).
 */
import { build, type Metafile } from "esbuild";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLI_OUT_DIR = join(root, "dist", "cli");

export async function buildCli(): Promise<{ files: string[]; packages: string[] }> {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  rmSync(CLI_OUT_DIR, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { edgeca: "src/cli/main.ts" },
    outdir: CLI_OUT_DIR,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    legalComments: "none", // the full licence texts are written next to the code instead
    define: { __EDGECA_VERSION__: JSON.stringify(version) },
    metafile: true,
    logLevel: "warning",
  });
  const packages = bundledPackages(result.metafile);
  writeFileSync(join(CLI_OUT_DIR, "THIRD-PARTY-LICENSES.txt"), licenceNotices(packages));
  return { files: Object.keys(result.metafile.outputs), packages };
}

/** The package directories (node_modules/…) whose code ended up in the output. */
function bundledPackages(metafile: Metafile): string[] {
  const dirs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) dirs.add(m[1]!);
    }
  }
  return [...dirs].sort();
}

function licenceNotices(packageDirs: string[]): string {
  const sections = packageDirs.map((dir) => {
    const abs = join(root, dir);
    const pkg = JSON.parse(readFileSync(join(abs, "package.json"), "utf8")) as { name: string; version: string; license?: string };
    const file = readdirSync(abs).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file && existsSync(join(abs, file)) ? readFileSync(join(abs, file), "utf8").trim() : `(no licence file; package.json says ${pkg.license ?? "nothing"})`;
    return `${pkg.name}@${pkg.version} (${pkg.license ?? "unknown"})\n\n${text}\n`;
  });
  return `The edgeca CLI bundles the following packages.\n\n${sections.join("\n" + "-".repeat(72) + "\n\n")}`;
}

if (process.argv[1]?.endsWith("build-cli.ts")) {
  const { files, packages } = await buildCli();
  console.log(`dist/cli ready: ${files.length} files, ${packages.length} bundled packages`);
}
