/**
 * The API description (OpenAPI 3.1), built from the same zod schemas the
 * routes validate requests with, plus response schemas and examples
 * captured from the real service (docs/openapi-examples.json). Used by
 * `npm run openapi` (Node); the worker serves the generated file.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { ERROR_TABLE, type ErrorCode } from "../../errors.ts";
import { PRODUCTS, PURPOSES } from "../../kuma/overrides.ts";
import { MAX_PAGE, RevokeBody } from "../routes/ledger.ts";
import { VerifyBody } from "../routes/verify.ts";
import { IssueCertificateBody, SignCsrBody } from "../schemas.ts";
import { toClassic } from "./classic.ts";
import { AcmeAccount, AcmeAccountList, AcmeEab, AuditList, CaStatus, CertificateList, CertificateRecord, Health, IssuedCertificate, Problem, TrustBundleJson, VerifyReport } from "./responses.ts";

/** Examples keyed by operationId, then "status media-type" (see scripts/capture-examples.ts). */
export type CapturedExamples = Record<string, Record<string, unknown>>;

type Responses = RouteConfig["responses"];

const problemContent = { "application/problem+json": { schema: Problem } };

function codesFor(status: number): ErrorCode[] {
  return (Object.keys(ERROR_TABLE) as ErrorCode[]).filter((c) => ERROR_TABLE[c].status === status);
}

/** Problem responses for the given statuses, each listing the codes it can carry. */
function problems(...statuses: number[]): Responses {
  const out: Responses = {};
  for (const s of statuses) {
    out[s] = { description: `Problem: ${codesFor(s).map((c) => `\`${c}\``).join(", ")}`, content: problemContent };
  }
  return out;
}

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
/** Either credential authenticates: an API token, or an OIDC token that a trust policy granting the scope accepts. */
const bearer = (scope: string): Record<string, string[]>[] => [{ bearer: [scope] }, { oidc: [scope] }];
const authProblems = () => problems(401, 403);
/** Every /v1 route is rate limited (429) and can meet a misconfigured or failing backend (503). */
const serverProblems = () => problems(429, 500, 503);

const IdempotencyKey = z.string().min(1).max(255).meta({ description: "Retries with the same key and body within 24 h return the same certificate (and key)" });
const FormatQuery = z.enum(["json", "tar", "kubernetes-secret", "helm-values", "env"]).meta({ description: "Response format (overrides Accept). helm-values and env only on /sign: they carry no key." });

const issuedContent = (withKey: boolean) => ({
  "application/json": { schema: IssuedCertificate },
  "application/gzip": { schema: z.string().meta({ format: "binary", description: `tar.gz with tls.crt, ${withKey ? "tls.key (0600), " : ""}ca.crt` }) },
  "application/yaml": { schema: z.string().meta({ description: "kubernetes-secret: a Secret manifest; helm-values: a Helm values snippet" }) },
  ...(withKey ? {} : { "text/plain": { schema: z.string().meta({ description: "env: KUMA_* variables for Universal mode" }) } }),
});

const issuedHeaders = z.object({
  Location: z.string().meta({ description: "The ledger record: /v1/certificates/{serial}" }),
  "Idempotent-Replayed": z.literal("true").optional().meta({ description: "Present when the answer replays an earlier request with the same Idempotency-Key" }),
});

/** `version`: package.json's, the one version edgeca --version and the package carry (scripts/openapi.ts passes it). */
export function buildOpenApiDocument(examples: CapturedExamples = {}, version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API token (`npm run token:create`). Each operation lists the scope it needs; the `admin` scope grants all.",
  });
  registry.registerComponent("securitySchemes", "oidc", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "Workload identity: an OIDC ID token from GitHub Actions, GitLab CI or a Kubernetes projected service-account token, accepted by an OIDC_TRUST policy " +
      "(issuer, audience, claims) that grants the scope and the names. Signed with an asymmetric algorithm, with iss, aud, exp and iat, lifetime at most 24 h. " +
      'Refusals are 401 invalid_token (WWW-Authenticate: Bearer error="invalid_token") saying which check failed; an unreachable issuer is 503 identity_provider_unavailable with Retry-After.',
  });

  const issueQuery = z.object({
    format: FormatQuery.optional(),
    name: z.string().optional().meta({ description: "kubernetes-secret / helm-values: the Secret name (default from purpose, else general-tls-certs)" }),
    namespace: z.string().optional().meta({ description: "kubernetes-secret: the namespace (default kuma-system, or kong-mesh-system)" }),
  });

  registry.registerPath({
    method: "post",
    path: "/v1/certificates",
    operationId: "issueCertificate",
    tags: ["certificates"],
    summary: "Issue a certificate; edgeca generates the key",
    description: `Returns tls.crt (\`chain\`), tls.key (\`private_key\`) and ca.crt (\`ca\`). \`purpose\` (${PURPOSES.join(", ")}) picks the usage, default names and Kuma Secret; \`product\` is ${PRODUCTS.join(" or ")}.`,
    security: bearer("issue"),
    request: {
      query: issueQuery,
      headers: z.object({ "Idempotency-Key": IdempotencyKey.optional() }),
      body: { required: true, content: { "application/json": { schema: toClassic(IssueCertificateBody()) } } },
    },
    responses: {
      201: { description: "Issued and recorded", headers: issuedHeaders, content: issuedContent(true) },
      ...problems(400, 413, 422),
      ...authProblems(),
      ...problems(409),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "post",
    path: "/v1/certificates/sign",
    operationId: "signCertificateRequest",
    tags: ["certificates"],
    summary: "Sign a CSR; the caller keeps the key",
    description: "The CSR's signature must verify. Names come from `hostnames`, else the CSR's subjectAltName; nothing else the CSR asks for is copied.",
    security: bearer("sign"),
    request: {
      query: issueQuery.extend({ dir: z.string().optional().meta({ description: "env: the directory holding tls.crt and tls.key (default /etc/kuma/tls)" }) }),
      headers: z.object({ "Idempotency-Key": IdempotencyKey.optional() }),
      body: { required: true, content: { "application/json": { schema: toClassic(SignCsrBody()) } } },
    },
    responses: {
      201: { description: "Signed and recorded", headers: issuedHeaders, content: issuedContent(false) },
      ...problems(400, 413, 422),
      ...authProblems(),
      ...problems(409),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/certificates",
    operationId: "listCertificates",
    tags: ["ledger"],
    summary: "List issued certificates, newest first",
    security: bearer("read"),
    request: {
      query: z.object({
        hostname: z.string().optional().meta({ description: "An exact name, or .suffix for every name below a domain" }),
        status: z.enum(["active", "revoked", "expired"]).optional(),
        expiring_within: z.string().optional().meta({ description: 'Active certificates expiring within this duration, e.g. "30d"' }),
        token: z.string().optional().meta({ description: "The name of the token (or OIDC trust policy) that obtained them" }),
        subject: z.string().optional().meta({ description: "The OIDC sub of the caller that obtained them" }),
        renewed: z
          .enum(["true", "false"])
          .optional()
          .meta({ description: "true: only certificates a later one with the same names and usage renewed; false: only those not renewed. With expiring_within, false lists the certificates at risk" }),
        limit: z.coerce.number().int().min(1).optional().meta({ description: `Page size (default 100, capped at ${MAX_PAGE})` }),
        cursor: z.string().optional().meta({ description: "next_cursor from the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of records", content: { "application/json": { schema: CertificateList } } }, ...problems(400), ...authProblems(), ...serverProblems() },
  });

  const SerialParam = z.object({ serial: z.string().meta({ description: "Hex serial number (case and colons ignored)", example: "2fa44402b93a03ca571185fc5754f792" }) });

  registry.registerPath({
    method: "get",
    path: "/v1/certificates/{serial}",
    operationId: "getCertificate",
    tags: ["ledger"],
    summary: "One issued certificate and its PEM (never a private key)",
    security: bearer("read"),
    request: { params: SerialParam },
    responses: { 200: { description: "The record", content: { "application/json": { schema: CertificateRecord } } }, ...authProblems(), ...problems(404), ...serverProblems() },
  });

  registry.registerPath({
    method: "post",
    path: "/v1/certificates/{serial}/revoke",
    operationId: "revokeCertificate",
    tags: ["ledger"],
    summary: "Revoke a certificate (idempotent for the same reason)",
    security: bearer("revoke"),
    request: { params: SerialParam, body: { required: false, content: { "application/json": { schema: toClassic(RevokeBody()) } } } },
    responses: {
      200: { description: "The record, revoked", content: { "application/json": { schema: CertificateRecord } } },
      ...problems(400),
      ...authProblems(),
      ...problems(404, 409),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/crl",
    operationId: "getCrl",
    security: [],
    tags: ["trust"],
    summary: "The CRL of the issuing CA, or of the previous one (RFC 5280 §5)",
    request: {
      query: z.object({
        format: z.enum(["der", "pem"]).optional(),
        issuer: Hex64.optional().meta({
          description: "SHA-256 fingerprint of the issuing CA whose CRL is wanted: the current one or, until it is retired, the previous one (CA_PREVIOUS_CERT). Certificates carry it in their distribution point when PUBLIC_URL is set.",
        }),
      }),
    },
    responses: {
      200: {
        description: "A v2 CRL signed by the CA",
        content: { "application/pkix-crl": { schema: z.string().meta({ format: "binary" }) }, "application/x-pem-file": { schema: z.string() } },
      },
      ...problems(400, 404),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/ca/status",
    operationId: "getCaStatus",
    tags: ["trust"],
    summary: "Every CA edgeca knows, what depends on it, and whether a rotation may retire it",
    security: bearer("read"),
    request: { query: z.object({ at: z.string().optional().meta({ format: "date-time", description: "Count what is still active at this time instead of now" }) }) },
    responses: {
      200: { description: "The status of each CA and the warnings", content: { "application/json": { schema: CaStatus } } },
      ...problems(400),
      ...authProblems(),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/ca",
    operationId: "getTrustBundle",
    security: [],
    tags: ["trust"],
    summary: "The trust bundle (ca.crt) for zone CPs, kuma-dp and kumactl",
    request: { query: z.object({ format: z.enum(["pem", "json"]).optional() }) },
    responses: {
      200: {
        description: "PEM (default) or a JSON description of each certificate",
        headers: z.object({ ETag: z.string(), "Cache-Control": z.string() }),
        content: { "application/x-pem-file": { schema: z.string() }, "application/json": { schema: TrustBundleJson } },
      },
      304: { description: "Not modified (If-None-Match)" },
      ...problems(400),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "post",
    path: "/v1/verify",
    operationId: "verifyChain",
    tags: ["verify"],
    summary: "Validate a chain (RFC 5280 §6, RFC 6125 names) and say exactly why it fails",
    security: bearer("verify"),
    request: { body: { required: true, content: { "application/json": { schema: toClassic(VerifyBody()) } } } },
    responses: {
      200: { description: "The verdict, errors, warnings and the path built", content: { "application/json": { schema: VerifyReport } } },
      ...problems(400, 413),
      ...authProblems(),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/audit",
    operationId: "listAuditEvents",
    tags: ["ledger"],
    summary: "The audit trail: issue, sign, revoke and refused requests, newest first",
    security: bearer("admin"),
    request: {
      query: z.object({
        since: z.string().optional().meta({ format: "date-time" }),
        until: z.string().optional().meta({ format: "date-time" }),
        token: z.string().optional().meta({ description: "The token's or OIDC trust policy's name" }),
        subject: z.string().optional().meta({ description: "The OIDC caller's sub" }),
        limit: z.coerce.number().int().min(1).optional(),
        cursor: z.string().optional(),
      }),
    },
    responses: { 200: { description: "A page of events", content: { "application/json": { schema: AuditList } } }, ...problems(400), ...authProblems(), ...serverProblems() },
  });

  registry.registerPath({
    method: "get",
    path: "/metrics",
    operationId: "getMetrics",
    tags: ["service"],
    summary: "Certificate lifecycle metrics for Prometheus (text exposition format 0.0.4)",
    description:
      "Families: `edgeca_certificates{state}`, `edgeca_certificates_at_risk{within}`, `edgeca_next_expiry_timestamp_seconds`, " +
      "`edgeca_certificate_expiration_timestamp_seconds{serial,common_name,principal[,subject]}` (at-risk within 30 days, the soonest 500; subject: the OIDC caller's sub), " +
      "`edgeca_ca_expiration_timestamp_seconds{fingerprint,role}`, `edgeca_issued_total{principal,key_source}`, `edgeca_revoked_total`. " +
      "Computed from the ledger at most every 30 s per isolate.",
    security: bearer("metrics"),
    responses: {
      200: {
        description: "The metrics",
        headers: z.object({ "Cache-Control": z.literal("no-store") }),
        // The media type carries version=0.0.4 and charset=utf-8 parameters (text/plain; version=0.0.4; charset=utf-8).
        content: { "text/plain": { schema: z.string().meta({ description: "Content-Type: text/plain; version=0.0.4; charset=utf-8", example: '# HELP edgeca_certificates_at_risk …\n# TYPE edgeca_certificates_at_risk gauge\nedgeca_certificates_at_risk{within="7d"} 0\n' }) } },
      },
      ...authProblems(),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/healthz",
    operationId: "getHealth",
    security: [],
    tags: ["service"],
    summary: "Service health, the CA's fingerprint and expiry, and rotation warnings (still 200)",
    responses: { 200: { description: "Healthy", content: { "application/json": { schema: Health } } }, ...problems(500, 503) },
  });

  registry.registerPath({
    method: "post",
    path: "/v1/acme/eab",
    operationId: "createAcmeEab",
    tags: ["acme"],
    summary: "A one-time ACME External Account Binding credential bound to the caller",
    description:
      "RFC 8555 §7.3.4 credentials for the ACME server at `/acme/directory`. The account created with them acts for the caller: an API token by its name " +
      "and hash (rotating the token ends the account), or an OIDC trust policy with `\"acme\": true` and the caller's sub (the account expires after ACME_OIDC_ACCOUNT_TTL). " +
      "Its orders are authorized by the caller's current policy, without challenges. The kid is spent when an account binds it, and expires unused after ACME_EAB_TTL. " +
      "The ACME resources themselves are RFC 8555's and not described here.",
    security: bearer("sign"),
    responses: {
      201: { description: "The credential", headers: z.object({ "Cache-Control": z.literal("no-store") }), content: { "application/json": { schema: AcmeEab } } },
      ...authProblems(),
      ...serverProblems(),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/acme/accounts",
    operationId: "listAcmeAccounts",
    tags: ["acme"],
    summary: "ACME accounts, newest first, with the principal each acts for",
    security: bearer("admin"),
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).optional().meta({ description: "At most 500 (default 100)" }),
        cursor: z.string().optional().meta({ description: "next_cursor of the previous page" }),
      }),
    },
    responses: { 200: { description: "The accounts", content: { "application/json": { schema: AcmeAccountList } } }, ...problems(400), ...authProblems(), ...serverProblems() },
  });

  registry.registerPath({
    method: "post",
    path: "/v1/acme/accounts/{id}/deactivate",
    operationId: "deactivateAcmeAccount",
    tags: ["acme"],
    summary: "Deactivate an ACME account: its requests are refused with unauthorized from now on",
    security: bearer("admin"),
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: { description: "The account, deactivated", content: { "application/json": { schema: AcmeAccount } } }, ...problems(404), ...authProblems(), ...serverProblems() },
  });

  const generator = new OpenApiGeneratorV31(registry.definitions);
  const doc = generator.generateDocument({
    openapi: "3.1.0",
    info: {
      title: "edgeca",
      version,
      description:
        "An online certificate authority for Kuma / Kong Mesh control planes. Errors are RFC 9457 application/problem+json with a stable `code`.",
      license: { name: "Proprietary", identifier: "LicenseRef-edgeca" },
    },
    servers: [{ url: "/", description: "This service (locally: npm start on http://127.0.0.1:8787)" }],
    tags: [
      { name: "certificates", description: "Issue and sign" },
      { name: "ledger", description: "What was issued, revocation and audit" },
      { name: "trust", description: "Trust bundle and CRL" },
      { name: "verify", description: "Chain validation" },
      { name: "service", description: "Health and metrics" },
      { name: "acme", description: "ACME (RFC 8555) External Account Binding credentials and accounts; the ACME server itself is at /acme/directory" },
    ],
  });
  attachExamples(doc as unknown as DocumentShape, examples);
  return doc;
}

interface DocumentShape {
  paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, { example?: unknown }> }; responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>>;
}

/** Puts captured examples on their operation: "request" on the JSON body, "<status> <media>" on responses. */
function attachExamples(doc: DocumentShape, examples: CapturedExamples): void {
  for (const methods of Object.values(doc.paths)) {
    for (const op of Object.values(methods)) {
      const ex = op.operationId ? examples[op.operationId] : undefined;
      if (!ex) continue;
      for (const [key, value] of Object.entries(ex)) {
        if (key === "request") {
          const media = op.requestBody?.content["application/json"];
          if (media) media.example = value;
          continue;
        }
        const [status, mediaType] = key.split(" ");
        const media = op.responses[status!]?.content?.[mediaType!];
        if (media) media.example = value;
      }
    }
  }
}
