/**
 * One issuance, shared by `issue` and `renew`: either edgeca makes the key
 * (POST /v1/certificates) or the caller does (POST /v1/certificates/sign
 * with a CSR; the key never leaves this machine). One Idempotency-Key per
 * issuance, reused by every retry.
 */
import { randomUUID } from "node:crypto";
import { defaultNames, type Product, type Purpose } from "../kuma/overrides.ts";
import type { KeyAlgorithm, PublicKeyAlgorithm } from "../pki/keys.ts";
import type { ApiClient } from "./http.ts";
import { createCsr, newLocalKey } from "./local-key.ts";
import type { IssuedCertificateJson } from "../http/render.ts";

export interface IssueRequest {
  hostnames?: string[] | undefined;
  usage?: string[] | undefined;
  key: KeyAlgorithm;
  ttl?: string | undefined;
  commonName?: string | undefined;
  purpose?: Purpose | undefined;
  product?: Product | undefined;
  /** Make the key here and send a CSR. */
  localKey: boolean;
  /** An existing key pair to sign a CSR with (renew --keep-key); implies a CSR. */
  keepKey?: { keys: CryptoKeyPair; algorithm: PublicKeyAlgorithm; pem: string } | undefined;
  /** The serial of the certificate this one renews (RFC 9773 §5): the ledger marks exactly that one renewed. */
  replaces?: string | undefined;
}

export type IssuedJson = IssuedCertificateJson;

export interface Issued {
  json: IssuedJson;
  /** tls.key: from the service, made locally, or the kept one. */
  privateKey: string;
  keySource: "service" | "local" | "kept";
  idempotencyKey: string;
}

export async function issueCertificate(client: ApiClient, r: IssueRequest): Promise<Issued> {
  const idempotencyKey = randomUUID();
  const common = {
    ...(r.usage && r.usage.length ? { usage: r.usage } : {}),
    ...(r.ttl ? { ttl: r.ttl } : {}),
    ...(r.commonName ? { common_name: r.commonName } : {}),
    ...(r.purpose ? { purpose: r.purpose } : {}),
    ...(r.product ? { product: r.product } : {}),
    ...(r.replaces ? { replaces: r.replaces } : {}),
  };
  if (!r.localKey && !r.keepKey) {
    const body = { ...(r.hostnames && r.hostnames.length ? { hostnames: r.hostnames } : {}), key: r.key, ...common };
    const res = await client.request("/v1/certificates", { method: "POST", body, idempotencyKey });
    const json = res.json<IssuedJson>();
    return { json, privateKey: json.private_key ?? "", keySource: "service", idempotencyKey };
  }
  // The CSR carries the names; with a purpose and no names, use that purpose's defaults as the service would.
  let hostnames = r.hostnames && r.hostnames.length ? r.hostnames : [];
  if (hostnames.length === 0 && r.purpose) hostnames = defaultNames(r.purpose, r.product ?? "kuma");
  const material = r.keepKey ?? { ...(await newLocalKey(r.key)), algorithm: r.key };
  const csr = await createCsr(material.keys, material.algorithm, hostnames);
  const body = { csr, ...(hostnames.length ? { hostnames } : {}), ...common };
  const res = await client.request("/v1/certificates/sign", { method: "POST", body, idempotencyKey });
  return { json: res.json<IssuedJson>(), privateKey: material.pem, keySource: r.keepKey ? "kept" : "local", idempotencyKey };
}
