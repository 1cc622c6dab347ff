/**
 * docs/acme.md's cert-manager objects and the ones `edgeca acme eab` prints
 * are the same objects: the ClusterIssuer has the EAB, no solvers and sends
 * duration; the Certificate fills Kuma's general-tls-certs in kuma-system
 * with the names the sidecars and the webhook use, for a lifetime within
 * the default MAX_TTL. (The certbot and lego blocks are run by
 * test/interop/acme-certbot-lego.test.ts.)
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { eabSnippets } from "../../src/cli/commands/acme-eab.ts";
import { DEFAULT_MAX_TTL } from "../../src/config.ts";
import { parseDuration } from "../../src/pki/duration.ts";

const doc = readFileSync(new URL("../../docs/acme.md", import.meta.url), "utf8");
type Obj = Record<string, any>;
const yamlObjects: Obj[] = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].flatMap((m) => YAML.parseAllDocuments(m[1]!).map((d) => d.toJS() as Obj));
const byKind = (kind: string) => yamlObjects.filter((o) => o.kind === kind);

function hours(text: string): number {
  const m = /^(\d+)h$/.exec(text);
  expect(m, `${text} is a duration in hours, as cert-manager writes them`).not.toBeNull();
  return Number(m![1]);
}

describe("docs/acme.md cert-manager objects", () => {
  const eab = { kid: "kid-123", hmac_key: "A".repeat(43), directory: "https://edgeca.example.com/acme/directory", expires_at: "2026-12-08T00:00:00Z" };
  const printed = YAML.parseAllDocuments(eabSnippets(eab, ["kuma-control-plane.kuma-system"]).certManager).map((d) => d.toJS() as Obj);

  it("the ClusterIssuer: EAB from a Secret in cert-manager's namespace, no solvers, duration sent; the same as edgeca acme eab prints", () => {
    const [issuer] = byKind("ClusterIssuer");
    const [secret] = byKind("Secret");
    expect(issuer).toBeDefined();
    expect(issuer!.spec.acme.solvers).toBeUndefined();
    expect(issuer!.spec.acme.enableDurationFeature).toBe(true);
    expect(issuer!.spec.acme.server).toBe("https://edgeca.example.com/acme/directory");
    expect(issuer!.spec.acme.externalAccountBinding.keySecretRef).toEqual({ name: secret!.metadata.name, key: Object.keys(secret!.stringData)[0] });
    expect(secret!.metadata.namespace).toBe("cert-manager");
    // What the CLI prints differs only by the filled-in kid and key.
    const [pSecret, pIssuer] = printed as [Obj, Obj];
    expect(pIssuer.spec.acme.externalAccountBinding.keyID).toBe("kid-123");
    expect(pSecret.stringData["hmac-key"]).toBe(eab.hmac_key);
    expect({ ...pIssuer, spec: { acme: { ...pIssuer.spec.acme, externalAccountBinding: { ...pIssuer.spec.acme.externalAccountBinding, keyID: "x" } } } }).toEqual({
      ...issuer,
      spec: { acme: { ...issuer!.spec.acme, externalAccountBinding: { ...issuer!.spec.acme.externalAccountBinding, keyID: "x" } } },
    });
    expect({ ...pSecret, stringData: {} }).toEqual({ ...secret, stringData: {} });
  });

  it("the Certificate fills kuma-system/general-tls-certs for the CP's in-cluster names, within MAX_TTL, from the edgeca ClusterIssuer", () => {
    const [cert] = byKind("Certificate");
    expect(cert!.metadata.namespace).toBe("kuma-system");
    expect(cert!.spec.secretName).toBe("general-tls-certs");
    expect(cert!.spec.dnsNames).toEqual(["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"]);
    expect(cert!.spec.issuerRef).toEqual({ kind: "ClusterIssuer", name: byKind("ClusterIssuer")[0]!.metadata.name });
    const max = parseDuration(DEFAULT_MAX_TTL);
    expect(max.ok).toBe(true);
    const duration = hours(cert!.spec.duration) * 3600;
    expect(duration).toBeLessThanOrEqual(max.ok ? max.value : 0);
    expect(hours(cert!.spec.renewBefore) * 3600).toBeLessThan(duration / 2);
  });
});
