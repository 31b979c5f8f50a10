import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJobRepository } from '../../../src/jobs/sqliteBackend/sqliteJobRepository.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { waitFor } from '../../support/waitFor.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const JOBS = 120;

describe('two processes on one SQLite file', () => {
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(file: string, name: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/agendaWorkerProcess.ts', file, name], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('ready\n')) resolve(child);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before it was ready: ${output}`)));
    });
  }

  it('never run the same job twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'changeguard-two-processes-'));
    const file = join(dir, 'changeguard.db');
    const store = SqliteStore.open(file);
    try {
      store.db.exec('CREATE TABLE probe_runs (job_id TEXT NOT NULL, worker TEXT NOT NULL)');
      const workers = await Promise.all([startWorker(file, 'worker-a'), startWorker(file, 'worker-b')]);

      // Due at once, with both processes polling every 25 ms: they compete for every job.
      const jobs = new SqliteJobRepository(store.db);
      const ids: string[] = [];
      for (let n = 0; n < JOBS; n++) {
        ids.push(String((await jobs.saveJob({ name: 'probe', priority: 0, nextRunAt: new Date(), type: 'normal', data: { n } }, undefined))._id));
      }
      const runs = () => store.db.prepare('SELECT job_id AS id, worker FROM probe_runs').all() as { id: string; worker: string }[];
      await waitFor('every job to run', () => runs().length >= JOBS, { timeoutMs: 30_000 });

      await Promise.all(
        workers.map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
      const done = runs();
      expect(done.map((r) => r.id).sort()).toEqual([...ids].sort());
      console.info(`two-process run: ${JSON.stringify(Object.fromEntries(['worker-a', 'worker-b'].map((w) => [w, done.filter((r) => r.worker === w).length])))}`);
    } finally {
      await store.close();
    }
  });
});
