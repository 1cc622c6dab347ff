/**
 * `edgeca ca`: fetch the trust bundle (GET /v1/ca) and, with --pin, keep
 * only certificates whose SHA-256 fingerprint was pinned, computed here from
 * the PEM (never taken from the service's word), refusing when none match:
 * the safe way for a zone CP to bootstrap trust over the network.
 */
import { X509Certificate } from "node:crypto";
import { resolve } from "node:path";
import { formatName } from "../../pki/name-text.ts";
import { parseCertificateDer } from "../../pki/path-validation/certificate.ts";
import { decodePem, encodePem } from "../../pki/pem.ts";
import { parseCommand, type Io } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { writeAtomically } from "../files.ts";

const HELP = `Usage: edgeca ca [--out ca.crt] [--pin sha256:HEX …]
       edgeca ca init …        create or import the CA (edgeca ca init --help)

Fetch the CA's trust bundle (ca.crt: the root certificates) from GET /v1/ca. No token needed.

  --out FILE           write it to FILE (default: print it)
  --pin sha256:HEX     the SHA-256 fingerprint of a root you trust (from ca init / npm start, or
                       your PKI team), hex with or without colons; repeatable. The fingerprint is
                       computed here. No match: nothing is written and the exit code is 5. With
                       pins, only the pinned certificates are kept (an unpinned extra root in the
                       answer is dropped and reported).

Exit codes: 0 fetched, 5 no certificate matches a pin, 1 failed, 2 usage error.`;

export function normalizePin(pin: string): string {
  const m = /^(?:sha256[:/])?((?:[0-9a-f]{2}:?){32})$/i.exec(pin.trim());
  if (!m) throw usageError(`--pin must be sha256:<64 hex digits> (colons allowed), not ${JSON.stringify(pin)}`);
  return m[1]!.replace(/:/g, "").toLowerCase();
}

export async function caCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(args, { out: { type: "string" }, pin: { type: "string", multiple: true } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const { values, globals: g } = parsed;
  const pins = ((values.pin as string[] | undefined) ?? []).map(normalizePin);
  const res = await g.client().request("/v1/ca", { auth: false, accept: "application/x-pem-file" });
  const blocks = decodePem(res.text);
  if (!blocks.ok) throw new CliError(`the service's /v1/ca answer is not PEM`);
  const certs = blocks.value
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => {
      const x = new X509Certificate(b.der);
      // The DN as every other surface prints it (RFC 4514, src/pki/name-text.ts), not Node's encoded-order lines.
      const parsed = parseCertificateDer(b.der);
      const subject = parsed.ok ? formatName(parsed.value.subjectRaw) : x.subject.replace(/\n/g, ",");
      return { pem: encodePem("CERTIFICATE", b.der), subject, not_after: new Date(x.validTo).toISOString(), sha256_fingerprint: x.fingerprint256.replace(/:/g, "").toLowerCase(), ca: x.ca };
    });
  if (certs.length === 0) throw new CliError("the trust bundle from the service holds no certificate");
  let kept = certs;
  if (pins.length > 0) {
    kept = certs.filter((c) => pins.includes(c.sha256_fingerprint));
    if (kept.length === 0) {
      const message = `REFUSED: no certificate in the trust bundle from ${g.client().options.url} has the pinned fingerprint ${pins.map((p) => `sha256:${p}`).join(" or ")}; it holds ${certs.map((c) => `${c.subject} sha256:${c.sha256_fingerprint}`).join("; ")}. Nothing was written. Check the URL and the pin; this is what an impostor would look like.`;
      throw new CliError(message, EXIT.pinMismatch, { code: "pin_mismatch", certificates: certs.map(({ pem: _p, ...c }) => c) });
    }
    for (const c of certs.filter((c) => !kept.includes(c))) io.stderr(`edgeca: warning: dropped unpinned certificate ${c.subject} sha256:${c.sha256_fingerprint}\n`);
  }
  const firstNotCa = kept.findIndex((c) => !c.ca);
  if (firstNotCa === 0) io.stderr("edgeca: warning: the first certificate is not a CA: kuma-dp would refuse this file (NotCA)\n");
  const pem = kept.map((c) => c.pem).join("");
  const out = values.out as string | undefined;
  if (out) writeAtomically(out, pem);
  if (g.json) {
    io.stdout(JSON.stringify({ certificates: kept.map(({ pem: _p, ...c }) => ({ ...c, pinned: pins.includes(c.sha256_fingerprint) })), ...(out ? { file: resolve(out) } : { pem }) }, null, 2) + "\n");
  } else if (out) {
    io.stdout(`wrote ${out}: ${kept.map((c) => `${c.subject} sha256:${c.sha256_fingerprint}${pins.length ? " (pinned)" : ""}`).join("; ")}\n`);
  } else {
    io.stdout(pem);
  }
  return EXIT.ok;
}
