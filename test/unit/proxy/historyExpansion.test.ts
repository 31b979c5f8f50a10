import { describe, expect, it } from 'vitest';
import { expandHistory } from '../../../src/proxy/prompt/historyExpansion.js';

const history = ['ls -la /var/log', 'systemctl status nginx', "grep 'a b' /etc/hosts", 'touch /tmp/one /tmp/two'];

describe('history expansion, on changeguard\'s own history', () => {
  it.each([
    ['sudo !!', 'sudo touch /tmp/one /tmp/two'],
    ['!-3', 'systemctl status nginx'],
    ['!2', 'systemctl status nginx'],
    ['!sys', 'systemctl status nginx'],
    ['!?hosts?', "grep 'a b' /etc/hosts"],
    ['cat !$', 'cat /tmp/two'],
    ['echo !^', 'echo /tmp/one'],
    ['echo !*', 'echo /tmp/one /tmp/two'],
    ['echo !grep:1', "echo 'a b'"],
    ['echo !grep:1-2', "echo 'a b' /etc/hosts"],
    ['echo !!:0', 'echo touch'],
    ['^two^three', 'touch /tmp/one /tmp/three'],
    ['!:1-2', '/tmp/one /tmp/two'],
    ['echo !:0', 'echo touch'],
    ['!!:s/touch/ls/', 'ls /tmp/one /tmp/two'],
    ['!!:gs/one/uno/:s/two/dos', 'touch /tmp/uno /tmp/dos'],
    ['echo !$:h', 'echo /tmp'],
    ['echo !$:t', 'echo two'],
  ])('%s is %s', (line, expected) => {
    expect(expandHistory(line, history)).toEqual({ ok: true, line: expected, expanded: true });
  });

  it.each(["echo 'no !! here'", 'echo \\!!', 'echo ! x', 'a != b', 'echo hi!', '[[ ! -f x ]]', 'echo "x!"', 'echo ${!x}', 'echo ${!prefix*}'])('leaves %s alone', (line) => {
    expect(expandHistory(line, history)).toEqual({ ok: true, line, expanded: false });
  });

  it('refuses an event that does not exist, as bash does', () => {
    expect(expandHistory('!nope', history)).toEqual({ ok: false, error: '!nope: event not found' });
    expect(expandHistory('!!', [])).toMatchObject({ ok: false });
    expect(expandHistory('echo !ls:9', history)).toMatchObject({ ok: false, error: '9: bad word specifier' });
    expect(expandHistory('!!:s/absent/x/', history)).toMatchObject({ ok: false, error: ':sabsent: substitution failed' });
    expect(expandHistory('!!:p', history)).toMatchObject({ ok: false });
  });
});
