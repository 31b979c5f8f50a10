import { describe, expect, it } from 'vitest';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { HOUR, T0 } from '../../support/factories.js';

const links = new ApprovalLinks(Buffer.from('0123456789abcdef0123456789abcdef'), 'https://cg.example.com');
const tokenOf = (url: string) => url.slice('https://cg.example.com/approve/'.length);

describe('approval links', () => {
  it('carry the change, the approver, an expiry and a nonce, signed', () => {
    const url = links.create('CHG-7', 'bob', T0);
    expect(url).toMatch(/^https:\/\/cg\.example\.com\/approve\/[\w-]+\.[\w-]+$/);
    const check = links.verify(tokenOf(url), T0);
    expect(check).toMatchObject({ ok: true, claims: { code: 'CHG-7', approver: 'bob', expiresAt: new Date(T0.getTime() + 24 * HOUR) } });
    const other = links.verify(tokenOf(links.create('CHG-7', 'bob', T0)), T0);
    expect(other.ok && check.ok && other.claims.nonce !== check.claims.nonce).toBe(true);
  });

  it('refuse forged, tampered, malformed and expired tokens', () => {
    const token = tokenOf(links.create('CHG-7', 'bob', T0));
    const [body, signature] = token.split('.') as [string, string];
    const forgedBody = Buffer.from(JSON.stringify({ c: 'CHG-7', a: 'mallory', e: T0.getTime() + HOUR, n: 'x' })).toString('base64url');
    expect(links.verify(`${forgedBody}.${signature}`, T0)).toEqual({ ok: false, reason: 'forged' });
    const otherKey = new ApprovalLinks(Buffer.from('another key of thirty-two bytes!'), 'https://cg.example.com');
    expect(otherKey.verify(token, T0)).toEqual({ ok: false, reason: 'forged' });
    expect(links.verify(`${body}`, T0)).toEqual({ ok: false, reason: 'malformed' });
    expect(links.verify('a.b.c', T0)).toEqual({ ok: false, reason: 'malformed' });
    expect(links.verify(token, new Date(T0.getTime() + 24 * HOUR))).toEqual({ ok: false, reason: 'expired' });
  });
});
