import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ApprovalLinkClaims {
  readonly code: string;
  /** The approver this link was made for: the signed-in user must be them. */
  readonly approver: string;
  readonly expiresAt: Date;
  /** Single use: the web side records used nonces. */
  readonly nonce: string;
}

export type ApprovalLinkCheck =
  | { readonly ok: true; readonly claims: ApprovalLinkClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' };

export const DEFAULT_LINK_TTL_MS = 24 * 3600 * 1000;

/**
 * Personal approval links put in Slack messages: `<publicUrl>/approve/<token>` where the
 * token is the claims plus an HMAC-SHA256 over them. Opening one only shows the decision page.
 */
export class ApprovalLinks {
  constructor(
    private readonly secret: Buffer,
    private readonly publicUrl: string,
    private readonly ttlMs = DEFAULT_LINK_TTL_MS,
  ) {}

  create(code: string, approver: string, now: Date): string {
    const claims = { c: code, a: approver, e: now.getTime() + this.ttlMs, n: randomBytes(12).toString('base64url') };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${this.publicUrl}/approve/${body}.${this.sign(body)}`;
  }

  verify(token: string, now: Date): ApprovalLinkCheck {
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'forged' };
    let claims: { c?: unknown; a?: unknown; e?: unknown; n?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof claims.c !== 'string' || typeof claims.a !== 'string' || typeof claims.e !== 'number' || typeof claims.n !== 'string') {
      return { ok: false, reason: 'malformed' };
    }
    if (now.getTime() >= claims.e) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { code: claims.c, approver: claims.a, expiresAt: new Date(claims.e), nonce: claims.n } };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
