/** The leaf template both bench workers issue: one DNS name, server usage, 90 days. */
import type { PublicKeyAlgorithm } from "../src/pki/keys.ts";
import type { LeafTemplate } from "../src/pki/leaf-profile.ts";
import { randomSerialNumber } from "../src/pki/validity.ts";

export function benchTemplate(spki: Uint8Array, alg: PublicKeyAlgorithm, now: number): LeafTemplate {
  return {
    serialNumber: randomSerialNumber(),
    names: [{ kind: "dns", value: "cp.example.com" }],
    commonName: undefined,
    usages: ["server"],
    publicKey: spki,
    publicKeyAlgorithm: alg,
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + 90 * 86_400_000),
    crlDistributionPoint: undefined,
  };
}
