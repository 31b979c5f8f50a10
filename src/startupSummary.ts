import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import type { Config } from './config.js';
import type { Policy } from './domain/policy/policy.js';
import type { Store } from './store/store.js';
import { isLoopbackAddress } from './web/http/loopbackHost.js';

/**
 * The start-up line: where to open changeguard and what it runs with (store, Slack, web
 * sign-in, SSH proxy, policy), so a first run says what it is doing and what is missing.
 */
export function describeStartup(input: {
  readonly config: Config;
  readonly httpAddress: AddressInfo | string | null;
  readonly store: Pick<Store, 'kind'>;
  readonly slackMode: 'socket' | 'http' | undefined;
  readonly proxyPort: number;
  readonly policy: Policy;
}): { message: string; fields: Record<string, unknown>; warning: string | undefined } {
  const { config, policy } = input;
  const port = typeof input.httpAddress === 'object' && input.httpAddress ? input.httpAddress.port : config.port;
  const host = config.bind.includes(':') ? `[${config.bind}]` : config.bind;
  const url = config.publicUrl.replace(/:0$/, `:${port}`);
  const local = host === '0.0.0.0' || host === '[::]' ? url : `http://${host}:${port}`;
  const store = config.mongodbUri ? `MongoDB ${redactMongoUri(config.mongodbUri)}` : `SQLite ${shortPath(config.sqliteFile)}`;
  const slack = !config.slack
    ? 'off (notifications stay in the outbox)'
    : input.slackMode === 'socket'
      ? 'Socket Mode'
      : 'HTTP mode (/slack/events)';
  const passwords = policy.users.filter((u) => u.passwordHash !== undefined).length;
  const signIn = [
    ...(config.slackSignIn ? ['Sign in with Slack'] : []),
    ...(passwords > 0 ? [`password (${passwords} of ${policy.users.length} users)`] : []),
    ...(passwords === 0 && !config.slack && isLoopbackAddress(config.bind) ? ['pick a user, no password (loopback only)'] : []),
  ];
  const proxy = `${config.proxy.bind.includes(':') ? `[${config.proxy.bind}]` : config.proxy.bind}:${input.proxyPort}`;
  const policyText =
    policy.users.length === 0
      ? 'none loaded'
      : `${config.policyFile ? shortPath(config.policyFile) : 'from the store'} (${count(policy.users.length, 'user')}, ${count(policy.groups.length, 'group')}, ${count(policy.devices.length, 'server')}, ${count(policy.rules.length, 'rule')})`;
  const message = [
    `changeguard started: open ${local}`,
    `store ${store}`,
    `Slack ${slack}`,
    `web sign-in: ${signIn.length > 0 ? signIn.join(', ') : 'none'}`,
    `SSH proxy ${proxy}`,
    `policy ${policyText}`,
  ].join(' · ');
  const warning =
    policy.users.length === 0
      ? 'no policy is loaded, so nobody can sign in: set POLICY_FILE (try POLICY_FILE=examples/policy.yml, or `cp .env.example .env`) or run `npx changeguard policy import FILE`'
      : signIn.length === 0
        ? `no web sign-in is possible: give users a passwordHash in the policy (\`npx changeguard password hash\`)${config.slack ? ', or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET' : `, or bind to a loopback address (BIND is ${config.bind})`}`
        : undefined;
  return {
    message,
    fields: { url: local, publicUrl: config.publicUrl, store, slack, signIn, proxy, policy: policyText },
    warning,
  };
}

/** One line for a listener that could not start, naming the variable to change; undefined for other errors. */
export function listenFailure(error: unknown, config: Config): string | undefined {
  const e = error as { code?: unknown; syscall?: unknown; port?: unknown; address?: unknown } | null;
  if (e?.syscall !== 'listen' || typeof e.code !== 'string') return undefined;
  const port = typeof e.port === 'number' ? e.port : undefined;
  const which = port === config.port ? { port: 'PORT', bind: 'BIND', what: 'the web server' } : { port: 'PROXY_PORT', bind: 'PROXY_BIND', what: 'the SSH proxy' };
  const where = `${String(e.address ?? '')}:${port ?? ''}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return `${which.port}: ${where} is already in use (another changeguard running?): stop it, or set ${which.port} to a free port for ${which.what}`;
    case 'EACCES':
      return `${which.port}: not allowed to listen on ${where} (ports below 1024 need privileges): choose a port above 1024 for ${which.what}`;
    case 'EADDRNOTAVAIL':
      return `${which.bind}: ${String(e.address ?? '')} is not an address of this machine: set ${which.bind} to one of its addresses (127.0.0.1 for this machine only)`;
    default:
      return `${which.port}: cannot listen on ${where} for ${which.what} (${e.code})`;
  }
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The server part of a MongoDB URI, without credentials or options. */
export function redactMongoUri(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]*)(\/[^?]*)?/.exec(uri);
  return match ? `${match[1]}${match[2]}${match[3] ?? ''}` : 'mongodb://…';
}
