import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { runCliProcess } from '../../support/runCliProcess.js';

/**
 * Evidence that resists rewinding: someone with write access to the SQLite file cuts the last
 * records and rewinds the stored head to match. The chain alone still verifies; a head
 * anchored outside the store (`--expect-head`, from the audit channel, a report or an export)
 * does not. And a column kept beside the hashed document (`actor`, used by searches) cannot be
 * edited unseen.
 */
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-anchor-'));
  writeFileSync(join(dir, 'policy.yml'), EXAMPLE_POLICY_YAML);
  env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: '' };
  expect((await runCliProcess(['policy', 'import', join(dir, 'policy.yml')], { env })).code).toBe(0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function openFile(): Database.Database {
  const db = new Database(join(dir, 'data', 'changeguard.db'));
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  return db;
}

async function verify(...args: string[]) {
  const result = await runCliProcess(['audit', 'verify', '--json', ...args], { env });
  return { code: result.code, result: JSON.parse(result.stdout) as Record<string, unknown>, stderr: result.stderr };
}

describe('changeguard audit verify --expect-head', () => {
  it('detects a cut tail whose stored head was rewound to match, which the chain alone cannot', async () => {
    const before = await verify();
    expect(before).toMatchObject({ code: 0, result: { ok: true, count: 12 } });
    const anchor = `${(before.result.head as { seq: number }).seq}:${(before.result.head as { hash: string }).hash}`;
    expect(await verify('--expect-head', anchor)).toMatchObject({ code: 0, result: { ok: true } });

    const db = openFile();
    const kept = db.prepare('SELECT seq, doc FROM audit_records WHERE seq = 9').get() as { seq: number; doc: string };
    db.prepare('DELETE FROM audit_records WHERE seq > 9').run();
    db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(kept.seq, (JSON.parse(kept.doc) as { hash: string }).hash);
    db.close();

    // The rewound store is consistent with itself...
    expect(await verify()).toMatchObject({ code: 0, result: { ok: true, count: 9 } });
    // ...but not with the head kept outside it.
    const anchored = await verify('--expect-head', anchor);
    expect(anchored).toMatchObject({ code: 1, result: { ok: false, firstBad: 10, problem: 'truncated' } });
    expect(anchored.result.message).toBe(`records 10..12 are missing: the trail ends at record 9 but its head was anchored at ${anchor}`);
  });

  it('detects a trail rewritten from the anchored record on', async () => {
    const before = await verify();
    const head = before.result.head as { seq: number; hash: string };
    const forged = `${head.seq}:${'0'.repeat(64)}`;
    expect(await verify('--expect-head', forged)).toMatchObject({ code: 1, result: { ok: false, firstBad: head.seq, problem: 'edited' } });
  });

  it('refuses an anchor that is not SEQ:HASH', async () => {
    const result = await runCliProcess(['audit', 'verify', '--expect-head', '12:abc'], { env });
    expect(result).toMatchObject({ code: 2, stderr: 'changeguard: --expect-head: expected SEQ:HASH (a record number, a colon, 64 hex digits), got "12:abc"\n' });
  });
});

describe('changeguard audit verify, stored columns', () => {
  it('checks every column kept beside the hashed record: an edited actor column is caught', async () => {
    const db = openFile();
    db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 4").run();
    db.close();
    const result = await verify();
    expect(result).toMatchObject({ code: 1, result: { ok: false, firstBad: 4, problem: 'edited', message: 'record 4 was altered: its stored actor differs from its hashed content' } });
  });
});
