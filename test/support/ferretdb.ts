import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { freePort } from './freePort.js';

/**
 * FerretDB 1.x (Apache-2.0) serves the MongoDB wire protocol over SQLite files: the MongoDB
 * store, its recordings and Agenda's MongoDB backend are tested on it where no real MongoDB
 * is at hand (set MONGODB_URI for one). It is built from the Go module proxy once per machine
 * and cached; every later run reuses the binary.
 */
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';

export type FerretdbBinary = { readonly path: string } | { readonly unavailable: string };

/** `$FERRETDB_BIN`, else the cached build, else a fresh build (about two minutes on 2 cores). */
export function ensureFerretdbBinary(log: (line: string) => void = (line) => console.log(line)): FerretdbBinary {
  const given = process.env.FERRETDB_BIN;
  if (given) return existsSync(given) ? { path: given } : { unavailable: `FERRETDB_BIN=${given} does not exist` };
  const cached = join(cacheDir(), `ferretdb-${FERRETDB_VERSION}`, 'ferretdb');
  if (existsSync(cached)) return { path: cached };
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return { unavailable: `Go is not installed (\`go version\`: ${go.error?.message ?? go.stderr.trim()}), so FerretDB ${FERRETDB_VERSION} cannot be built` };
  }
  log(`building FerretDB ${FERRETDB_VERSION} from the Go module proxy into ${cached} (first run only, a few minutes)`);
  buildFerretdb(cached);
  log(`FerretDB ${FERRETDB_VERSION} built`);
  return { path: cached };
}

/**
 * Why not `go install .../cmd/ferretdb@v1.24.2`: the binary it makes panics at start ("Invalid
 * build/version/version.txt file content"), because FerretDB's version package requires a
 * generated file that the module does not ship. So the module's source is copied out of the
 * module cache, the file is written as FerretDB's own `bin/task gen-version` would, and the
 * upstream command is built from that copy with the module's own go.sum.
 */
function buildFerretdb(target: string): void {
  const env = { ...process.env, GOFLAGS: '-mod=mod' };
  const download = spawnSync('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { encoding: 'utf8', env, cwd: tmpdir() });
  if (download.status !== 0) throw new Error(`go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed: ${download.stderr || download.stdout}`);
  const source = (JSON.parse(download.stdout) as { Dir?: string }).Dir;
  if (!source) throw new Error(`go mod download gave no source directory: ${download.stdout}`);
  const work = mkdtempSync(join(tmpdir(), 'ferretdb-build-'));
  try {
    const tree = join(work, 'src');
    cpSync(source, tree, { recursive: true });
    makeWritable(tree);
    writeFileSync(join(tree, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    mkdirSync(join(target, '..'), { recursive: true });
    // Built beside the target and renamed: two runs building at once never see half a binary.
    const partial = `${target}.${process.pid}.partial`;
    const build = spawnSync('go', ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], { encoding: 'utf8', env, cwd: tree });
    if (build.status !== 0) throw new Error(`go build of FerretDB ${FERRETDB_VERSION} failed: ${build.stderr || build.stdout}`);
    renameSync(partial, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function cacheDir(): string {
  return process.env.CHANGEGUARD_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'changeguard');
}

/** The module cache is read-only; the copy must be writable to add version.txt and be removed. */
function makeWritable(path: string): void {
  chmodSync(path, statSync(path).mode | 0o200);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

export interface RunningFerretdb {
  readonly uri: string;
  readonly stop: () => Promise<void>;
}

/** Starts FerretDB (SQLite handler, its files in a fresh temporary directory) on a free loopback port. */
export async function startFerretdb(binary: string): Promise<RunningFerretdb> {
  const state = mkdtempSync(join(tmpdir(), 'ferretdb-state-'));
  mkdirSync(join(state, 'data'));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      // Test data is thrown away: no fsync per write (about three times faster inserts).
      `--sqlite-url=file:${join(state, 'data')}/?_pragma=synchronous(OFF)`,
      `--state-dir=${state}`,
      `--listen-addr=127.0.0.1:${port}`,
      // Its debug HTTP listener defaults to a fixed port, which two runs would fight over.
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const watchdog = outliveParentGuard(child);
  const uri = `mongodb://127.0.0.1:${port}/`;
  const stop = async () => {
    watchdog?.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(uri, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri, stop };
}

async function waitUntilServing(uri: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`FerretDB exited at start (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`);
    }
    const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`FerretDB did not answer a ping within 20 s: ${(error as Error).message}; ${stderr().trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

/**
 * A run killed hard (Ctrl-C twice, a CI timeout) never reaches its teardown: a small shell
 * loop kills FerretDB once this process is gone, so no server outlives the run that started it.
 */
function outliveParentGuard(child: ChildProcess): ChildProcess | undefined {
  if (child.pid === undefined) return undefined;
  const guard = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 2; done; kill ${child.pid} 2>/dev/null`], {
    stdio: 'ignore',
    detached: true,
  });
  guard.unref();
  return guard;
}
