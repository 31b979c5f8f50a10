import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering docs/ARCHITECTURE.md describes ("Layers"), enforced: data flows inward
 * (adapters -> services -> domain, services -> store ports), nothing imports upward, and no
 * adapter imports another. Every relative import (static and dynamic) of every file under
 * src/ is checked; a violation names the file, the import and the rule it breaks.
 */
const SRC = resolve(fileURLToPath(new URL('../../../src', import.meta.url)));
const ADAPTERS = ['jobs', 'notify', 'proxy', 'slack', 'web', 'cli', 'siem'] as const;

type Layer = 'domain' | 'services' | 'store-ports' | `store-${string}` | (typeof ADAPTERS)[number] | 'infra' | 'composition';

/** Which layer a file (path relative to src/, with / separators) belongs to. */
export function layerOf(path: string): Layer {
  const [top, ...rest] = path.split('/');
  // The roots, what only they call: the factories that choose a store implementation, and
  // the start-up summary (which reads every part's configuration).
  if (['main.ts', 'cli.ts', 'proxyWorker.ts', 'startupSummary.ts', 'store/openStore.ts', 'store/openRecordingStore.ts'].includes(path)) return 'composition';
  // `store migrate` opens both stores, both recording stores and both Agenda backends at once,
  // as only the composition root may: it is wiring, not an adapter or one store.
  if (path.startsWith('store/migration/') || path === 'cli/storeMigrateCommand.ts') return 'composition';
  if (path === 'config.ts' || path === 'logger.ts' || top === 'secrets') return 'infra';
  if (top === 'domain' || top === 'services') return top;
  if (top === 'store') return rest.length === 1 ? 'store-ports' : `store-${rest[0]}`;
  if ((ADAPTERS as readonly string[]).includes(top!)) return top as (typeof ADAPTERS)[number];
  throw new Error(`${path}: no layer for src/${top}: add it to docs/ARCHITECTURE.md "Layers" and to this test`);
}

const INWARD: Readonly<Record<string, readonly Layer[]>> = {
  domain: ['domain'],
  'store-ports': ['domain', 'store-ports'],
  services: ['domain', 'services', 'store-ports'],
  infra: ['infra'],
};

/**
 * The two deliberate crossings. notify/ is the Slack adapter's rendering and delivery half:
 * slack/ (Bolt's listeners, the other half) renders its answers through it, never the other
 * way. Agenda runs inside the store's own database, so jobs/ picks its backend from the
 * store implementation (agendaBackendFor.ts, sqliteBackend/).
 */
const CROSSINGS: readonly { from: Layer; to: (layer: Layer) => boolean; files?: RegExp; why: string }[] = [
  { from: 'slack', to: (layer) => layer === 'notify', why: 'slack/ renders through notify/, the Slack adapter\'s other half' },
  { from: 'jobs', to: (layer) => layer.startsWith('store-') && layer !== 'store-ports', files: /^jobs\/(agendaBackendFor\.ts|sqliteBackend\/)/, why: 'Agenda runs in the store\'s own database' },
];

/** Packages that do I/O or belong to one adapter: never in the domain, and the services reach them through ports. */
const DOMAIN_FORBIDDEN = /^(mongoose|mongodb|better-sqlite3|@slack\/|express|ssh2|pino|agenda|@agendajs\/|handlebars|node:(net|http|https|child_process|dgram|tls))/;
const SERVICES_FORBIDDEN = /^(mongoose|mongodb|better-sqlite3|@slack\/|express|pino|agenda|@agendajs\/|handlebars|playwright)/;

function allowed(fromPath: string, from: Layer, to: Layer): string | null {
  if (from === 'composition') return null;
  const inward = INWARD[from];
  if (inward) return inward.includes(to) ? null : `${from} may import only ${inward.join(', ')}`;
  if (from.startsWith('store-')) return ['domain', 'store-ports', from].includes(to) ? null : `a store implementation may import only the domain, the store ports and itself`;
  // An adapter.
  if (['domain', 'services', 'store-ports', 'infra', from].includes(to)) return null;
  const crossing = CROSSINGS.find((c) => c.from === from && c.to(to) && (!c.files || c.files.test(fromPath)));
  if (crossing) return null;
  if (to === 'composition') return `${from} imports the composition root`;
  return `adapter ${from} may not import ${to} (adapters use the domain, the services and the store ports; they never reach into each other)`;
}

interface ImportSite {
  readonly file: string;
  readonly specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): ImportSite[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm),
    ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((specifier) => ({ file: relative(SRC, file).split('\\').join('/'), specifier }));
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const site of importsOf(file)) {
      const from = layerOf(site.file);
      if (!site.specifier.startsWith('.')) {
        if (from === 'domain' && DOMAIN_FORBIDDEN.test(site.specifier)) found.push(`${site.file}: imports ${site.specifier}: the domain does no I/O and knows no adapter`);
        if (from === 'services' && SERVICES_FORBIDDEN.test(site.specifier)) found.push(`${site.file}: imports ${site.specifier}: services reach drivers and adapters through ports`);
        continue;
      }
      const target = relative(SRC, resolve(dirname(join(SRC, site.file)), site.specifier)).split('\\').join('/').replace(/\.js$/, '.ts');
      if (target.startsWith('..')) {
        found.push(`${site.file}: imports ${site.specifier}, outside src/`);
        continue;
      }
      const problem = allowed(site.file, from, layerOf(target));
      if (problem) found.push(`${site.file}: imports ${site.specifier} (${layerOf(target)}): ${problem}`);
    }
  }
  return found;
}

describe('import boundaries', () => {
  it('every import in src/ runs inward and no adapter imports another', () => {
    expect(violations()).toEqual([]);
  });

  it('knows each layer (a file in a new top-level folder fails until it is placed)', () => {
    expect(layerOf('domain/change/change.ts')).toBe('domain');
    expect(layerOf('store/changeRepository.ts')).toBe('store-ports');
    expect(layerOf('store/sqlite/sqliteStore.ts')).toBe('store-sqlite');
    expect(layerOf('notify/slackTemplates.ts')).toBe('notify');
    expect(layerOf('main.ts')).toBe('composition');
    expect(layerOf('store/openStore.ts')).toBe('composition');
    expect(() => layerOf('utils/helpers.ts')).toThrow(/no layer for src\/utils/);
  });

  it('catches an upward import and one between adapters', () => {
    expect(allowed('services/x.ts', 'services', 'notify')).toMatch(/services may import only/);
    expect(allowed('domain/x.ts', 'domain', 'store-ports')).toMatch(/domain may import only/);
    expect(allowed('web/x.ts', 'web', 'slack')).toMatch(/adapter web may not import slack/);
    expect(allowed('notify/x.ts', 'notify', 'slack')).toMatch(/adapter notify may not import slack/);
    expect(allowed('jobs/changeJobs.ts', 'jobs', 'store-sqlite')).toMatch(/adapter jobs may not import store-sqlite/);
    expect(allowed('jobs/agendaBackendFor.ts', 'jobs', 'store-sqlite')).toBeNull();
  });
});
