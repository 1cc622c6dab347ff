/**
 * Bundle formats for the files a Kuma control plane reads, following the
 * conventions users know from cert-manager: tls.crt = leaf + intermediates
 * (never the self-signed root), tls.key = PKCS#8, ca.crt = the trust anchors.
 */
import { concatBytes, toBase64, utf8 } from "./bytes.ts";

export interface TlsBundle {
  /** tls.crt: the leaf followed by intermediates. */
  chain: string;
  /** tls.key: PKCS#8 PEM; absent when the caller kept the key (CSR signing). */
  privateKey?: string | undefined;
  /** ca.crt: the trust bundle. */
  ca: string;
}

interface TarEntry {
  name: string;
  mode: number;
  content: Uint8Array;
}

/** One ustar header block (POSIX.1-1988 §10.1.1). */
function tarHeader(entry: TarEntry, mtime: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (offset: number, length: number, text: string) => h.set(utf8(text).subarray(0, length), offset);
  const octal = (offset: number, length: number, value: number) => put(offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
  put(0, 100, entry.name);
  octal(100, 8, entry.mode);
  octal(108, 8, 0); // uid
  octal(116, 8, 0); // gid
  octal(124, 12, entry.content.length);
  octal(136, 12, mtime);
  put(148, 8, "        "); // checksum is computed with this field as spaces
  put(156, 1, "0"); // regular file
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  put(265, 32, "root");
  put(297, 32, "root");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** A tar archive of regular files, ending with two zero blocks. */
export function tarArchive(entries: readonly TarEntry[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e, mtime), e.content, new Uint8Array((512 - (e.content.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concatBytes(...parts);
}

export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * tls.crt, tls.key (mode 0600: it is a private key) and ca.crt, gzipped, so
 * `curl … | tar xz -C /etc/kuma/tls` lays the files out as Kuma expects.
 */
export async function tlsBundleTarGz(bundle: TlsBundle, mtime: Date): Promise<Uint8Array> {
  const entries: TarEntry[] = [{ name: "tls.crt", mode: 0o644, content: utf8(bundle.chain) }];
  if (bundle.privateKey) entries.push({ name: "tls.key", mode: 0o600, content: utf8(bundle.privateKey) });
  entries.push({ name: "ca.crt", mode: 0o644, content: utf8(bundle.ca) });
  return gzip(tarArchive(entries, Math.floor(mtime.getTime() / 1000)));
}

export interface SecretMetadata {
  name: string;
  namespace: string;
  annotations?: Record<string, string>;
}

/** Kubernetes object names: DNS-1123 subdomain (name) and label (namespace). */
export const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A Secret manifest that `kubectl apply -f -` accepts. With a private key it
 * is a `kubernetes.io/tls` Secret (which requires tls.key); without one, an
 * Opaque Secret holding tls.crt and ca.crt.
 */
export function kubernetesSecretYaml(bundle: TlsBundle, meta: SecretMetadata): string {
  const lines = ["apiVersion: v1", "kind: Secret", "metadata:", `  name: ${meta.name}`, `  namespace: ${meta.namespace}`];
  lines.push("  labels:", "    app.kubernetes.io/managed-by: edgeca");
  const annotations = Object.entries(meta.annotations ?? {});
  if (annotations.length > 0) {
    lines.push("  annotations:");
    for (const [k, v] of annotations) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  lines.push(`type: ${bundle.privateKey ? "kubernetes.io/tls" : "Opaque"}`, "data:");
  lines.push(`  tls.crt: ${toBase64(utf8(bundle.chain))}`);
  if (bundle.privateKey) lines.push(`  tls.key: ${toBase64(utf8(bundle.privateKey))}`);
  lines.push(`  ca.crt: ${toBase64(utf8(bundle.ca))}`);
  return lines.join("\n") + "\n";
}
