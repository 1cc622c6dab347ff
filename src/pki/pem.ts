/**
 * PEM (RFC 7468) encoding and strict decoding. Decoding reports which block
 * failed and why, because "unable to parse bytes as PEM block" is the error
 * operators most often get from Kubernetes with no further hint.
 */
import { fromBase64, toBase64 } from "./bytes.ts";
import { err, ok, type Result } from "./result.ts";

export interface PemBlock {
  /** The label between BEGIN and END, e.g. "CERTIFICATE". */
  label: string;
  der: Uint8Array;
  /** Zero-based position of the block in the input. */
  index: number;
}

export type PemProblem =
  | { reason: "no_pem_block"; index: 0 }
  | { reason: "unterminated_block"; index: number; label: string }
  | { reason: "label_mismatch"; index: number; label: string; endLabel: string }
  | { reason: "invalid_base64"; index: number; label: string }
  | { reason: "empty_block"; index: number; label: string }
  | { reason: "too_many_blocks"; index: number; max: number };

/** Human-readable form of a PEM problem, safe to return on the wire. */
export function describePemProblem(p: PemProblem): string {
  switch (p.reason) {
    case "no_pem_block":
      return "no PEM block found: expected text starting with -----BEGIN CERTIFICATE----- (RFC 7468); DER or base64 without the BEGIN/END lines is not accepted";
    case "unterminated_block":
      return `PEM block ${p.index} (${p.label}) has no matching -----END ${p.label}----- line`;
    case "label_mismatch":
      return `PEM block ${p.index} begins with ${p.label} but ends with ${p.endLabel}`;
    case "invalid_base64":
      return `PEM block ${p.index} (${p.label}) does not contain valid base64 (RFC 7468 §3)`;
    case "empty_block":
      return `PEM block ${p.index} (${p.label}) is empty`;
    case "too_many_blocks":
      return `more than ${p.max} PEM blocks`;
  }
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;
const END = /^-----END ([A-Z0-9 ]+)-----\s*$/;
const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;

/**
 * Decodes every PEM block in `text`. Text outside blocks (explanatory text,
 * as RFC 7468 §5.2 allows) is ignored; anything malformed inside a block is
 * an error naming the block.
 */
export function decodePem(text: string, maxBlocks = 64): Result<PemBlock[], PemProblem> {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let open: { label: string; body: string[] } | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (open === null) {
      const m = BEGIN.exec(line);
      if (m) {
        if (blocks.length >= maxBlocks) return err({ reason: "too_many_blocks", index: blocks.length, max: maxBlocks });
        open = { label: m[1]!, body: [] };
      }
      continue;
    }
    // Inside a block almost every line is base64: only a line starting with '-' can be an END or BEGIN line.
    const end = line.charCodeAt(0) === 45 ? END.exec(line) : null;
    if (end) {
      const index = blocks.length;
      if (end[1] !== open.label) {
        return err({ reason: "label_mismatch", index, label: open.label, endLabel: end[1]! });
      }
      const b64 = open.body.join("");
      if (b64.length === 0) return err({ reason: "empty_block", index, label: open.label });
      let der: Uint8Array;
      try {
        der = fromBase64(b64);
      } catch {
        return err({ reason: "invalid_base64", index, label: open.label });
      }
      blocks.push({ label: open.label, der, index });
      open = null;
      continue;
    }
    if (line.charCodeAt(0) === 45 && BEGIN.test(line)) return err({ reason: "unterminated_block", index: blocks.length, label: open.label });
    // RFC 7468 §3: headers (RFC 1421 "Proc-Type:") are not part of the strict grammar.
    open.body.push(BASE64_LINE.test(line) ? line : line.replace(/\s+/g, ""));
  }
  if (open !== null) return err({ reason: "unterminated_block", index: blocks.length, label: open.label });
  if (blocks.length === 0) return err({ reason: "no_pem_block", index: 0 });
  return ok(blocks);
}

/** Encodes DER as PEM with 64-character lines (RFC 7468 §2) and a trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
