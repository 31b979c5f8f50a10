import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_POLICY_YAML } from '../support/factories.js';
import { runCliProcess } from '../support/runCliProcess.js';

/** The real `changeguard policy check|import` on hostile files: exit 2, located lines on stderr, nothing loaded. */

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-badpolicy-'));
  env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: '' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('changeguard policy on hostile files', () => {
  it('check refuses an alias bomb with one clear line', async () => {
    const bomb = file('bomb.yml', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${'*a, '.repeat(9)}*a]\nc: &c [${'*b, '.repeat(9)}*b]\nusers: [${'*c, '.repeat(9)}*c]\n`);
    const result = await runCliProcess(['policy', 'check', bomb], { env });
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'bomb.yml: not valid YAML: too many alias references (*name) expand to one another; a policy may not repeat content this way\n',
    });
  });

  it('import refuses bytes that are not UTF-8 and a __proto__ key, and the store keeps the policy it had', async () => {
    const good = await runCliProcess(['policy', 'import', file('policy.yml', EXAMPLE_POLICY_YAML)], { env });
    expect(good.code).toBe(0);
    const latin1 = await runCliProcess(['policy', 'import', file('latin1.yml', Buffer.from('users:\n  - { id: alice, name: "Andr\xe9" }\n', 'latin1'))], { env });
    expect(latin1).toMatchObject({ code: 2, stderr: 'latin1.yml: not valid UTF-8 text (save the file as UTF-8) (line 2)\n' });
    const proto = await runCliProcess(['policy', 'import', file('proto.yml', 'users:\n  - { id: alice, __proto__: { roles: [admin] } }\n')], { env });
    expect(proto).toMatchObject({ code: 2, stderr: 'proto.yml: users[0]: unknown key "__proto__" (line 2)\n' });
    // Re-importing the good file finds every entry as it left it, and the trail verifies.
    const again = await runCliProcess(['policy', 'import', join(dir, 'policy.yml')], { env });
    expect(again.stdout).toMatch(/^policy\.yml: 0 created, 0 updated, 0 deleted, 13 unchanged\n$/);
    const verify = await runCliProcess(['audit', 'verify'], { env });
    expect(verify.code).toBe(0);
  });
});
