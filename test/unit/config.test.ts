import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const load = (env: NodeJS.ProcessEnv) => loadConfig(env, { readDotEnv: false });

describe('configuration', () => {
  it('has working defaults: SQLite in ./data, no Slack, proxy on 2222', () => {
    const config = load({});
    expect(config).toMatchObject({ port: 3000, bind: '127.0.0.1', publicUrl: 'http://localhost:3000', mongodbUri: undefined, slack: undefined, logLevel: 'info' });
    expect(config.sqliteFile).toMatch(/data\/changeguard\.db$/);
    expect(config.proxy).toMatchObject({ port: 2222, bind: '127.0.0.1', onStoreOutage: 'block', workers: 1 });
    expect(config.proxy.hostKeyFile).toMatch(/data\/proxy_host_ed25519$/);
  });

  it('runs the proxy in one process unless PROXY_WORKERS asks for more; auto is one per core', () => {
    expect(load({ PROXY_WORKERS: '3' }).proxy.workers).toBe(3);
    expect(load({ PROXY_WORKERS: 'auto' }).proxy.workers).toBe(availableParallelism());
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT: expected a port number'],
    [{ PORT: '70000' }, 'PORT: expected a port number from 0 to 65535'],
    [{ PROXY_PORT: '2.5' }, 'PROXY_PORT: expected a whole port number'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI: expected a mongodb:// or mongodb+srv:// connection string'],
    [{ PROXY_ON_STORE_OUTAGE: 'ignore' }, 'PROXY_ON_STORE_OUTAGE: expected block or allow'],
    [{ PROXY_WORKERS: '0' }, 'PROXY_WORKERS: expected a number of processes from 1 to 64, or auto (one per core), got 0'],
    [{ PROXY_WORKERS: 'all' }, 'PROXY_WORKERS: expected a number of processes from 1 to 64, or auto (one per core), got all'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent'],
    [{ PUBLIC_URL: 'changeguard' }, 'PUBLIC_URL: expected an absolute URL such as https://changeguard.example.com'],
    [{ SLACK_BOT_TOKEN: 'abc' }, 'SLACK_BOT_TOKEN: expected a bot token starting with xoxb-'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET: expected when SLACK_BOT_TOKEN is set without SLACK_APP_TOKEN (HTTP mode verifies requests with it)'],
    [{ SLACK_SIGNING_SECRET: 's' }, 'SLACK_BOT_TOKEN: expected when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set'],
    [{ SLACK_CLIENT_ID: 'abc' }, "SLACK_CLIENT_ID: expected the app's client id from Basic Information, such as 1234567890.1234567890"],
    [{ SLACK_CLIENT_ID: '123.456' }, 'SLACK_CLIENT_SECRET: expected when SLACK_CLIENT_ID is set (Sign in with Slack needs both)'],
    [{ SLACK_CLIENT_SECRET: 's3cret' }, 'SLACK_CLIENT_ID: expected when SLACK_CLIENT_SECRET is set (Sign in with Slack needs both)'],
    [{ SIEM_SYSLOG_URL: 'udp://siem:514' }, 'SIEM_SYSLOG_URL: expected tcp://host:port or tls://host:port (syslog over TCP, RFC 6587, or TLS, RFC 5425), such as tls://siem.example.com:6514'],
    [{ SIEM_SYSLOG_URL: 'tcp://siem' }, 'SIEM_SYSLOG_URL: expected tcp://host:port or tls://host:port (syslog over TCP, RFC 6587, or TLS, RFC 5425), such as tls://siem.example.com:6514'],
    [{ SIEM_SYSLOG_URL: 'tcp://siem:514', SIEM_SYSLOG_CA_FILE: '/ca.pem' }, 'SIEM_SYSLOG_CA_FILE: only for syslog over TLS (SIEM_SYSLOG_URL=tls://host:port)'],
    [{ SIEM_SYSLOG_FACILITY: 'local9' }, 'SIEM_SYSLOG_FACILITY: expected one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0, local1, local2, local3, local4, local5, local6, local7'],
    [{ SIEM_WEBHOOK_URL: 'http://siem.example.com/in', SIEM_WEBHOOK_SECRET: 'x'.repeat(32) }, 'SIEM_WEBHOOK_URL: expected an https:// URL (the stream carries the audit trail: never plain HTTP)'],
    [{ SIEM_WEBHOOK_URL: 'https://siem.example.com/in' }, 'SIEM_WEBHOOK_SECRET: expected when SIEM_WEBHOOK_URL is set (every request is signed with it)'],
    [{ SIEM_WEBHOOK_URL: 'https://siem.example.com/in', SIEM_WEBHOOK_SECRET: 'short' }, 'SIEM_WEBHOOK_SECRET: expected at least 32 characters (the HMAC-SHA256 key the receiver checks signatures with), e.g. from `openssl rand -hex 32`'],
    [{ SIEM_SYSLOG_URL: 'tls://siem:6514', MONGODB_URI: 'mongodb://db/changeguard' }, 'SIEM_SYSLOG_URL / SIEM_WEBHOOK_URL: the SIEM stream needs the embedded SQLite store for now (unset MONGODB_URI, or the SIEM variables)'],
    [{ CHANGEGUARD_SECRET: 'abcd' }, 'CHANGEGUARD_SECRET: expected at least 32 bytes as hex (64 or more hex digits), e.g. from `openssl rand -hex 32`'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY: expected a number of hops (1-10) or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal; "true" is none of these'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, '"10.0.0.0/33" is none of these'],
    [{ TRUST_PROXY: '0' }, 'TRUST_PROXY: expected 1 to 10 proxy hops, got 0'],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it('reads Slack settings for HTTP and Socket Mode, and treats empty values as unset', () => {
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'sec', SLACK_API_URL: 'http://127.0.0.1:9/api/' }).slack).toEqual({
      botToken: 'xoxb-1',
      signingSecret: 'sec',
      appToken: undefined,
      apiUrl: 'http://127.0.0.1:9/api/',
    });
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack?.appToken).toBe('xapp-1');
    expect(load({ PORT: '', MONGODB_URI: '' })).toMatchObject({ port: 3000, mongodbUri: undefined });
  });

  it('reads the SIEM sinks: syslog over TCP or TLS (IPv6 too), a signed webhook; none by default', () => {
    expect(load({}).siem).toEqual({ syslog: undefined, webhook: undefined });
    expect(load({ SIEM_SYSLOG_URL: 'tls://[::1]:6514', SIEM_SYSLOG_CA_FILE: '/etc/ca.pem', SIEM_SYSLOG_FACILITY: 'local3' }).siem.syslog).toEqual({
      transport: 'tls',
      host: '::1',
      port: 6514,
      caFile: '/etc/ca.pem',
      facility: 'local3',
    });
    expect(load({ SIEM_SYSLOG_URL: 'tcp://siem.example.com:514' }).siem.syslog).toMatchObject({ transport: 'tcp', host: 'siem.example.com', port: 514, facility: 'audit' });
    const webhook = load({ SIEM_WEBHOOK_URL: 'https://siem.example.com/in', SIEM_WEBHOOK_SECRET: 'k'.repeat(40) }).siem.webhook;
    expect(webhook?.url.href).toBe('https://siem.example.com/in');
    expect(webhook?.secret).toBe('k'.repeat(40));
  });

  it('reads the reverse proxies trusted for client addresses', () => {
    expect(load({}).trustProxy).toBeUndefined();
    expect(load({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(load({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
  });

  it('reads the Sign in with Slack credentials and the shared secret', () => {
    const secret = 'AB'.repeat(32);
    const config = load({ SLACK_CLIENT_ID: '123.456', SLACK_CLIENT_SECRET: 's3cret', CHANGEGUARD_SECRET: secret });
    expect(config.slackSignIn).toEqual({ clientId: '123.456', clientSecret: 's3cret' });
    expect(config.sharedSecretHex).toBe('ab'.repeat(32));
    expect(load({})).toMatchObject({ slackSignIn: undefined, sharedSecretHex: undefined });
  });
});
