import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MigrationReport } from '../store/migration/migrateSqliteToMongo.js';

export interface StoreMigrateOptions {
  readonly to: string;
  readonly from: string;
  readonly force: boolean;
}

/** What the command prints and how it ends: `exitCode` 0 done, 1 chain broken on arrival, 2 refused or bad input. */
export interface StoreMigrateOutcome {
  readonly lines: readonly string[];
  readonly error?: string | undefined;
  readonly exitCode: 0 | 1 | 2;
}

/**
 * `changeguard store migrate --to URI`: the embedded SQLite store (the file of DATA_DIR, or
 * `--from`) copied into a MongoDB database, then its audit chain verified there. The stores
 * are loaded lazily: an embedded install never loads the MongoDB driver for other commands.
 */
export async function runStoreMigrate(options: StoreMigrateOptions, now: () => Date): Promise<StoreMigrateOutcome> {
  if (!/^mongodb(\+srv)?:\/\//.test(options.to)) {
    return { lines: [], error: `--to: expected a mongodb:// or mongodb+srv:// connection string, got "${redact(options.to)}"`, exitCode: 2 };
  }
  const from = resolve(options.from);
  if (!existsSync(from)) return { lines: [], error: `--from: no SQLite store at ${from} (set DATA_DIR, or name the file with --from)`, exitCode: 2 };
  const [{ SqliteStore }, { MongoStore }, migration] = await Promise.all([
    import('../store/sqlite/sqliteStore.js'),
    import('../store/mongo/mongoStore.js'),
    import('../store/migration/migrateSqliteToMongo.js'),
  ]);
  const source = SqliteStore.open(from);
  try {
    let target: Awaited<ReturnType<typeof MongoStore.connect>>;
    try {
      target = await MongoStore.connect(options.to);
    } catch (error) {
      return { lines: [], error: `cannot reach the target ${redact(options.to)}: ${firstLine(error)}`, exitCode: 2 };
    }
    try {
      const report = await migration.migrateSqliteToMongo(source, target, {
        force: options.force,
        recordingsDir: migration.recordingsBeside(from),
        sourceName: from,
        now,
      });
      return describe(report, from, redact(options.to));
    } catch (error) {
      if (error instanceof migration.MigrationRefused) return { lines: [], error: error.message, exitCode: 2 };
      return { lines: [], error: `the migration stopped: ${firstLine(error)}; rerun it: what was copied is kept, the rest follows`, exitCode: 2 };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

function describe(report: MigrationReport, from: string, to: string): StoreMigrateOutcome {
  const lines = report.counts.map((c) => `${c.kind}: ${c.copied} copied, ${c.unchanged} already there${c.replaced > 0 ? `, ${c.replaced} replaced (--force)` : ''}`);
  if (!report.chain.ok) {
    return { lines, error: `audit chain broken on arrival at record ${report.chain.firstBad} (${report.chain.problem}): ${report.chain.message}`, exitCode: 1 };
  }
  const head = report.sourceHead ? `, head ${report.sourceHead.seq} ${report.sourceHead.hash}` : '';
  lines.push(`audit chain verified on arrival: ${report.chain.count} records${head}`);
  lines.push(`done: ${from} copied to ${to}; set MONGODB_URI to it on every node`);
  return { lines, exitCode: 0 };
}

/** A connection string without its password, for messages and logs. */
export function redact(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)([^:@/]+):([^@/]*)@/, '$1$2:***@');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
