import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config.js';

/**
 * The deployment files operators expect, checked with whatever runs here: Docker cannot, so the
 * Dockerfile and the compose file are parsed and held to what they promise (multi-stage,
 * non-root, health check on /readyz, a single-node replica set); the systemd unit goes through
 * `systemd-analyze verify` and the nginx example through `nginx -t` when those are installed
 * (the CI line installs nginx), and each says so when it is not.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: number;
}

/** Dockerfile instructions: comments dropped, continuation lines joined, each tagged with its stage. */
function dockerInstructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
  let stage = -1;
  return logical.map((line) => {
    const [, keyword = '', args = ''] = /^\s*(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: args.trim(), stage };
  });
}

describe('deploy/Dockerfile', () => {
  const instructions = dockerInstructions(read('deploy/Dockerfile'));
  const stages = instructions.filter((i) => i.keyword === 'FROM').map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]);
  const last = stages.length - 1;
  const final = instructions.filter((i) => i.stage === last);

  it('uses only Dockerfile instructions', () => {
    const known = new Set(['ARG', 'FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'STOPSIGNAL', 'CMD', 'LABEL', 'ENTRYPOINT']);
    expect(instructions.filter((i) => !known.has(i.keyword)).map((i) => i.keyword)).toEqual([]);
  });

  it('builds in one stage and runs in a slim one, copying only from the build stage', () => {
    expect(stages).toEqual(['build', 'runtime']);
    expect(instructions.find((i) => i.keyword === 'FROM' && i.stage === last)?.args).toMatch(/-slim\b/);
    for (const copy of final.filter((i) => i.keyword === 'COPY' && i.args.includes('--from='))) {
      expect(copy.args).toMatch(/--from=build\b/);
    }
    // The build stage prunes dev dependencies before the runtime copies node_modules.
    expect(instructions.some((i) => i.stage === 0 && i.keyword === 'RUN' && /npm ci\b.*npm prune --omit=dev/.test(i.args))).toBe(true);
  });

  it('copies only files that exist in the repository (the build context)', () => {
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
  });

  it('runs as a user other than root, with a health check on /readyz and the two ports', () => {
    const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    const healthcheck = final.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toContain('/readyz');
    expect(healthcheck).toMatch(/CMD \["node", "-e",/);
    expect(final.find((i) => i.keyword === 'EXPOSE')?.args.split(/\s+/)).toEqual(['3000', '2222']);
    expect(final.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "dist/main.js"]');
    expect(final.find((i) => i.keyword === 'STOPSIGNAL')?.args).toBe('SIGTERM');
  });

  it('has a .dockerignore that keeps local state and secrets out of the image', () => {
    const ignored = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const path of ['node_modules', 'data', '.env', 'dist', '.git']) expect(ignored).toContain(path);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(read('deploy/compose.yaml')) as {
    services: Record<string, { image?: string; command?: string[]; healthcheck?: { test: string[] }; build?: { context: string; dockerfile: string }; depends_on?: Record<string, { condition: string }>; environment?: Record<string, string>; env_file?: string[]; volumes?: string[]; ports?: string[] }>;
    volumes: Record<string, unknown>;
  };
  const { mongo, changeguard } = compose.services;

  it('runs MongoDB as a single-node replica set, initiated by its health check', () => {
    expect(mongo?.image).toMatch(/^mongo:\d/);
    expect(mongo?.command).toEqual(['mongod', '--replSet', 'rs0', '--bind_ip_all']);
    const check = mongo?.healthcheck?.test.join(' ') ?? '';
    expect(check).toContain("rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] })");
  });

  it('starts changeguard once the replica set is healthy, on it, with the image of deploy/Dockerfile', () => {
    expect(changeguard?.depends_on).toEqual({ mongo: { condition: 'service_healthy' } });
    expect(changeguard?.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(existsSync(join(ROOT, 'deploy', changeguard!.build!.context, changeguard!.build!.dockerfile))).toBe(true);
    const env = { ...parseEnv(read('deploy/changeguard.env.example')), ...changeguard?.environment };
    const config = loadConfig(env, { readDotEnv: false });
    expect(config.mongodbUri).toBe('mongodb://mongo:27017/changeguard?replicaSet=rs0&w=majority&retryWrites=true');
    expect(config.policyFile).toBe('/etc/changeguard/policy.yml');
    expect(changeguard?.volumes).toContain('./policy.yml:/etc/changeguard/policy.yml:ro');
    expect(changeguard?.ports).toEqual(['127.0.0.1:3000:3000', '2222:2222']);
    for (const volume of changeguard?.volumes ?? []) {
      const name = volume.split(':')[0]!;
      if (!name.startsWith('.')) expect(compose.volumes, name).toHaveProperty(name);
    }
  });
});

describe('deploy/changeguard.service', () => {
  const unit = read('deploy/changeguard.service');
  const settings = (section: string) =>
    Object.fromEntries(
      (new RegExp(`^\\[${section}\\]\\n([\\s\\S]*?)(?=^\\[|(?![\\s\\S]))`, 'm').exec(unit)?.[1] ?? '')
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

  it('runs the product as its own user with time to stop cleanly', () => {
    const service = settings('Service');
    expect(service).toMatchObject({ User: 'changeguard', ExecStart: '/usr/bin/node /opt/changeguard/dist/main.js', KillSignal: 'SIGTERM', Restart: 'on-failure', StateDirectory: 'changeguard' });
    // Above SHUTDOWN_GRACE_SECONDS (30) plus a few seconds, as docs/OPERATIONS.md asks.
    expect(Number(service.TimeoutStopSec)).toBeGreaterThan(30);
    expect(settings('Install')).toMatchObject({ WantedBy: 'multi-user.target' });
    const env = parseEnv(read('deploy/changeguard.env.example'));
    expect(() => loadConfig({ ...env, DATA_DIR: '/var/lib/changeguard' }, { readDotEnv: false })).not.toThrow();
  });

  it('passes systemd-analyze verify', (ctx) => {
    if (!has('systemd-analyze')) {
      const reason = 'systemd-analyze is not installed (Debian package systemd): deploy/changeguard.service was only parsed';
      console.warn(`skipped: ${reason}`);
      ctx.skip(reason);
    }
    const result = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy', 'changeguard.service')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('deploy/nginx/changeguard.conf', () => {
  it('passes nginx -t (with a throwaway certificate in place of the real one)', (ctx) => {
    if (!has('nginx')) {
      const reason = 'nginx is not installed (apt-get install -y nginx, as the README test line does): the nginx example was not checked';
      console.warn(`skipped: ${reason}`);
      ctx.skip(reason);
    }
    const dir = mkdtempSync(join(tmpdir(), 'changeguard-nginx-'));
    try {
      const site = read('deploy/nginx/changeguard.conf')
        .replace('/etc/ssl/changeguard/fullchain.pem', join(ROOT, 'test/fixtures/deploy/throwaway-cert.pem'))
        .replace('/etc/ssl/changeguard/privkey.pem', join(ROOT, 'test/fixtures/deploy/throwaway-key.pem'));
      writeFileSync(join(dir, 'site.conf'), site);
      writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${dir}/site.conf;\n}\n`);
      const result = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { encoding: 'utf8' });
      expect(result.stderr).toContain('test is successful');
      expect(result.stderr).not.toMatch(/\[(warn|emerg)\]/);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
