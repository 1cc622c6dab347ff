/**
 * `edgeca acme eab`: POST /v1/acme/eab with the caller's credential (API
 * token, or an OIDC token whose trust policy allows ACME) and print the
 * External Account Binding (RFC 8555 §7.3.4) an ACME client registers with:
 * the kid, the HMAC key, and ready-to-paste cert-manager, certbot and lego
 * snippets. The ACME account then acts with that credential's identity and
 * name policy (docs/acme.md).
 */
import { readFileSync } from "node:fs";
import { listOption, parseCommand, type Io } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";

const HELP = `Usage: edgeca acme eab [--hostname NAME …] [--ca-bundle FILE] [--json]

Create a one-time External Account Binding (EAB) for an ACME client (cert-manager, certbot, lego,
anything RFC 8555). The ACME account it registers is bound to your credential (EDGECA_TOKEN, or an
OIDC identity whose trust policy says "acme": true): it gets certificates for the names your policy
allows, without challenges, until the credential is rotated or removed. The key works once and
expires unused (ACME_EAB_TTL, 24h by default). Needs scope sign. See docs/acme.md.

  --hostname NAME    the name(s) to put in the certbot / lego / cert-manager snippets
                     (default: cp.example.com, to edit); repeatable or comma-separated
  --ca-bundle FILE   PEM CA certificate(s) that sign the TLS certificate of the edgeca URL, when it
                     is not publicly trusted: written into the ClusterIssuer's caBundle
  --json             print the service's answer: {"kid", "hmac_key", "directory", "expires_at"}

Exit codes: 0 created, 1 failed (the service refused: its problem code is shown), 2 usage error.`;

export interface Eab {
  kid: string;
  hmac_key: string;
  directory: string;
  expires_at: string;
}

/** Single-quoted for a POSIX shell (kids, keys and URLs need none, but a pasted command must not break on one that does). */
function q(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The cert-manager, certbot and lego snippets for `eab` and `names`. */
export function eabSnippets(eab: Eab, names: string[], caBundlePem?: string): { certManager: string; certbot: string; lego: string } {
  const host = new URL(eab.directory).host;
  const caBundle = caBundlePem
    ? `    caBundle: ${Buffer.from(caBundlePem).toString("base64")}`
    : `    # caBundle: base64 of the CA certificate(s) that sign ${host}'s TLS certificate, only when they are
    # not publicly trusted (edgeca acme eab --ca-bundle FILE fills it in)`;
  // No solvers: every authorization edgeca creates is already valid (the account's identity authorizes
  // its names), and cert-manager finalizes as soon as the order is ready (cert-manager#9096).
  const certManager = `apiVersion: v1
kind: Secret
metadata:
  name: edgeca-eab
  namespace: cert-manager   # the cluster resource namespace, where a ClusterIssuer's Secrets live
type: Opaque
stringData:
  hmac-key: ${eab.hmac_key}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: edgeca
spec:
  acme:
    server: ${eab.directory}
    enableDurationFeature: true   # send the Certificate's duration as notAfter (at most your max_ttl)
${caBundle}
    privateKeySecretRef:
      name: edgeca-acme-account
    externalAccountBinding:
      keyID: ${eab.kid}
      keySecretRef:
        name: edgeca-eab
        key: hmac-key
`;
  // --option=value: a base64url kid or key may begin with "-", which certbot's argparse would take for an option (-c…).
  const certbot = `certbot certonly --standalone --non-interactive --agree-tos --register-unsafely-without-email \\
  --server ${q(eab.directory)} \\
  --eab-kid=${q(eab.kid)} --eab-hmac-key=${q(eab.hmac_key)} \\
  --key-type ecdsa ${names.map((n) => `-d ${q(n)}`).join(" ")} \\
  --deploy-hook 'systemctl restart kuma-cp'
`;
  // lego's command line insists on a challenge flag even when every authorization is valid; nothing listens.
  const lego = `lego --server ${q(eab.directory)} --accept-tos --email ops@example.com \\
  --eab --kid=${q(eab.kid)} --hmac=${q(eab.hmac_key)} \\
  --key-type ec256 ${names.map((n) => `--domains ${q(n)}`).join(" ")} --http \\
  run --run-hook 'systemctl restart kuma-cp'
`;
  return { certManager, certbot, lego };
}

export async function acmeEabCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(args, { hostname: { type: "string", multiple: true }, "ca-bundle": { type: "string" } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const { values, globals: g } = parsed;
  const names = listOption(values.hostname);
  let caBundle: string | undefined;
  if (values["ca-bundle"] !== undefined) {
    try {
      caBundle = readFileSync(values["ca-bundle"] as string, "utf8");
    } catch (error) {
      throw new CliError(`cannot read --ca-bundle: ${(error as Error).message}`, EXIT.usage);
    }
    if (!caBundle.includes("-----BEGIN CERTIFICATE-----")) throw new CliError("--ca-bundle holds no PEM certificate", EXIT.usage);
  }
  // Retried like any request on network errors and 5xx: an extra EAB minted by a lost answer is never
  // printed, never used, and expires.
  const res = await g.client().request("/v1/acme/eab", { method: "POST", body: {} });
  const eab = res.json<Eab>();
  if (typeof eab?.kid !== "string" || typeof eab.hmac_key !== "string" || typeof eab.directory !== "string") {
    throw new CliError("the service's answer to POST /v1/acme/eab is not an EAB credential (kid, hmac_key, directory)");
  }
  if (g.json) {
    io.stdout(JSON.stringify(eab, null, 2) + "\n");
    return EXIT.ok;
  }
  const s = eabSnippets(eab, names.length > 0 ? names : ["cp.example.com"], caBundle);
  io.stdout(`External Account Binding (works once; bind it before ${eab.expires_at}):

  kid:        ${eab.kid}
  hmac_key:   ${eab.hmac_key}
  directory:  ${eab.directory}

The HMAC key is a secret until an ACME client has registered with it: keep it out of shell history and
logs. No challenge is run: the account gets the names your credential's policy allows.

# cert-manager (then a Certificate with issuerRef kind ClusterIssuer, name edgeca; docs/acme.md)
${s.certManager}
# certbot${names.length ? "" : " (replace cp.example.com with your name)"}
${s.certbot}
# lego${names.length ? "" : " (replace cp.example.com with your name)"}; later runs: lego --server … --email … --eab … renew
${s.lego}`);
  return EXIT.ok;
}
