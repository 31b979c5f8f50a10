import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Syslog facility names (RFC 5424); their numbers are in domain/siem/syslogMessage.ts, whose type the typecheck holds these to. */
export const SYSLOG_FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
type SyslogFacilityName = (typeof SYSLOG_FACILITY_NAMES)[number];

const port = (name: string, fallback: number) =>
  z.coerce
    .number({ message: `${name}: expected a port number` })
    .int(`${name}: expected a whole port number`)
    .min(0, `${name}: expected a port number from 0 to 65535`)
    .max(65535, `${name}: expected a port number from 0 to 65535`)
    .default(fallback);

const positive = (name: string, unit: string, fallback: number) =>
  z.coerce
    .number({ message: `${name}: expected a number of ${unit}` })
    .positive(`${name}: expected a positive number of ${unit}`)
    .default(fallback);

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  PORT: port('PORT', 3000),
  BIND: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url({ message: 'PUBLIC_URL: expected an absolute URL such as https://changeguard.example.com' }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  MONGODB_URI: optionalText.refine((v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v), {
    message: 'MONGODB_URI: expected a mongodb:// or mongodb+srv:// connection string',
  }),
  POLICY_FILE: optionalText,
  SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), {
    message: 'SLACK_BOT_TOKEN: expected a bot token starting with xoxb-',
  }),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), {
    message: 'SLACK_APP_TOKEN: expected an app-level token starting with xapp-',
  }),
  SLACK_API_URL: z.url({ message: 'SLACK_API_URL: expected an absolute URL' }).optional(),
  SLACK_CLIENT_ID: optionalText.refine((v) => v === undefined || /^\d+\.\d+$/.test(v), {
    message: 'SLACK_CLIENT_ID: expected the app\'s client id from Basic Information, such as 1234567890.1234567890',
  }),
  SLACK_CLIENT_SECRET: optionalText,
  CHANGEGUARD_SECRET: optionalText.refine((v) => v === undefined || /^(?:[0-9a-fA-F]{2}){32,}$/.test(v), {
    message: 'CHANGEGUARD_SECRET: expected at least 32 bytes as hex (64 or more hex digits), e.g. from `openssl rand -hex 32`',
  }),
  TRUST_PROXY: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const trusted = parseTrustProxy(v);
    if (typeof trusted === 'string') {
      ctx.addIssue({ code: 'custom', message: `TRUST_PROXY: ${trusted}` });
      return z.NEVER;
    }
    return trusted;
  }),
  PROXY_PORT: port('PROXY_PORT', 2222),
  PROXY_BIND: z.string().min(1).default('127.0.0.1'),
  PROXY_HOST_KEY_FILE: optionalText,
  PROXY_PUBLIC_ADDRESS: optionalText.refine((v) => v === undefined || parsePublicAddress(v) !== undefined, {
    message: 'PROXY_PUBLIC_ADDRESS: expected the host users reach the SSH proxy at, optionally with a port, such as changeguard.example.com:2222',
  }),
  PROXY_WORKERS: optionalText.transform((v, ctx) => {
    if (v === undefined) return 1;
    if (v === 'auto') return availableParallelism();
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (n >= 1 && n <= 64) return n;
    ctx.addIssue({ code: 'custom', message: `PROXY_WORKERS: expected a number of processes from 1 to 64, or auto (one per core), got ${v}` });
    return z.NEVER;
  }),
  PROXY_ON_STORE_OUTAGE: z
    .enum(['block', 'allow'], { message: 'PROXY_ON_STORE_OUTAGE: expected block or allow' })
    .default('block'),
  WINDOW_EXPIRING_MINUTES: positive('WINDOW_EXPIRING_MINUTES', 'minutes', 15),
  APPROVAL_REMINDER_HOURS: positive('APPROVAL_REMINDER_HOURS', 'hours', 4),
  APPROVAL_ESCALATE_AFTER: z.coerce
    .number({ message: 'APPROVAL_ESCALATE_AFTER: expected a whole number of reminders' })
    .int('APPROVAL_ESCALATE_AFTER: expected a whole number of reminders')
    .min(0, 'APPROVAL_ESCALATE_AFTER: expected 0 or more reminders')
    .default(2),
  SCHEDULER_POLL_SECONDS: positive('SCHEDULER_POLL_SECONDS', 'seconds', 5),
  AUDIT_ANCHOR_MINUTES: positive('AUDIT_ANCHOR_MINUTES', 'minutes', 60),
  SHUTDOWN_GRACE_SECONDS: positive('SHUTDOWN_GRACE_SECONDS', 'seconds', 30),
  SIEM_SYSLOG_URL: optionalText.refine((v) => v === undefined || parseSyslogUrl(v) !== undefined, {
    message: 'SIEM_SYSLOG_URL: expected tcp://host:port or tls://host:port (syslog over TCP, RFC 6587, or TLS, RFC 5425), such as tls://siem.example.com:6514',
  }),
  SIEM_SYSLOG_CA_FILE: optionalText,
  SIEM_SYSLOG_FACILITY: z
    .enum(SYSLOG_FACILITY_NAMES, { message: `SIEM_SYSLOG_FACILITY: expected one of ${SYSLOG_FACILITY_NAMES.join(', ')}` })
    .default('audit'),
  SIEM_WEBHOOK_URL: optionalText.refine((v) => v === undefined || /^https:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
    message: 'SIEM_WEBHOOK_URL: expected an https:// URL (the stream carries the audit trail: never plain HTTP)',
  }),
  SIEM_WEBHOOK_SECRET: optionalText.refine((v) => v === undefined || v.length >= 32, {
    message: 'SIEM_WEBHOOK_SECRET: expected at least 32 characters (the HMAC-SHA256 key the receiver checks signatures with), e.g. from `openssl rand -hex 32`',
  }),
  SIEM_WEBHOOK_CA_FILE: optionalText,
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
});

/**
 * Which reverse proxies may tell the client's address (X-Forwarded-For): a number of hops, or
 * addresses / CIDR ranges / `loopback`, `linklocal`, `uniquelocal`. `true` (trust anyone) is
 * refused: any client could then forge its address and dodge the per-address rate limits.
 * Returns the parsed value, or a message saying what is wrong.
 */
export function parseTrustProxy(text: string): number | string[] | string {
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops >= 1 && hops <= 10 ? hops : `expected 1 to 10 proxy hops, got ${text}`;
  }
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) continue;
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix))) {
      return `expected a number of hops (1-10) or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal; "${item}" is none of these`;
    }
  }
  return items;
}

/** `tcp://host:port` or `tls://host:port` (IPv6 in brackets). */
export function parseSyslogUrl(text: string): { transport: 'tcp' | 'tls'; host: string; port: number } | undefined {
  const match = /^(tcp|tls):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { transport: match[1] as 'tcp' | 'tls', host: match[2]!.replace(/^\[|\]$/g, ''), port };
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`: where users point ssh at the proxy. */
export function parsePublicAddress(text: string): { host: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: match[1]!, port };
}

export interface Config {
  readonly port: number;
  readonly bind: string;
  /** TRUST_PROXY: reverse proxies whose X-Forwarded-For gives the client's address (express's `trust proxy`). */
  readonly trustProxy?: number | readonly string[] | undefined;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly sqliteFile: string;
  readonly mongodbUri: string | undefined;
  readonly policyFile: string | undefined;
  readonly slack:
    | { readonly botToken: string; readonly signingSecret: string | undefined; readonly appToken: string | undefined; readonly apiUrl: string | undefined }
    | undefined;
  /** "Sign in with Slack" (OpenID Connect) for the web pages. */
  readonly slackSignIn: { readonly clientId: string; readonly clientSecret: string } | undefined;
  /**
   * Hex secret that signs approval links and web sessions. Unset: `$DATA_DIR/link_secret`
   * (created on first start). Several processes must share one or the other.
   */
  readonly sharedSecretHex: string | undefined;
  readonly proxy: {
    readonly port: number;
    readonly bind: string;
    readonly hostKeyFile: string;
    /** Where users reach the proxy (PROXY_PUBLIC_ADDRESS; default: PUBLIC_URL's host and PROXY_PORT), for the `ssh` lines shown on change pages. */
    readonly publicHost: string;
    readonly publicPort: number;
    /** block: commands in live sessions are refused while the store is unreachable; allow: judged on the last policy read, unrecorded. */
    readonly onStoreOutage: 'block' | 'allow';
    /**
     * PROXY_WORKERS: 1 runs the proxy in this process; more forks that many proxy-only
     * worker processes sharing PROXY_PORT (node:cluster), so sessions spread over the cores.
     */
    readonly workers: number;
  };
  /** Timing of the scheduled steps (src/jobs/). */
  readonly scheduler: {
    readonly expiringLeadMs: number;
    readonly reminderEveryMs: number;
    readonly escalateAfter: number;
    readonly processEveryMs: number;
    readonly shutdownGraceMs: number;
    readonly anchorEveryMs: number;
  };
  /** The SIEM stream's sinks (none when both are undefined). */
  readonly siem: {
    readonly syslog?: { readonly transport: 'tcp' | 'tls'; readonly host: string; readonly port: number; readonly caFile?: string | undefined; readonly facility: SyslogFacilityName } | undefined;
    readonly webhook?: { readonly url: URL; readonly secret: string; readonly caFile?: string | undefined } | undefined;
  };
  readonly logLevel: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment (and `.env` in the working directory, if present, without
 * overriding variables already set). Throws ConfigError with one line per bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { readDotEnv?: boolean } = {}): Config {
  if (options.readDotEnv !== false && env === process.env && existsSync('.env')) process.loadEnvFile('.env');
  // Empty strings count as unset: `PORT=` in a .env file means "the default".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return issue.message.startsWith(`${name}:`) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigError([...new Set(lines)].join('\n'));
  }
  const v = parsed.data;
  if (v.SLACK_BOT_TOKEN && !v.SLACK_SIGNING_SECRET && !v.SLACK_APP_TOKEN) {
    throw new ConfigError('SLACK_SIGNING_SECRET: expected when SLACK_BOT_TOKEN is set without SLACK_APP_TOKEN (HTTP mode verifies requests with it)');
  }
  if (!v.SLACK_BOT_TOKEN && (v.SLACK_SIGNING_SECRET || v.SLACK_APP_TOKEN)) {
    throw new ConfigError('SLACK_BOT_TOKEN: expected when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set');
  }
  if (Boolean(v.SLACK_CLIENT_ID) !== Boolean(v.SLACK_CLIENT_SECRET)) {
    throw new ConfigError(
      v.SLACK_CLIENT_ID
        ? 'SLACK_CLIENT_SECRET: expected when SLACK_CLIENT_ID is set (Sign in with Slack needs both)'
        : 'SLACK_CLIENT_ID: expected when SLACK_CLIENT_SECRET is set (Sign in with Slack needs both)',
    );
  }
  if (Boolean(v.SIEM_WEBHOOK_URL) !== Boolean(v.SIEM_WEBHOOK_SECRET)) {
    throw new ConfigError(
      v.SIEM_WEBHOOK_URL
        ? 'SIEM_WEBHOOK_SECRET: expected when SIEM_WEBHOOK_URL is set (every request is signed with it)'
        : 'SIEM_WEBHOOK_URL: expected when SIEM_WEBHOOK_SECRET is set',
    );
  }
  if (v.SIEM_WEBHOOK_CA_FILE && !v.SIEM_WEBHOOK_URL) throw new ConfigError('SIEM_WEBHOOK_CA_FILE: set SIEM_WEBHOOK_URL too (the CA checks its certificate)');
  const syslog = v.SIEM_SYSLOG_URL === undefined ? undefined : parseSyslogUrl(v.SIEM_SYSLOG_URL)!;
  if (v.SIEM_SYSLOG_CA_FILE && syslog?.transport !== 'tls') throw new ConfigError('SIEM_SYSLOG_CA_FILE: only for syslog over TLS (SIEM_SYSLOG_URL=tls://host:port)');
  if ((syslog || v.SIEM_WEBHOOK_URL) && v.MONGODB_URI) {
    throw new ConfigError('SIEM_SYSLOG_URL / SIEM_WEBHOOK_URL: the SIEM stream needs the embedded SQLite store for now (unset MONGODB_URI, or the SIEM variables)');
  }
  const dataDir = resolve(v.DATA_DIR);
  const publicUrl = (v.PUBLIC_URL ?? `http://localhost:${v.PORT}`).replace(/\/+$/, '');
  const proxyAddress = v.PROXY_PUBLIC_ADDRESS === undefined ? undefined : parsePublicAddress(v.PROXY_PUBLIC_ADDRESS);
  return {
    port: v.PORT,
    bind: v.BIND,
    publicUrl,
    dataDir,
    sqliteFile: join(dataDir, 'changeguard.db'),
    mongodbUri: v.MONGODB_URI,
    policyFile: v.POLICY_FILE,
    slack: v.SLACK_BOT_TOKEN
      ? { botToken: v.SLACK_BOT_TOKEN, signingSecret: v.SLACK_SIGNING_SECRET, appToken: v.SLACK_APP_TOKEN, apiUrl: v.SLACK_API_URL }
      : undefined,
    slackSignIn: v.SLACK_CLIENT_ID && v.SLACK_CLIENT_SECRET ? { clientId: v.SLACK_CLIENT_ID, clientSecret: v.SLACK_CLIENT_SECRET } : undefined,
    sharedSecretHex: v.CHANGEGUARD_SECRET?.toLowerCase(),
    proxy: {
      port: v.PROXY_PORT,
      bind: v.PROXY_BIND,
      hostKeyFile: v.PROXY_HOST_KEY_FILE ?? join(dataDir, 'proxy_host_ed25519'),
      publicHost: proxyAddress?.host ?? new URL(publicUrl).hostname,
      publicPort: proxyAddress?.port ?? v.PROXY_PORT,
      onStoreOutage: v.PROXY_ON_STORE_OUTAGE,
      workers: v.PROXY_WORKERS,
    },
    scheduler: {
      expiringLeadMs: Math.round(v.WINDOW_EXPIRING_MINUTES * 60_000),
      reminderEveryMs: Math.round(v.APPROVAL_REMINDER_HOURS * 3_600_000),
      escalateAfter: v.APPROVAL_ESCALATE_AFTER,
      processEveryMs: Math.round(v.SCHEDULER_POLL_SECONDS * 1000),
      shutdownGraceMs: Math.round(v.SHUTDOWN_GRACE_SECONDS * 1000),
      anchorEveryMs: Math.round(v.AUDIT_ANCHOR_MINUTES * 60_000),
    },
    trustProxy: v.TRUST_PROXY,
    siem: {
      syslog: syslog && { ...syslog, caFile: v.SIEM_SYSLOG_CA_FILE, facility: v.SIEM_SYSLOG_FACILITY },
      webhook: v.SIEM_WEBHOOK_URL && v.SIEM_WEBHOOK_SECRET ? { url: new URL(v.SIEM_WEBHOOK_URL), secret: v.SIEM_WEBHOOK_SECRET, caFile: v.SIEM_WEBHOOK_CA_FILE } : undefined,
    },
    logLevel: v.LOG_LEVEL,
  };
}
