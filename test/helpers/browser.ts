/**
 * A real Chromium for the browser tests, with no apt step: Debian's
 * /usr/bin/chromium when it is installed, otherwise the Chromium that the npm
 * package @sparticuz/chromium ships inside its tarball (brotli-packed, unpacked
 * to the temp dir on first use; nothing is downloaded at install or run time).
 *
 * Only launch flags that keep the browser honest are passed: not the package's
 * own defaults, which include --disable-web-security and would let a page
 * break its CSP or same-origin policy unnoticed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Flags for a closed network (no background connections) and running as root in a container. */
const ARGS = [
  "--no-sandbox",
  "--no-zygote",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-domain-reliability",
  "--no-pings",
];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface ChromiumExecutable {
  path: string;
  source: "debian" | "npm" | "EDGECA_CHROMIUM";
  /** Environment for the browser process (the packaged one brings its own fonts). */
  env?: Record<string, string>;
}

/** Where the Chromium used by the tests comes from. */
export async function chromiumExecutable(): Promise<ChromiumExecutable> {
  const override = process.env.EDGECA_CHROMIUM;
  if (override) return { path: override, source: "EDGECA_CHROMIUM" };
  if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM, source: "debian" };
  const dir = await unpackPackagedChromium();
  return { path: join(dir, "chromium"), source: "npm", env: { FONTCONFIG_PATH: join(dir, "fontconfig") } };
}

/**
 * Unpack @sparticuz/chromium once into node_modules/.cache/, safely when several
 * test files (separate processes) ask at the same time: the package unpacks into
 * os.tmpdir() and treats an existing file as complete, so each process unpacks
 * into a private directory (TMPDIR pointed at it for the call) and renames it
 * into place; the loser of the rename discards its copy.
 */
async function unpackPackagedChromium(): Promise<string> {
  const pkgDir = join(repoRoot, "node_modules", "@sparticuz", "chromium");
  const pkgJson = join(pkgDir, "package.json");
  const version = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;
  const cacheRoot = join(repoRoot, "node_modules", ".cache", "edgeca-chromium");
  const finalDir = join(cacheRoot, version);
  if (existsSync(join(finalDir, "chromium"))) return finalDir;
  mkdirSync(cacheRoot, { recursive: true });
  const privateDir = mkdtempSync(join(cacheRoot, `.unpack-${process.pid}-`));
  const { default: packaged } = await import("@sparticuz/chromium");
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = privateDir; // os.tmpdir() reads it on every call
  try {
    await packaged.executablePath(join(pkgDir, "bin"));
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  // The package's fonts.conf names /tmp/fonts; point fontconfig at the unpacked fonts and the system's.
  mkdirSync(join(privateDir, "fontconfig"));
  writeFileSync(
    join(privateDir, "fontconfig", "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <dir>${join(finalDir, "fonts")}</dir>\n  <dir>/usr/share/fonts</dir>\n` +
      `  <cachedir>${join(finalDir, "fontconfig", "cache")}</cachedir>\n</fontconfig>\n`,
  );
  try {
    renameSync(privateDir, finalDir);
  } catch {
    rmSync(privateDir, { recursive: true, force: true }); // another process won the race
  }
  return finalDir;
}

/** Launch headless Chromium (Debian's or the npm-packaged one). */
export async function launchChromium(): Promise<Browser> {
  const { path, env } = await chromiumExecutable();
  return chromium.launch({
    executablePath: path,
    headless: true,
    args: ARGS,
    ...(env ? { env: { ...process.env, ...env } as Record<string, string> } : {}),
  });
}
