/**
 * Writing the bundle the way Kuma reads it: tls.crt (leaf + intermediates),
 * tls.key (PKCS#8, mode 0600), ca.crt (the roots). Each file is written to a
 * temporary name in the same directory and renamed over the old one, so a
 * control plane watching the files (Kuma ≥ 3.0 reloads them) never reads
 * half a file; the key is renamed before the certificate.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface BundleFiles {
  dir: string;
  cert: string;
  key?: string;
  ca: string;
  env?: string;
}

export function writeAtomically(path: string, content: string, mode = 0o644): void {
  // An unpredictable name opened with O_EXCL ("wx"): in a shared directory nobody can pre-create it as a
  // symlink and have a private key written through it.
  const tmp = `${path}.${randomBytes(12).toString("hex")}.tmp`;
  writeFileSync(tmp, content, { mode, flag: "wx" });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function writeBundle(dir: string, bundle: { chain: string; privateKey?: string | undefined; ca: string }, env?: string): BundleFiles {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o755 });
  const files: BundleFiles = { dir: abs, cert: join(abs, "tls.crt"), ca: join(abs, "ca.crt") };
  if (bundle.privateKey !== undefined) {
    files.key = join(abs, "tls.key");
    writeAtomically(files.key, bundle.privateKey, 0o600);
  }
  writeAtomically(files.cert, bundle.chain);
  writeAtomically(files.ca, bundle.ca);
  if (env !== undefined) {
    files.env = join(abs, "kuma.env");
    writeAtomically(files.env, env);
  }
  return files;
}
