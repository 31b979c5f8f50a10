import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config.js';
import { formatPasswordHash, parsePasswordHash } from '../../../src/domain/policy/passwordHashFormat.js';
import { hashPassword, verifyPassword } from '../../../src/services/access/passwords.js';
import { checkPolicy } from '../../../src/services/policy/policyImport.js';
import { describeStartup, listenFailure, redactMongoUri } from '../../../src/startupSummary.js';
import { dateToWallTime, wallTimeToDate } from '../../../src/domain/time/wallTime.js';
import { buildPolicy, buildUser } from '../../support/factories.js';

const load = (env: NodeJS.ProcessEnv) => loadConfig(env, { readDotEnv: false });

describe('web password hashes', () => {
  it('verify the right password only, whatever its Unicode normal form', async () => {
    const hash = await hashPassword('Crème brûlée au café');
    expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('Crème brûlée au café', hash)).toBe(true);
    expect(await verifyPassword('Cre\u0300me bru\u0302le\u0301e au cafe\u0301', hash)).toBe(true);
    expect(await verifyPassword('creme brulee au cafe', hash)).toBe(false);
    expect(await verifyPassword('Crème brûlée au café', undefined)).toBe(false);
    expect(await verifyPassword('Crème brûlée au café', 'not a hash')).toBe(false);
    // Two hashes of one password differ (random salt).
    expect(await hashPassword('Crème brûlée au café')).not.toBe(hash);
  });

  it('refuse short passwords', async () => {
    await expect(hashPassword('short')).rejects.toThrow('a password needs at least 12 characters');
  });

  it('are checked for form and bounded cost in the policy', () => {
    const good = formatPasswordHash({ ln: 15, r: 8, p: 1, salt: Buffer.alloc(16, 1), hash: Buffer.alloc(32, 2) });
    expect(typeof parsePasswordHash(good)).toBe('object');
    expect(parsePasswordHash(good.replace('ln=15', 'ln=30'))).toBe('ln (scrypt cost) must be from 14 to 20, got 30');
    expect(parsePasswordHash(good.replace('r=8', 'r=99'))).toBe('r (scrypt block size) must be from 8 to 32, got 99');
    expect(parsePasswordHash('hunter2')).toMatch(/^must be a hash printed by `changeguard password hash`/);
    const yaml = (hash: string) => `users:\n  - { id: bob, passwordHash: "${hash}" }\n`;
    expect(checkPolicy(yaml(good), 'p.yml').users[0]?.passwordHash).toBe(good);
    expect(() => checkPolicy(yaml('hunter2'), 'p.yml')).toThrow(/p\.yml: users\[0\]\.passwordHash: must be a hash printed by `changeguard password hash`/);
  });
});

describe('wall times in the policy time zone', () => {
  it('read a datetime-local value in the zone, across daylight saving', () => {
    expect(wallTimeToDate('2026-01-15T09:30', 'UTC')?.toISOString()).toBe('2026-01-15T09:30:00.000Z');
    expect(wallTimeToDate('2026-01-15T09:30', 'Europe/Paris')?.toISOString()).toBe('2026-01-15T08:30:00.000Z');
    expect(wallTimeToDate('2026-07-15T09:30', 'Europe/Paris')?.toISOString()).toBe('2026-07-15T07:30:00.000Z');
    expect(wallTimeToDate('2026-07-15T09:30', 'America/New_York')?.toISOString()).toBe('2026-07-15T13:30:00.000Z');
    // 02:30 does not exist in Paris on 29 March 2026: the instant after the jump.
    expect(wallTimeToDate('2026-03-29T02:30', 'Europe/Paris')?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(wallTimeToDate('2026-03-29', 'Europe/Paris')?.toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });

  it('refuse what is not a real date and time', () => {
    for (const text of ['2026-02-30T10:00', '2026-13-01T10:00', '2026-01-01T24:00', 'tomorrow', '2026-01-01 10:00', '']) {
      expect(wallTimeToDate(text, 'UTC'), text).toBeNull();
    }
  });

  it('write an instant back as the form shows it', () => {
    const at = new Date('2026-07-15T07:30:00Z');
    expect(dateToWallTime(at, 'Europe/Paris')).toBe('2026-07-15T09:30');
    expect(wallTimeToDate(dateToWallTime(at, 'Asia/Kolkata'), 'Asia/Kolkata')?.getTime()).toBe(at.getTime());
  });
});

describe('the start-up summary', () => {
  const base = (env: NodeJS.ProcessEnv = {}): Config => load({ DATA_DIR: '/var/lib/changeguard', ...env });
  const policy = buildPolicy();

  it('says where to open changeguard and what it runs with', () => {
    const summary = describeStartup({ config: base(), httpAddress: { address: '127.0.0.1', family: 'IPv4', port: 3000 }, store: { kind: 'sqlite' }, slackMode: undefined, proxyPort: 2222, policy });
    expect(summary.message).toBe(
      'changeguard started: open http://127.0.0.1:3000 · store SQLite /var/lib/changeguard/changeguard.db · Slack off (notifications stay in the outbox) · web sign-in: pick a user, no password (loopback only) · SSH proxy 127.0.0.1:2222 · policy from the store (4 users, 1 group, 2 servers, 0 rules)',
    );
    expect(summary.warning).toBeUndefined();
  });

  it('warns when nobody can sign in, and says how to fix it', () => {
    const empty = describeStartup({ config: base(), httpAddress: null, store: { kind: 'sqlite' }, slackMode: undefined, proxyPort: 2222, policy: buildPolicy({ users: [] }) });
    expect(empty.message).toContain('policy none loaded');
    expect(empty.warning).toMatch(/^no policy is loaded, so nobody can sign in: set POLICY_FILE \(try POLICY_FILE=examples\/policy\.yml/);
    const slack = base({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', MONGODB_URI: 'mongodb://admin:s3cret@db1,db2/changeguard?replicaSet=rs0' });
    const none = describeStartup({ config: slack, httpAddress: null, store: { kind: 'mongo' }, slackMode: 'socket', proxyPort: 2222, policy });
    expect(none.message).toContain('store MongoDB mongodb://db1,db2/changeguard · Slack Socket Mode · web sign-in: none');
    expect(none.message).not.toContain('s3cret');
    expect(none.warning).toBe('no web sign-in is possible: give users a passwordHash in the policy (`npx changeguard password hash`), or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET');
    const withPasswords = buildPolicy({ users: [buildUser({ id: 'bob', passwordHash: '$scrypt$x' })] });
    expect(describeStartup({ config: slack, httpAddress: null, store: { kind: 'mongo' }, slackMode: 'socket', proxyPort: 2222, policy: withPasswords }).message).toContain('web sign-in: password (1 of 1 users)');
  });

  it('turns a listener that cannot start into one line naming the variable', () => {
    const config = base({ PORT: '3000', PROXY_PORT: '2222' });
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 3000 });
    expect(listenFailure(inUse, config)).toBe('PORT: 127.0.0.1:3000 is already in use (another changeguard running?): stop it, or set PORT to a free port for the web server');
    expect(listenFailure({ ...inUse, port: 2222 }, config)).toMatch(/^PROXY_PORT: 127\.0\.0\.1:2222 is already in use/);
    expect(listenFailure({ code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 3000 }, config)).toMatch(/^PORT: not allowed to listen on 0\.0\.0\.0:3000/);
    expect(listenFailure({ code: 'EADDRNOTAVAIL', syscall: 'listen', address: '10.9.9.9', port: 2222 }, config)).toMatch(/^PROXY_BIND: 10\.9\.9\.9 is not an address of this machine/);
    expect(listenFailure(new Error('other'), config)).toBeUndefined();
    expect(redactMongoUri('mongodb+srv://u:p@cluster0.example.net/db?x=1')).toBe('mongodb+srv://cluster0.example.net/db');
  });

  it('reads PROXY_PUBLIC_ADDRESS for the ssh lines, else PUBLIC_URL and PROXY_PORT', () => {
    expect(base({ PUBLIC_URL: 'https://cg.example.com', PROXY_PORT: '2200' }).proxy).toMatchObject({ publicHost: 'cg.example.com', publicPort: 2200 });
    expect(base({ PROXY_PUBLIC_ADDRESS: 'ssh.example.com:22' }).proxy).toMatchObject({ publicHost: 'ssh.example.com', publicPort: 22 });
    expect(base({ PROXY_PUBLIC_ADDRESS: 'ssh.example.com' }).proxy).toMatchObject({ publicHost: 'ssh.example.com', publicPort: 2222 });
    expect(() => base({ PROXY_PUBLIC_ADDRESS: 'ssh://x' })).toThrow(/^PROXY_PUBLIC_ADDRESS: expected the host users reach the SSH proxy at/);
  });
});

describe('the example files', () => {
  it('examples/policy.yml is a valid policy that works without Slack', () => {
    const policy = checkPolicy(readFileSync('examples/policy.yml'), 'policy.yml');
    expect(policy.users.map((u) => u.id)).toEqual(['alice', 'bob', 'carol', 'erin', 'sam', 'ada']);
    expect(policy.users.some((u) => u.passwordHash)).toBe(false);
    expect(policy.groups[0]).toMatchObject({ members: ['alice'], approvers: ['bob', 'carol'], devices: ['web01'] });
  });

  it('.env.example loads as a configuration pointing at the example policy', () => {
    // Node's own .env parser (the one process.loadEnvFile uses), into a separate object.
    const config = load(parseEnv(readFileSync('.env.example', 'utf8')));
    expect(config).toMatchObject({ policyFile: 'examples/policy.yml', port: 3000, bind: '127.0.0.1', slack: undefined, mongodbUri: undefined });
    expect(config.proxy).toMatchObject({ port: 2222, bind: '127.0.0.1' });
  });
});
