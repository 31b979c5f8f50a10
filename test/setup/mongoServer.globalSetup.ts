import type { TestProject } from 'vitest/node';
import { ensureFerretdbBinary, FERRETDB_VERSION, startFerretdb, type RunningFerretdb } from '../support/ferretdb.js';
import type { MongoTestTarget } from '../support/mongoTestServer.js';

/**
 * One MongoDB-wire server for the whole run, shared by every suite that needs one (each
 * suite works in databases of its own): the server in MONGODB_URI when set (a real MongoDB,
 * so operators run the same suites against their replica set), else FerretDB started here.
 * Only when neither can be had do the MongoDB suites skip, each printing this reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const uri = process.env.MONGODB_URI;
  if (uri) {
    project.provide('mongoTestTarget', { uri, server: 'MONGODB_URI' } satisfies MongoTestTarget);
    return async () => undefined;
  }
  const binary = ensureFerretdbBinary();
  if ('unavailable' in binary) {
    const skipReason = `MONGODB_URI is unset and FerretDB is not available: ${binary.unavailable}`;
    console.warn(`MongoDB suites will be skipped: ${skipReason}`);
    project.provide('mongoTestTarget', { skipReason } satisfies MongoTestTarget);
    return async () => undefined;
  }
  const server: RunningFerretdb = await startFerretdb(binary.path);
  console.log(`MongoDB suites run on FerretDB ${FERRETDB_VERSION} (SQLite) at ${server.uri}`);
  project.provide('mongoTestTarget', { uri: server.uri, server: 'ferretdb' } satisfies MongoTestTarget);
  return server.stop;
}
