import { randomBytes } from 'node:crypto';
import { describe, inject, it } from 'vitest';

/**
 * Where the MongoDB suites run, as test/setup/mongoServer.globalSetup.ts found it: the server
 * in MONGODB_URI, else FerretDB started for the run; `skipReason` only when neither could be
 * had (no MONGODB_URI and no Go to build FerretDB with). A MONGODB_URI that is set but
 * unreachable fails the suites instead: it was asked for.
 */
export type MongoTestTarget = { readonly uri: string; readonly server: 'MONGODB_URI' | 'ferretdb' } | { readonly skipReason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    mongoTestTarget: MongoTestTarget;
  }
}

export function mongoTestTarget(): MongoTestTarget {
  return inject('mongoTestTarget');
}

/** A database name no other suite, test or run uses (each suite drops what it creates). */
export function freshDatabaseName(purpose: string): string {
  return `cg_${purpose}_${process.pid}_${randomBytes(4).toString('hex')}`.slice(0, 60);
}

/**
 * The server's URI for `suite`; when there is none, registers `suite` as skipped, with the
 * reason in its name and printed, and returns undefined (never a silent skip).
 */
export function mongoUriOrSkip(suite: string): string | undefined {
  const target = mongoTestTarget();
  if ('uri' in target) return target.uri;
  console.warn(`${suite} skipped: ${target.skipReason}`);
  describe.skip(`${suite} (skipped: ${target.skipReason})`, () => {
    it('runs on a MongoDB-wire server', () => undefined);
  });
  return undefined;
}
