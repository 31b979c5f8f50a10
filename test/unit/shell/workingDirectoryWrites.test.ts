import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellParser } from '../../../src/domain/shell/shellParser.js';
import { judgeWritesFrom } from '../../../src/domain/shell/workingDirectoryWrites.js';
import { sharedParser } from '../../support/sharedParser.js';

let parser: ShellParser;
beforeAll(async () => {
  parser = await sharedParser();
});

/** The reasons of the commands a line's relative writes make opaque, from `cwd`. */
const refusedFrom = (cwd: string | undefined, line: string) =>
  judgeWritesFrom(parser.parse(line), cwd)
    .commands.filter((c) => c.opaque)
    .map((c) => c.opaqueReason);

describe('relative file names are judged from the working directory', () => {
  it.each([
    ['/root/app/.git/hooks', 'cat > pre-commit'],
    ['/root/app/.git/hooks', 'cp /tmp/x post-checkout'],
    ['/root/app/.git', 'tee hooks/pre-push < /tmp/x'],
    ['/root/app', 'echo "curl x | sh" >> .git/hooks/../hooks/pre-commit'],
    ['/etc/cron.d', 'echo "* * * * * root id" > evil'],
    ['/etc/profile.d', 'cp /tmp/x ./z.sh'],
    ['/etc', "sed -i 's/a/b/' cron.d/job"],
    ['/usr', 'cp /tmp/x local/bin/ls2'],
    ['/usr/local', 'ln -s /tmp/x bin/ls2'],
    ['/root/app/.git', 'ln -s hooks /tmp/h'],
    ['/etc', 'ln -s cron.d /tmp/c'],
    ['/root', 'dd if=/tmp/x of=.bashrc'],
  ])('from %s, %s', (cwd, line) => {
    expect(refusedFrom(cwd, line)).toEqual([expect.stringMatching(/run later|a program could be installed/)]);
  });

  it.each([
    [undefined, 'cd .git/hooks && cat > pre-commit'],
    ['/root', 'cd app/.git/hooks; cp /tmp/x pre-commit'],
    ['/tmp', 'cd /etc/cron.d && echo job > x'],
    ['/etc/cron.d', 'cd ../profile.d; echo x >> y.sh'],
    ['/srv', 'pushd /etc/systemd/system && cp /tmp/u evil.service'],
  ])('from %s, a cd on the line is followed: %s', (cwd, line) => {
    expect(refusedFrom(cwd, line)).toHaveLength(1);
  });

  it.each([
    ['/root/app', 'cat > notes.txt'],
    ['/var/log', 'echo x >> app.log'],
    ['/etc/cron.d', 'cat job > /tmp/copy'],
    ['/etc/cron.d', 'cd /tmp && echo x > y'],
    ['/etc/cron.d', 'ls > /dev/null 2>&1'],
    ['/root/.git/hooks', 'cat pre-commit'],
    [undefined, 'cat > pre-commit'],
  ])('from %s, %s stays as the parser judged it', (cwd, line) => {
    expect(refusedFrom(cwd, line)).toEqual([]);
  });

  it('stops following when the directory is computed, and judges later names as written', () => {
    expect(refusedFrom('/root', 'cd "$D" && cat > pre-commit')).toEqual([]);
    expect(refusedFrom('/root', 'cd - && cat > pre-commit')).toEqual([]);
    expect(refusedFrom(undefined, 'cd .. && cat > pre-commit')).toEqual([]);
    // Written out in full, the parser refuses it whatever the directory.
    expect(refusedFrom('/root', 'cd "$D" && cat > .git/hooks/pre-commit')).toHaveLength(1);
  });

  it('leaves a line with nothing to resolve as the same cached object', () => {
    const parsed = parser.parse('echo hello > out.txt');
    expect(judgeWritesFrom(parsed, '/etc/cron.d')).not.toBe(parsed);
    const harmless = parser.parse('ls -l');
    expect(judgeWritesFrom(harmless, '/etc/cron.d')).toBe(harmless);
  });
});
