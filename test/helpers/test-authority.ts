/**
 * A throwaway CA and tokens, generated at test time (no fixture can expire):
 * a root, an intermediate that issues, and tokens with different scopes and
 * name policies. Used to configure the worker under test.
 */
import { createIntermediateCa, createRootCa } from "../../src/pki/ca-certificate.ts";
import type { KeyAlgorithm } from "../../src/pki/keys.ts";
import { toBase64 } from "../../src/pki/bytes.ts";
import { createToken } from "../../src/store/secret-tokens.ts";

export interface TestAuthority {
  bindings: { CA_CERT: string; CA_KEY: string; API_TOKENS: string; STORE_KEY: string };
  rootPem: string;
  intermediatePem: string;
  tokens: { admin: string; zoneA: string; reader: string; shortTtl: string };
}

const DAY = 86_400_000;

export async function createTestAuthority(keyAlgorithm: KeyAlgorithm = "ecdsa-p256"): Promise<TestAuthority> {
  const now = Date.now();
  const root = await createRootCa({ subject: "CN=edgeca test root,O=edgeca tests", keyAlgorithm, notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) });
  const intermediate = await createIntermediateCa(
    { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm },
    { subject: "CN=edgeca test issuing CA,O=edgeca tests", keyAlgorithm, notBefore: new Date(now - DAY), notAfter: new Date(now + 1825 * DAY) },
  );
  const admin = await createToken("test-admin", ["admin"], ["*"]);
  const zoneA = await createToken("zone-a-pipeline", ["issue", "sign"], ["*.zone-a.mesh.example.com", ".internal.example.com", "cp.example.com", "10.0.0.0/8", "fd00::/8"]);
  const reader = await createToken("reader", ["read"], ["*"]);
  const shortTtl = await createToken("short-ttl", ["issue"], ["*"], "7d");
  return {
    bindings: {
      CA_CERT: intermediate.certificatePem + root.certificatePem,
      CA_KEY: intermediate.privateKeyPem,
      API_TOKENS: JSON.stringify([admin.entry, zoneA.entry, reader.entry, shortTtl.entry]),
      STORE_KEY: toBase64(crypto.getRandomValues(new Uint8Array(32))),
    },
    rootPem: root.certificatePem,
    intermediatePem: intermediate.certificatePem,
    tokens: { admin: admin.token, zoneA: zoneA.token, reader: reader.token, shortTtl: shortTtl.token },
  };
}
