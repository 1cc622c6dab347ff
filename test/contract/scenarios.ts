/**
 * One real request per (operation, response class) against a running
 * worker. The contract tests validate every response against openapi.yaml;
 * scripts/capture-examples.ts records them as the document's examples.
 */
import * as acme from "acme-client";
import { x509 } from "../../src/pki/x509.ts";

export interface ScenarioResult {
  operationId: string;
  status: number;
  mediaType: string;
  request?: unknown;
  body: unknown;
  raw: Uint8Array;
}

interface Tokens {
  admin: string;
  zoneA: string;
  reader: string;
}

async function makeCsrPem(): Promise<string> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=cp.example.com",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "cp.example.com" }])],
  });
  return csr.toString("pem");
}

export async function runScenarios(base: string, tokens: Tokens): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const call = async (operationId: string, path: string, init: { method?: string; token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers["Authorization"] = `Bearer ${init.token}`;
    let body: string | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers["Content-Type"] = "application/json";
    }
    const res = await fetch(`${base}${path}`, { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers, body });
    const raw = new Uint8Array(await res.arrayBuffer());
    const mediaType = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim();
    let parsed: unknown = undefined;
    if (/json/.test(mediaType)) parsed = JSON.parse(new TextDecoder().decode(raw));
    else if (/yaml|text|pem/.test(mediaType)) parsed = new TextDecoder().decode(raw);
    const result: ScenarioResult = { operationId, status: res.status, mediaType, body: parsed, raw, ...(init.body !== undefined ? { request: init.body } : {}) };
    results.push(result);
    return result;
  };

  // issueCertificate
  const issued = (await call("issueCertificate", "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com", "10.0.0.5"], usage: ["server"], key: "ecdsa-p256", ttl: "90d" } })).body as { serial_number: string; chain: string };
  await call("issueCertificate", "/v1/certificates", { token: tokens.admin, body: { purpose: "general" } });
  await call("issueCertificate", "/v1/certificates?format=tar", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } });
  await call("issueCertificate", "/v1/certificates?format=kubernetes-secret", { token: tokens.admin, body: { hostnames: ["kuma-control-plane.kuma-system.svc"] } });
  await call("issueCertificate", "/v1/certificates", { token: tokens.admin, body: { hostnames: ["*.com"] } });
  await call("issueCertificate", "/v1/certificates", { body: { hostnames: ["cp.example.com"] } });
  await call("issueCertificate", "/v1/certificates", { token: tokens.zoneA, body: { hostnames: ["evil.example.com"] } });
  await call("issueCertificate", "/v1/certificates", { token: tokens.admin, raw: JSON.stringify({ hostnames: ["a.example.com"], common_name: "x".repeat(70_000) }) });
  const key = crypto.randomUUID();
  await call("issueCertificate", "/v1/certificates", { token: tokens.admin, body: { hostnames: ["a.example.com"] }, headers: { "Idempotency-Key": key } });
  await call("issueCertificate", "/v1/certificates", { token: tokens.admin, body: { hostnames: ["b.example.com"] }, headers: { "Idempotency-Key": key } });

  // signCertificateRequest
  const csr = await makeCsrPem();
  await call("signCertificateRequest", "/v1/certificates/sign", { token: tokens.admin, body: { csr, ttl: "30d" } });
  await call("signCertificateRequest", "/v1/certificates/sign?format=env", { token: tokens.admin, body: { csr, purpose: "kds-global" } });
  await call("signCertificateRequest", "/v1/certificates/sign", { token: tokens.admin, body: { csr: "not a csr" } });
  await call("signCertificateRequest", "/v1/certificates/sign", { token: tokens.reader, body: { csr } });

  // ledger
  await call("listCertificates", "/v1/certificates?hostname=.example.com&limit=2", { token: tokens.reader });
  await call("listCertificates", "/v1/certificates?status=valid", { token: tokens.reader });
  await call("listCertificates", "/v1/certificates?renewed=false&expiring_within=30d", { token: tokens.reader });
  await call("listCertificates", "/v1/certificates", {});
  await call("getCertificate", `/v1/certificates/${issued.serial_number}`, { token: tokens.reader });
  await call("getCertificate", "/v1/certificates/00ff", { token: tokens.reader });
  await call("revokeCertificate", `/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: { reason: "superseded" } });
  await call("revokeCertificate", `/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } });
  await call("revokeCertificate", "/v1/certificates/00ff/revoke", { token: tokens.admin, body: {} });
  await call("revokeCertificate", `/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: { reason: "removeFromCRL" } });
  await call("listAuditEvents", "/v1/audit?limit=3", { token: tokens.admin });
  await call("listAuditEvents", "/v1/audit?since=yesterday", { token: tokens.admin });
  await call("listAuditEvents", "/v1/audit", { token: tokens.reader });

  // trust
  await call("getCrl", "/v1/crl");
  await call("getCrl", "/v1/crl?format=pem");
  await call("getCrl", "/v1/crl?format=xml");
  const issuing = ((await call("getHealth", "/healthz")).body as { ca: { sha256_fingerprint: string } }).ca.sha256_fingerprint;
  await call("getCrl", `/v1/crl?issuer=${issuing}`);
  await call("getCrl", `/v1/crl?issuer=${"0".repeat(64)}`);
  await call("getCaStatus", "/v1/ca/status", { token: tokens.reader });
  await call("getCaStatus", "/v1/ca/status?at=2030-01-01T00:00:00Z", { token: tokens.reader });
  await call("getCaStatus", "/v1/ca/status?at=tomorrow", { token: tokens.reader });
  await call("getCaStatus", "/v1/ca/status", {});
  const ca = await call("getTrustBundle", "/v1/ca");
  await call("getTrustBundle", "/v1/ca?format=json");
  await call("getTrustBundle", "/v1/ca?format=xml");
  const etag = (await fetch(`${base}/v1/ca`)).headers.get("ETag") ?? "";
  await call("getTrustBundle", "/v1/ca", { headers: { "If-None-Match": etag } });

  // verify
  const fresh = (await call("issueCertificate", "/v1/certificates", { token: tokens.admin, body: { hostnames: ["kds.example.com"] } })).body as { chain: string };
  await call("verifyChain", "/v1/verify", { token: tokens.admin, body: { chain: fresh.chain, hostname: "kds.example.com", usage: "server" } });
  await call("verifyChain", "/v1/verify", { token: tokens.admin, body: { chain: fresh.chain, hostname: "other.example.com", roots: ca.body as string } });
  await call("verifyChain", "/v1/verify", { token: tokens.admin, body: { chain: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n" } });
  await call("verifyChain", "/v1/verify", { token: tokens.reader, body: { chain: fresh.chain } });

  // acme
  const eab = (await call("createAcmeEab", "/v1/acme/eab", { token: tokens.zoneA, body: {} })).body as { kid: string; hmac_key: string; directory: string };
  // An account made by a real ACME client, for the operator's list and deactivation.
  const client = new acme.Client({ directoryUrl: eab.directory, accountKey: await acme.crypto.createPrivateEcdsaKey(), externalAccountBinding: { kid: eab.kid, hmacKey: eab.hmac_key } });
  await client.createAccount({ termsOfServiceAgreed: true, contact: ["mailto:ops@example.com"] });
  const accountId = client.getAccountUrl().split("/").pop()!;
  await call("createAcmeEab", "/v1/acme/eab", { token: tokens.reader, body: {} });
  await call("listAcmeAccounts", "/v1/acme/accounts?limit=5", { token: tokens.admin });
  await call("listAcmeAccounts", "/v1/acme/accounts?limit=0", { token: tokens.admin });
  await call("listAcmeAccounts", "/v1/acme/accounts", { token: tokens.zoneA });
  await call("deactivateAcmeAccount", `/v1/acme/accounts/${accountId}/deactivate`, { token: tokens.admin, body: {} });
  await call("deactivateAcmeAccount", "/v1/acme/accounts/nope/deactivate", { token: tokens.admin, body: {} });

  await call("getHealth", "/healthz");
  await call("getMetrics", "/metrics", { token: tokens.admin });
  await call("getMetrics", "/metrics", { token: tokens.reader });
  return results;
}
