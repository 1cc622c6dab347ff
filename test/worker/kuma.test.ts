/**
 * Kuma-ready output: the purpose parameter (usage, default names, Secret,
 * warnings) and the helm-values and env formats.
 */
import { describe, expect, it } from "vitest";
import { x509 } from "../../src/pki/x509.ts";
import { call, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

type WithKuma = IssuedJson & { kuma: NonNullable<IssuedJson["kuma"]> };

async function issue(body: Record<string, unknown>, query = ""): Promise<Response> {
  return call(`/v1/certificates${query}`, { token: tokens.admin, body });
}

describe("purpose", () => {
  it("defaults the general certificate's names to the in-cluster Service names, and says which Secret and Helm values to use", async () => {
    const res = await issue({ purpose: "general" });
    expect(res.status).toBe(201);
    const b = (await res.json()) as WithKuma;
    expect(b.hostnames).toEqual(["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"]);
    expect(b.kuma.secret).toEqual({ name: "general-tls-certs", namespace: "kuma-system" });
    expect(b.kuma.warnings).toEqual([]);
    expect(b.kuma.helm_values).toContain("controlPlane:\n  tls:\n    general:\n      secretName: general-tls-certs\n      caBundle: ");
    // caBundle is single-line base64 of ca.crt, or the webhook fails with "unable to parse bytes as PEM block".
    const caBundle = /caBundle: (\S+)\n/.exec(b.kuma.helm_values)![1]!;
    expect(atob(caBundle)).toBe(b.ca);
    expect(b.kuma.env).toContain("KUMA_GENERAL_TLS_CERT_FILE=/etc/kuma/tls/tls.crt\nKUMA_GENERAL_TLS_KEY_FILE=/etc/kuma/tls/tls.key\n");
  });

  it("uses Kong Mesh's names and nests Helm values under kuma.", async () => {
    const b = (await (await issue({ purpose: "general", product: "kong-mesh" })).json()) as WithKuma;
    expect(b.hostnames).toContain("kong-mesh-control-plane.kong-mesh-system.svc");
    expect(b.kuma.secret.namespace).toBe("kong-mesh-system");
    expect(b.kuma.helm_values.startsWith("kuma:\n  controlPlane:\n")).toBe(true);
  });

  it("warns when the general certificate misses the .svc name or uses a key Envoy refuses", async () => {
    const b = (await (await issue({ purpose: "general", hostnames: ["cp.example.com"], key: "ed25519" })).json()) as WithKuma;
    expect(b.kuma.warnings.join("\n")).toMatch(/ed25519 keys are refused by Envoy/);
    expect(b.kuma.warnings.join("\n")).toMatch(/kuma-control-plane\.kuma-system\.svc/);
  });

  it("makes a client certificate for purpose client", async () => {
    const b = (await (await issue({ purpose: "client", hostnames: ["ops.example.com"] })).json()) as WithKuma;
    expect(b.usage).toEqual(["client"]);
    expect(new x509.X509Certificate(b.certificate).getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
  });

  it.each([
    ["kds-global", "kds-server-tls", "KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE", "kdsGlobalServer"],
    ["api-server", "api-server-tls", "KUMA_API_SERVER_HTTPS_TLS_CERT_FILE", "apiServer"],
    ["mads", "general-tls-certs", "KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_ENABLED=true", "KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_ENABLED"],
  ])("names the Secret, env and Helm values of %s", async (purpose, secret, env, helm) => {
    const b = (await (await issue({ purpose, hostnames: ["global.example.com"] })).json()) as WithKuma;
    expect(b.kuma.secret.name).toBe(secret);
    expect(b.kuma.env).toContain(env);
    expect(b.kuma.helm_values).toContain(helm);
  });

  it("requires hostnames for purposes without in-cluster defaults", async () => {
    const p = await expectProblem(await issue({ purpose: "kds-global" }), 400, "validation_failed");
    expect(p.errors?.[0]?.pointer).toBe("/hostnames");
  });

  it("names the kubernetes-secret after the purpose", async () => {
    const yaml = await (await issue({ purpose: "api-server", hostnames: ["cp.example.com"] }, "?format=kubernetes-secret")).text();
    expect(yaml).toContain("  name: api-server-tls\n  namespace: kuma-system\n");
  });
});

describe("helm-values and env formats", () => {
  it("refuses them when edgeca would generate a key it could not hand back", async () => {
    await expectProblem(await issue({ hostnames: ["cp.example.com"] }, "?format=helm-values"), 400, "unsupported_format");
    await expectProblem(await issue({ hostnames: ["cp.example.com"] }, "?format=env"), 400, "unsupported_format");
  });

  it("renders them for a signed CSR", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=x", keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } })).toString("pem");
    const env = await call("/v1/certificates/sign?format=env&dir=/opt/kuma/tls", { token: tokens.admin, body: { csr, hostnames: ["global.example.com"], purpose: "kds-global" } });
    expect(env.status).toBe(201);
    expect(await env.text()).toContain("KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE=/opt/kuma/tls/tls.crt");
    const helm = await call("/v1/certificates/sign?format=helm-values", { token: tokens.admin, body: { csr, hostnames: ["cp.example.com"], purpose: "general", product: "kong-mesh" } });
    expect(await helm.text()).toMatch(/^kuma:\n {2}controlPlane:\n {4}tls:\n {6}general:\n {8}secretName: general-tls-certs\n {8}caBundle: [A-Za-z0-9+/=]+\n$/);
    await expectProblem(await call("/v1/certificates/sign?format=env&dir=relative", { token: tokens.admin, body: { csr, hostnames: ["cp.example.com"] } }), 400, "validation_failed");
  });
});
