/** Kuma override advice: the Kubernetes-names warning only where Kubernetes may apply; env files hint only the clients of their server. */
import { describe, expect, it } from "vitest";
import { adviseOverride, PURPOSES, universalEnv } from "../../src/kuma/overrides.ts";

describe("adviseOverride", () => {
  it("warns about the in-cluster names when the mode is unknown or Kubernetes, not for Universal", () => {
    const k8s = /^on Kubernetes, .* add them to hostnames/;
    expect(adviseOverride("general", "kuma", ["cp.mesh.example.com"], "ecdsa-p256").warnings).toEqual([expect.stringMatching(k8s)]);
    expect(adviseOverride("general", "kuma", ["cp.mesh.example.com"], "ecdsa-p256", "kubernetes").warnings).toEqual([expect.stringMatching(k8s)]);
    expect(adviseOverride("general", "kuma", ["cp.mesh.example.com"], "ecdsa-p256", "universal").warnings).toEqual([]);
    // Other warnings stay in Universal mode.
    expect(adviseOverride("general", "kuma", ["cp.mesh.example.com"], "ed25519", "universal").warnings).toEqual([expect.stringMatching(/refused by Envoy/)]);
  });
});

describe("universalEnv", () => {
  const hints = (purpose: (typeof PURPOSES)[number]) => universalEnv(purpose, "/etc/kuma/tls").split("\n").filter((l) => /^# {3}\S/.test(l)).map((l) => l.replace(/^# +/, "").split(":")[0]);
  it.each([
    ["general", ["kuma-dp", "zone CP", "kumactl"]],
    ["dp-server", ["kuma-dp"]],
    ["api-server", ["kumactl"]],
    ["kds-global", ["zone CP"]],
    ["mads", ["Prometheus"]],
    ["client", []],
  ] as const)("%s: trust hints for %j", (purpose, expected) => {
    expect(hints(purpose)).toEqual(expected);
  });
});
