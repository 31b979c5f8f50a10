import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A small JSON payload with an HMAC-SHA256, for cookies that must survive a trip through the
 * browser unchanged (web session, sign-in state) and verify on any process sharing the key.
 */
export class SignedToken<T extends object> {
  constructor(
    private readonly key: Buffer,
    /** Checks the decoded payload's shape; a payload that fails it is treated as absent. */
    private readonly isPayload: (value: unknown) => value is T,
  ) {}

  sign(payload: T): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string | undefined): T | null {
    if (typeof token !== 'string') return null;
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const value: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      return this.isPayload(value) ? value : null;
    } catch {
      return null;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
