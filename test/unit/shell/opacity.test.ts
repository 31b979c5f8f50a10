import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellParser } from '../../../src/domain/shell/shellParser.js';
import { sharedParser } from '../../support/sharedParser.js';

let parser: ShellParser;
beforeAll(async () => {
  parser = await sharedParser();
});

const opaqueReasons = (line: string) => parser.parse(line).commands.filter((c) => c.opaque).map((c) => c.opaqueReason);
const tampering = (line: string) => parser.parse(line).commands.filter((c) => c.tampering !== undefined).map((c) => c.tampering);

describe('code changeguard cannot read is opaque', () => {
  it.each([
    ["python3 -c 'import os'", /python3 runs code/],
    ['perl -e "unlink q(x)"', /perl runs code/],
    ['node', /node runs code/],
    ["awk 'BEGIN{system(\"id\")}'", /system, pipes/],
    ["awk '{ print | \"sh\" }' f", /system, pipes/],
    ['awk -f prog.awk f', /-f runs a program file/],
    ["sed 's/x/id/e' f", /sed script runs shell commands/],
    ["sed -e '1e id' f", /sed script runs shell commands/],
    ['sed -f script.sed f', /sed -f/],
    ['bash deploy.sh', /deploy\.sh is a script/],
    ['sh', /interactive shell/],
    ['exec sh', /interactive shell/],
    ['env -i bash', /interactive shell/],
    ['script -c id /dev/null', /starts a session/],
    ['tmux', /starts a session/],
    ['vim /etc/hosts', /shell escape/],
    ['less /var/log/syslog', /shell escape/],
    ['man bash', /shell escape/],
    ['crontab -e', /installs commands that run later/],
    ['git commit', /opens an editor/],
    ['git -c core.pager=sh log', /git -c/],
    ['tar --to-command=sh -xf a.tar', /runs a program named in its options/],
    ['systemctl edit nginx', /opens an editor/],
    ['./run.sh', /not a system program/],
    ['/tmp/bin/ls', /not a system program/],
    ['~/bin/tool', /not a system program/],
    ['fc -s', /shell escape/],
    ['hash -p /tmp/x ls', /hash -p/],
    ['source env.sh', /source runs a file/],
    ['. ./env.sh', /runs a file/],
    ['eval "$CMD"', /computed/],
    ['coproc cat', /coproc/],
    ['LD_PRELOAD=/tmp/x.so ls', /LD_PRELOAD/],
    ['export BASH_ENV=/tmp/x', /BASH_ENV/],
    ["env 'BASH_FUNC_ls%%=() { id; }' bash -c ls", /BASH_FUNC_ls%%/],
    ['PATH=/tmp:$PATH ls', /PATH/],
    ["PS4='$(id)'", /PS4 runs the commands/],
    ['declare "$name=1"', /variable name computed/],
    ['printf -v "$n" %s x', /variable name computed/],
    ['cp /bin/rm /usr/local/bin/del', /writes into \/usr\/local\/bin/],
    ['ln -s /bin/rm /usr/bin/del', /writes into \/usr\/bin/],
    ['echo x > /usr/local/bin/tool', /writes into \/usr\/local\/bin/],
    ['find . | xargs env', /runs a program named on its input/],
    ['find . -exec {} \\;', /chosen when it runs/],
    ["bash -c 'x=\"a[$(id)]\"; echo $((x))'", /evaluates values as code/],
    ['sudo -s', /interactive shell/],
    ['su', /interactive shell/],
    ['parallel rm ::: a b', /parallel builds the commands/],
    ["sudo bash -c 'trap - DEBUG; id'", /evaluates values as code/],
    // Found by the attack corpus (test/integration/proxy/bypassCorpus.integration.test.ts).
    ['awk "$p"', /awk program is computed/],
    ['awk -W exec p.awk', /-W exec/],
    ["sed '/a/e touch x'", /sed script runs shell commands/],
    ["sed '0~1e touch x'", /sed script runs shell commands/],
    ["sed '/a;b/e touch x'", /sed script runs shell commands/],
    ["sed '\\%a%e touch x'", /sed script runs shell commands/],
    ['sed "$s" f', /sed program is computed/],
    ["sed -i \"s/a/$b/\" f", /sed program is computed/],
    ['make -f mk', /make runs code from files/],
    ['prove ./t.t', /prove runs code/],
    ['pydoc3 -w ./evil.py', /pydoc3 runs code/],
    ['npm run x', /npm run runs package scripts/],
    ['run-parts /etc/cron.daily', /run-parts runs code/],
    ['git -C r x', /alias or an external git-x/],
    ['gcc -wrapper /tmp/x -c c.c', /told to run another program/],
    ['editor', /can run commands from inside itself/],
    ['vim.basic f', /can run commands from inside itself/],
    ['pager /etc/hostname', /can run commands from inside itself/],
    ['unset LESSSECURE', /LESSSECURE/],
    ['SHELL=/tmp/x flock /tmp/l -c :', /SHELL/],
    ['TAR_OPTIONS=--to-command=/tmp/x tar xf a.tar', /TAR_OPTIONS/],
    ["tar xf a.tar --to-comm='id'", /runs a program named in its options/],
    ["tar cf a.tar --checkpoint-act=exec='id' d", /runs a program named in its options/],
    ["strace -o '|id' true", /strace -o \|command/],
    ["split --filter='id'", /--filter/],
    ['sort --compress-program=/tmp/x f', /--compress-program/],
    ["scp -o 'ProxyCommand=id' f h:x", /option that runs a command/],
    ['scp -S /tmp/x f h:x', /-S/],
    ['sftp -S /tmp/x h', /-S/],
    ["echo 'id' | xargs -I{} sh -c '{}'", /xargs -I puts its input/],
    ["trap 'echo $((x))' EXIT", /evaluates values as code/],
    ['read -r PATH', /PATH/],
    ["read -r PS4 <<< 'x'", /PS4/],
    ['printf -v LD_PRELOAD %s /x.so', /LD_PRELOAD/],
    ['for PATH in /tmp; do :; done', /PATH/],
    [': ${PATH:=/tmp}', /PATH/],
    ['declare -n r=PATH', /nameref/],
    ['export -f f', /functions to child shells/],
    ["printf 'id\\n' > ~/.ssh/rc", /run later/],
    ["echo id >> ~/.bashrc", /run later/],
    ['cp x .git/hooks/pre-commit', /run later/],
    ['ln -s /etc/cron.d /tmp/c', /run later/],
    ['ln -s r/.git/hooks h', /run later/],
    ['ln -s /etc/cron.d', /run later/],
    ['mv hooks-dir r/.git/hooks', /run later/],
    ['capsh --', /interactive shell/],
  ])('%s', (line, reason) => {
    const reasons = opaqueReasons(line);
    expect(reasons.length, JSON.stringify(parser.parse(line).commands)).toBeGreaterThan(0);
    expect(reasons.join(' | ')).toMatch(reason);
  });

  it.each([
    "awk '{print $1}' /etc/passwd",
    "sed -n 's/a/b/p' f",
    'python3 --version',
    'git status',
    'git log -p',
    "git commit -m 'msg'",
    'tar czf a.tgz dir',
    'rsync -a src/ dst/',
    "bash -c 'cd /srv && ls -la'",
    "sed -i 's/a/b/' \"$f\"",
    "awk -v x=\"$y\" '{print x}' \"$f\"",
    'git -C repo status',
    'npm ls',
    'read -r a b',
    'stty size',
    "echo a | sed -n '/x/p;$p'",
    'echo hi >> /tmp/notes',
    "sudo sh -c 'echo 1 > /proc/sys/vm/drop_caches'",
    '/usr/bin/ls /tmp',
    'cp a /tmp/b',
    'export LANG=C',
    "PS1='\\u@\\h$ '",
    'IFS=, read -r a b <<< "x,y"',
    'while IFS= read -r line; do echo "$line"; done < f',
  ])('is not fooled into opacity by %s', (line) => {
    expect(opaqueReasons(line)).toEqual([]);
  });
});

describe('lines that would switch off the check are tampering', () => {
  it.each([
    ['trap - DEBUG', /DEBUG/],
    ["trap 'true' DEBUG", /DEBUG/],
    ['trap "" RETURN', /RETURN/],
    ['set +T', /set \+T/],
    ['set +o functrace', /functrace/],
    ['shopt -u extdebug', /extdebug/],
    ['shopt -s expand_aliases', /expand_aliases/],
    ['enable -n read', /enable/],
    ['enable -f /tmp/x.so x', /enable/],
    ["bind -x '\"\\C-t\": id'", /bind/],
    ['unset BASH_COMMAND', /BASH_COMMAND/],
    ['declare -a BASH_SOURCE=()', /BASH_SOURCE/],
    ['f() { local BASH_SOURCE; }', /BASH_SOURCE/],
    ['echo $__cg_n', /__cg_/],
    ['__cg_int=0', /__cg_/],
    ['builtin() { :; }', /builtin/],
    ['function printf { :; }', /printf/],
    ['/usr/bin/touch() { :; }', /in place of that program/],
    ['unset SRANDOM', /SRANDOM/],
    ['SRANDOM=1234', /SRANDOM/],
    ['TMOUT=1', /TMOUT/],
    ['stty olcuc', /olcuc/],
    ['stty raw', /raw/],
  ])('%s', (line, reason) => {
    expect(tampering(line).join(' | ')).toMatch(reason);
  });

  it.each(['trap "rm -f /tmp/x" EXIT', 'set -e', 'shopt -s nullglob', 'unset x', 'f() { echo hi; }', 'trap -p'])('leaves %s alone', (line) => {
    expect(tampering(line)).toEqual([]);
  });

  it('judges the code of a trap like any command', () => {
    expect(parser.parse("trap 'rm -rf /tmp/x' EXIT").commands.map((c) => c.text)).toContain('rm -rf /tmp/x');
  });
});

describe('a line that goes on', () => {
  it.each(['for i in 1; do', 'echo "abc', 'cat <<EOF\nline', 'echo a |', 'if true; then', 'f() {', 'case x in', 'echo a \\', '{ echo a;', 'while true'])(
    '%j asks for more',
    (text) => {
      expect(parser.continues(text)).toBe(true);
    },
  );
  it.each(['ls -la', 'echo )', 'cat <<EOF\nline\nEOF', "echo 'a' \"b\"", 'echo ok; fi'])('%j is complete (or wrong) as it is', (text) => {
    expect(parser.continues(text)).toBe(false);
  });
});
