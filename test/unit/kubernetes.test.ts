/**
 * The pure parts of the CLI's Kubernetes client (src/cli/kubernetes.ts): Secret references, reading
 * and rebuilding a Secret's data, comparing trust bundles by certificate, and in-cluster configuration.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inClusterConfig, parseSecretRef, sameCertificates, secretBundle, withBundle, type Secret } from "../../src/cli/kubernetes.ts";
import { createRootCa } from "../../src/pki/ca-certificate.ts";

let a: string;
let b: string;
beforeAll(async () => {
  const now = Date.now();
  const make = async (cn: string) => (await createRootCa({ subject: `CN=${cn}`, keyAlgorithm: "ecdsa-p256", notBefore: new Date(now), notAfter: new Date(now + 86_400_000) })).certificatePem;
  [a, b] = await Promise.all([make("a"), make("b")]);
});

describe("parseSecretRef", () => {
  it.each(["kuma-system/general-tls-certs", "ns/a.b-c"])("accepts %s", (ref) => {
    expect(parseSecretRef(ref)).toEqual({ namespace: ref.split("/")[0], name: ref.split("/")[1] });
  });
  it.each(["general-tls-certs", "Kuma/x", "ns/", "/x", "ns/x/y", "ns/X", `${"a".repeat(64)}/x`])("rejects %s as a usage error", (ref) => {
    expect(() => parseSecretRef(ref)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe("sameCertificates", () => {
  it("compares the certificates, not the text: order, whitespace and non-certificate blocks do not matter", () => {
    expect(sameCertificates(a + b, `\n${b}\n\n${a}`)).toBe(true);
    expect(sameCertificates(a, a + b)).toBe(false);
    expect(sameCertificates(a, b)).toBe(false);
    expect(sameCertificates(undefined, a)).toBe(false);
    expect(sameCertificates("", "")).toBe(false); // an empty ca.crt is never "the same"
  });
});

describe("withBundle / secretBundle", () => {
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "n", resourceVersion: "7", labels: { l: "1" }, annotations: { x: "y" }, ownerReferences: [{ name: "o" }] },
    type: "kubernetes.io/tls",
    data: { "tls.crt": "b2xk", "tls.key": "a2V5", other: "b3RoZXI=" },
  };
  it("replaces tls.crt, tls.key and ca.crt and keeps every other key, label, annotation and the resourceVersion read", () => {
    const next = withBundle(secret, { chain: a, privateKey: "KEY", ca: b }, { "edgeca.dev/serial-number": "01" });
    expect(next.metadata).toEqual({ ...secret.metadata, annotations: { x: "y", "edgeca.dev/serial-number": "01" } });
    expect(next.type).toBe("kubernetes.io/tls");
    expect(secretBundle(next)).toEqual({ chain: a, privateKey: "KEY", ca: b });
    expect(next.data!.other).toBe("b3RoZXI=");
    expect(secret.data!["tls.crt"]).toBe("b2xk"); // the input is not modified
  });
  it("keeps the old tls.key when the new bundle has none (a CSR renewal with the kept key)", () => {
    expect(withBundle(secret, { chain: a, ca: b }, {}).data!["tls.key"]).toBe("a2V5");
  });
  it("rejects data that is not base64 of UTF-8 text", () => {
    expect(() => secretBundle({ ...secret, data: { "tls.crt": Buffer.from([0xff, 0xfe]).toString("base64") } })).toThrow(/tls.crt is not base64 of PEM text/);
  });
});

describe("inClusterConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeca-sa-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("reads host, port, token and CA from the environment and the service-account directory", () => {
    writeFileSync(join(dir, "token"), "tok\n");
    writeFileSync(join(dir, "ca.crt"), a);
    expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: "10.96.0.1", EDGECA_SERVICE_ACCOUNT_DIR: dir })).toEqual({ host: "10.96.0.1", port: 443, token: "tok", ca: a, tokenFile: join(dir, "token") });
    expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443", EDGECA_SERVICE_ACCOUNT_DIR: dir }).port).toBe(6443);
  });
  it("says what is missing", () => {
    expect(() => inClusterConfig({})).toThrow(/KUBERNETES_SERVICE_HOST is not set/);
    expect(() => inClusterConfig({ KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "x" })).toThrow(/KUBERNETES_SERVICE_PORT is not a port/);
    expect(() => inClusterConfig({ KUBERNETES_SERVICE_HOST: "h", EDGECA_SERVICE_ACCOUNT_DIR: join(dir, "nope") })).toThrow(/cannot read the service-account token .*ENOENT/);
  });
});
