/**
 * A minimal RFC 8555 client on jose, for the bench and for tests that need
 * to drive the ACME server request by request (the way cert-manager's
 * client does: EAB registration, newOrder, finalize as soon as the order
 * is ready, download by POST-as-GET). Every request is a flattened JWS
 * (§6.2) with the nonce of the previous answer; a `badNonce` answer is
 * retried once with the fresh nonce it carries (§6.5), as every client does.
 */
import { exportJWK, FlattenedSign, type CryptoKey, type JWK, type KeyObject } from "jose";

type Key = CryptoKey | KeyObject;

export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  revokeCert: string;
  keyChange: string;
  renewalInfo?: string;
  meta?: { externalAccountRequired?: boolean };
}

export interface AcmeAnswer {
  status: number;
  headers: Headers;
  body: string;
  /** the parsed body when it is JSON */
  json: Record<string, unknown> | undefined;
  location: string | null;
}

export interface AcmeOrder {
  status: string;
  identifiers: { type: string; value: string }[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  expires?: string;
  notBefore?: string;
  notAfter?: string;
}

const enc = new TextEncoder();

export class AcmeClient {
  private nonce: string | undefined;
  /** the account URL (kid) once registered */
  kid: string | undefined;
  /** every answer's status, in order (for tests that check what was sent) */
  readonly log: { url: string; status: number }[] = [];

  private constructor(
    readonly directory: AcmeDirectory,
    readonly accountKey: { privateKey: Key; publicKey: Key; alg: string },
    private readonly fetchImpl: typeof fetch,
  ) {}

  static async connect(directoryUrl: string, accountKey: { privateKey: Key; publicKey: Key; alg: string }, fetchImpl: typeof fetch = fetch): Promise<AcmeClient> {
    const res = await fetchImpl(directoryUrl);
    if (res.status !== 200) throw new Error(`GET ${directoryUrl}: ${res.status} ${await res.text()}`);
    return new AcmeClient((await res.json()) as AcmeDirectory, accountKey, fetchImpl);
  }

  async freshNonce(): Promise<string> {
    const res = await this.fetchImpl(this.directory.newNonce, { method: "HEAD" });
    const nonce = res.headers.get("replay-nonce");
    if (!nonce) throw new Error(`HEAD ${this.directory.newNonce}: ${res.status} without Replay-Nonce`);
    return nonce;
  }

  async jwk(): Promise<JWK> {
    const { kty, crv, x, y, n, e } = await exportJWK(this.accountKey.publicKey);
    // Only the public members, in no particular order (the server computes the RFC 7638 thumbprint).
    return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
  }

  /** A flattened JWS of `payload` ("" for POST-as-GET) for `url`, with `kid` or, before registration, `jwk`. */
  async sign(url: string, payload: unknown, nonce: string, o: { useJwk?: boolean } = {}): Promise<string> {
    const bytes = payload === "" ? new Uint8Array() : enc.encode(JSON.stringify(payload));
    const header: Record<string, unknown> = { alg: this.accountKey.alg, nonce, url };
    if (o.useJwk || !this.kid) header.jwk = await this.jwk();
    else header.kid = this.kid;
    const jws = await new FlattenedSign(bytes).setProtectedHeader(header as never).sign(this.accountKey.privateKey);
    return JSON.stringify(jws);
  }

  /** POST a JWS of `payload` to `url`; retries once on badNonce with the answer's nonce. */
  async post(url: string, payload: unknown, o: { useJwk?: boolean; accept?: string } = {}): Promise<AcmeAnswer> {
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nonce ?? (await this.freshNonce());
      this.nonce = undefined;
      const res = await this.fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/jose+json", ...(o.accept ? { accept: o.accept } : {}) },
        body: await this.sign(url, payload, nonce, o),
      });
      this.nonce = res.headers.get("replay-nonce") ?? undefined;
      const body = await res.text();
      let json: Record<string, unknown> | undefined;
      if (/json/.test(res.headers.get("content-type") ?? "")) {
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
      }
      this.log.push({ url, status: res.status });
      if (res.status === 400 && json?.type === "urn:ietf:params:acme:error:badNonce" && attempt === 0) continue;
      return { status: res.status, headers: res.headers, body, json, location: res.headers.get("location") };
    }
  }

  /** newAccount with an External Account Binding (RFC 8555 §7.3.4): the account key signed with the HMAC key. */
  async register(eab: { kid: string; hmac_key: string }, extra: Record<string, unknown> = {}): Promise<AcmeAnswer> {
    const inner = await new FlattenedSign(enc.encode(JSON.stringify(await this.jwk())))
      .setProtectedHeader({ alg: "HS256", kid: eab.kid, url: this.directory.newAccount })
      .sign(Buffer.from(eab.hmac_key, "base64url"));
    const answer = await this.post(this.directory.newAccount, { termsOfServiceAgreed: true, externalAccountBinding: inner, ...extra }, { useJwk: true });
    if ((answer.status === 201 || answer.status === 200) && answer.location) this.kid = answer.location;
    return answer;
  }

  private expect(answer: AcmeAnswer, status: number[], what: string): AcmeAnswer {
    if (!status.includes(answer.status)) throw new Error(`${what}: ${answer.status} ${answer.body.slice(0, 500)}`);
    return answer;
  }

  /** newOrder → finalize → download, without looking at the authorizations (they are valid on creation). */
  async issue(identifiers: { type: string; value: string }[], csrDer: Uint8Array, extra: Record<string, unknown> = {}): Promise<{ order: AcmeOrder; orderUrl: string; chainPem: string }> {
    const created = this.expect(await this.post(this.directory.newOrder, { identifiers, ...extra }), [201], "newOrder");
    let order = created.json as unknown as AcmeOrder;
    const orderUrl = created.location!;
    const finalized = this.expect(await this.post(order.finalize, { csr: Buffer.from(csrDer).toString("base64url") }), [200], "finalize");
    order = finalized.json as unknown as AcmeOrder;
    // RFC 8555 §7.4: a server may still be processing; poll the order until it is valid.
    for (let i = 0; order.status === "processing" && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      order = this.expect(await this.post(orderUrl, ""), [200], "order").json as unknown as AcmeOrder;
    }
    if (order.status !== "valid" || !order.certificate) throw new Error(`order not valid after finalize: ${JSON.stringify(order)}`);
    const cert = this.expect(await this.post(order.certificate, "", { accept: "application/pem-certificate-chain" }), [200], "certificate");
    return { order, orderUrl, chainPem: cert.body };
  }
}
