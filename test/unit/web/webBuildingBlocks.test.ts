import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpRefusal } from '../../../src/web/http/httpRefusal.js';
import { safeLocalPath } from '../../../src/web/http/localPath.js';
import { isLoopbackAddress } from '../../../src/web/http/loopbackHost.js';
import { parseInput } from '../../../src/web/http/parseInput.js';
import { isPortalPath } from '../../../src/web/http/portalPaths.js';
import { SignedToken } from '../../../src/web/http/signedToken.js';
import { PageRenderer, WEB_TEMPLATES_DIR } from '../../../src/web/rendering/pageRenderer.js';

const isPayload = (v: unknown): v is { u: string } => typeof (v as { u?: unknown } | null)?.u === 'string';

describe('signed cookie tokens', () => {
  it('round-trip a payload and refuse anything altered or signed with another key', () => {
    const tokens = new SignedToken(Buffer.alloc(32, 1), isPayload);
    const token = tokens.sign({ u: 'bob' });
    expect(tokens.verify(token)).toEqual({ u: 'bob' });
    const [body, mac] = token.split('.') as [string, string];
    const altered = Buffer.from(JSON.stringify({ u: 'erin' })).toString('base64url');
    expect(tokens.verify(`${altered}.${mac}`)).toBeNull();
    expect(new SignedToken(Buffer.alloc(32, 2), isPayload).verify(token)).toBeNull();
    expect(tokens.verify(`${body}`)).toBeNull();
    expect(tokens.verify(undefined)).toBeNull();
    expect(new SignedToken(Buffer.alloc(32, 1), (v): v is { n: number } => typeof (v as { n?: unknown }).n === 'number').verify(token)).toBeNull();
  });
});

describe('request input', () => {
  const schema = z.strictObject({ status: z.enum(['approved', 'rejected']).optional() });

  it('names unknown and repeated parameters', () => {
    const refusal = (value: unknown) => {
      try {
        parseInput(schema, value, 'query');
      } catch (error) {
        expect(error).toBeInstanceOf(HttpRefusal);
        return (error as HttpRefusal).message;
      }
      return 'accepted';
    };
    expect(refusal({ 'status[$ne]': 'x' })).toBe('unknown query parameter "status[$ne]"');
    expect(refusal({ status: ['approved', 'rejected'] })).toBe('query parameter status: expected approved|rejected, got a list');
    expect(refusal({ status: 'approved' })).toBe('accepted');
  });

  it('accepts only local paths as where to go after sign-in', () => {
    expect(safeLocalPath('/changes/CHG-1?x=1')).toBe('/changes/CHG-1?x=1');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/a\nb', undefined, 42]) {
      expect(safeLocalPath(bad)).toBe('/');
    }
  });

  it('knows loopback addresses and the portal paths', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'].every(isLoopbackAddress)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'localhost.evil.example', '128.0.0.1'].some(isLoopbackAddress)).toBe(false);
    expect(['/', '/changes', '/changes/CHG-1/audit', '/approve/x.y', '/assets/app.css'].every(isPortalPath)).toBe(true);
    expect(['/slack/events', '/healthz', '/changesx', '/auditing'].some(isPortalPath)).toBe(false);
  });
});

describe('web templates', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.hbs') ? [join(dir, e.name)] : []));

  it('escape everything: no triple-stash, no inline script, style or event handler', () => {
    const templates = files(WEB_TEMPLATES_DIR);
    expect(templates.length).toBeGreaterThan(10);
    for (const file of templates) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain('{{{');
      expect(text, file).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(text, file).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
    }
  });

  it('compile, render with nothing in them, and print user values escaped', () => {
    const renderer = PageRenderer.load();
    expect(renderer.pageNames.sort()).toEqual([
      'approvalLink', 'approvals', 'auditTrail', 'changeAudit', 'changeDetail', 'changeForm', 'changes', 'commandSearch', 'error', 'home', 'locks', 'outbox', 'policy', 'policyBacktest', 'reports',
      'sessionDetail', 'sessions', 'signIn',
    ]);
    for (const page of renderer.pageNames) expect(renderer.render(page, { portal: { timezone: 'UTC', nav: [] } }), page).toContain('</html>');
    const html = renderer.render('error', { title: '<b>t</b>', status: 400, message: '<script>x</script>', portal: { timezone: 'UTC', nav: [] } });
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script>x');
  });
});
