import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH, ShellParser } from '../../../src/domain/shell/shellParser.js';

let parser: ShellParser;

beforeAll(async () => {
  parser = await ShellParser.load();
});

const texts = (line: string): string[] => parser.parse(line).commands.map((c) => c.text);
/** `text` with a marker: `W:` wrapper, `O:` opaque. */
const marked = (line: string): string[] =>
  parser.parse(line).commands.map((c) => (c.opaque ? 'O:' : c.wrapper ? 'W:' : '') + c.text);

describe('splitting a line into simple commands', () => {
  it.each([
    ['ls -la; cd /tmp && rm -rf x || echo fail', ['ls -la', 'cd /tmp', 'rm -rf x', 'echo fail']],
    ['sleep 10 & rm x', ['sleep 10', 'rm x']],
    ['a\nb\n\nc', ['a', 'b', 'c']],
    ['cat /etc/passwd | grep root | wc -l', ['cat /etc/passwd', 'grep root', 'wc -l']],
    ['make 2>&1 |& tee log', ['make 2>&1', 'tee log']],
    ['(cd /; rm -rf x) && { echo a; echo b; }', ['cd /', 'rm -rf x', 'echo a', 'echo b']],
  ])('%j', (line, expected) => {
    expect(texts(line)).toEqual(expected);
  });

  it.each([
    ['echo $(rm -rf /)', ['rm -rf /', 'echo $(rm -rf /)']],
    ['echo `id -u` "$(whoami)"', ['id -u', 'whoami', 'echo `id -u` $(whoami)']],
    ['echo $(echo $(rm x))', ['rm x', 'echo $(rm x)', 'echo $(echo $(rm x))']],
    ['diff <(ls a) >(cat)', ['ls a', 'cat', 'diff <(ls a) >(cat)']],
    ['X=$(rm x)', ['rm x']],
    ['local d=$(mktemp -d)', ['mktemp -d', 'local d=$(mktemp -d)']],
    ['cat > $(mktemp)', ['mktemp', 'cat >$(mktemp)']],
  ])('substitutions run first and are commands: %j', (line, expected) => {
    expect(texts(line)).toEqual(expected);
  });

  it.each([
    ['for f in $(ls); do rm "$f"; done', ['ls', 'rm $f']],
    ['for ((i=0;i<3;i++)); do touch $i; done', ['touch $i']],
    ['while pgrep x; do sleep 1; done', ['pgrep x', 'sleep 1']],
    ['until ping -c1 h; do sleep 1; done', ['ping -c1 h', 'sleep 1']],
    ['if test -f x; then rm x; elif [ -d x ]; then rmdir x; else echo no; fi', ['test -f x', 'rm x', 'rmdir x', 'echo no']],
    // `[ ]` and `[[ ]]` are test expressions to tree-sitter, not commands; what they expand still runs.
    ['[[ -f x ]] && rm x', ['rm x']],
    ['[ "$(id -u)" = 0 ] || exit 1', ['id -u', 'exit 1']],
    ['case $1 in start) systemctl start a;; stop|halt) systemctl stop a ;; esac', ['systemctl start a', 'systemctl stop a']],
    ['f() { rm -rf "$1"; }; f /', ['rm -rf $1', 'f /']],
    ['function g { shutdown -h now; }', ['shutdown -h now']],
    ['select x in a b; do echo $x; done', ['echo $x']],
  ])('loops, conditionals and functions: %j', (line, expected) => {
    expect(texts(line)).toEqual(expected);
  });
});

describe('normalising words', () => {
  it.each([
    ["r''m -rf /", 'rm', ['-rf', '/']],
    ['\\rm -rf /', 'rm', ['-rf', '/']],
    ['"rm" -rf /', 'rm', ['-rf', '/']],
    ["'/bin/rm' x", 'rm', ['x']],
    ['/usr/bin/rm x', 'rm', ['x']],
    ["$'\\x72m' x", 'rm', ['x']],
    ["$'\\162\\155' x", 'rm', ['x']],
    ['"r"m x', 'rm', ['x']],
    ['r\\m x', 'rm', ['x']],
    ['rm \\\n  -rf x', 'rm', ['-rf', 'x']],
    ["echo 'a  b' \"c\\\"d\" e\\ f", 'echo', ['a  b', 'c"d', 'e f']],
    ['echo "a\\b" \'$HOME\'', 'echo', ['a\\b', '$HOME']],
    ['echo $"translated"', 'echo', ['translated']],
    ['rm $DIR "${FILES[@]}" ~/x *.log', 'rm', ['$DIR', '${FILES[@]}', '~/x', '*.log']],
    ['r\\*m x', 'r*m', ['x']],
  ])('%j -> %s %j', (line, program, args) => {
    const [command, ...rest] = parser.parse(line).commands;
    expect(rest).toEqual([]);
    expect(command).toMatchObject({ program, args, wrapper: false, opaque: false });
  });

  it.each([
    ['FOO=1 rm x', ['rm x']],
    ['A=1 B="x y" C=$(date) /usr/bin/run', ['date', 'run']],
    ['A=1', []],
    ['A=1 B=2; x=(a b)', []],
    ['! rm x', ['rm x']],
    ['export A=1 B', ['export A=1 B']],
    ['declare -x LANG="C.$LC"', ['declare -x LANG=C.$LC']],
    ['readonly R=1; unset R', ['readonly R=1', 'unset R']],
    ['rm x # rm -rf /', ['rm x']],
    ['# just a comment', []],
    ['', []],
    ['   \n\t ', []],
  ])('assignments, declarations, negation, comments: %j', (line, expected) => {
    const parsed = parser.parse(line);
    expect(parsed.commands.map((c) => c.text)).toEqual(expected);
    expect(parsed.opaque).toBe(false);
    expect(parsed.parseError).toBeUndefined();
  });

  it.each([
    ['echo x >/etc/passwd', ['echo x >/etc/passwd']],
    ['echo x > "/etc/passwd"', ['echo x >/etc/passwd']],
    ['cmd >>log 2>/dev/null </dev/null', ['cmd >>log 2>/dev/null </dev/null']],
    ['cmd 2>&1 >out', ['cmd 2>&1 >out']],
    ['rm x &>/dev/null', ['rm x &>/dev/null']],
    ['rm >out a b', ['rm a b >out']],
    ['cat <<EOF >/etc/motd\nhello\nEOF', ['cat <<EOF >/etc/motd']],
    ["cat <<'EOF'\n$(rm x)\nEOF", ['cat <<EOF']],
    // An unquoted heredoc expands its substitutions; a quoted one (above) does not.
    ['cat <<EOF\n$(rm x)\nEOF', ['rm x', 'cat <<EOF']],
    ['grep x <<< "a b"', ['grep x <<<a b']],
    ['exec 3>&1', ['exec 3>&1']],
    ['> /etc/passwd', []],
    ['{ rm x; } > log', ['rm x']],
  ])('redirections are appended to the text: %j', (line, expected) => {
    expect(texts(line)).toEqual(expected);
  });
});

describe('wrappers', () => {
  it.each([
    ['sudo rm -rf /', ['W:sudo rm -rf /', 'rm -rf /']],
    ['sudo -u root -g wheel -E -H -n -- rm x', ['W:sudo -u root -g wheel -E -H -n -- rm x', 'rm x']],
    ['sudo -uroot -i rm x', ['W:sudo -uroot -i rm x', 'rm x']],
    ['sudo --user=root FOO=1 rm x', ['W:sudo --user=root FOO=1 rm x', 'rm x']],
    ['/usr/bin/sudo /bin/rm x', ['W:sudo /bin/rm x', 'rm x']],
    ['env -i -u HOME LANG=C rm x', ['W:env -i -u HOME LANG=C rm x', 'rm x']],
    ['env - A=1 rm x', ['W:env - A=1 rm x', 'rm x']],
    ["env -S 'rm -rf /'", ['W:env -S rm -rf /', 'rm -rf /']],
    ['nice -n 10 rm x', ['W:nice -n 10 rm x', 'rm x']],
    ['nice -10 rm x', ['W:nice -10 rm x', 'rm x']],
    ['nohup rm x &', ['W:nohup rm x', 'rm x']],
    ['timeout 5 rm x', ['W:timeout 5 rm x', 'rm x']],
    ['timeout -k 1 -s KILL --preserve-status 5s rm x', ['W:timeout -k 1 -s KILL --preserve-status 5s rm x', 'rm x']],
    ['time rm x', ['W:time rm x', 'rm x']],
    ['time -p rm x', ['W:time -p rm x', 'rm x']],
    ['command rm x', ['W:command rm x', 'rm x']],
    ['command -p rm x', ['W:command -p rm x', 'rm x']],
    ['exec rm x', ['W:exec rm x', 'rm x']],
    ['exec -a name -c -l rm x', ['W:exec -a name -c -l rm x', 'rm x']],
    ['xargs rm', ['W:xargs rm', 'rm']],
    ['find . | xargs -0 -n 1 -P 4 -I {} rm -f {}', ['find .', 'W:xargs -0 -n 1 -P 4 -I {} rm -f {}', 'rm -f {}']],
    ['xargs -d "\\n" -i{} rm {}', ['W:xargs -d \\n -i{} rm {}', 'rm {}']],
    ['doas -u root rm x', ['W:doas -u root rm x', 'rm x']],
    ['stdbuf -oL tail -f log', ['W:stdbuf -oL tail -f log', 'tail -f log']],
    ['busybox rm x', ['W:busybox rm x', 'rm x']],
    ['chroot /mnt rm -rf /', ['W:chroot /mnt rm -rf /', 'rm -rf /']],
  ])('%j', (line, expected) => {
    expect(marked(line)).toEqual(expected);
  });

  it('unwraps nested wrappers, each emitted before what it runs', () => {
    expect(marked('sudo env FOO=1 nice -n 5 rm -rf /')).toEqual([
      'W:sudo env FOO=1 nice -n 5 rm -rf /',
      'W:env FOO=1 nice -n 5 rm -rf /',
      'W:nice -n 5 rm -rf /',
      'rm -rf /',
    ]);
    const [, , , rm] = parser.parse('sudo env FOO=1 nice -n 5 rm -rf /').commands;
    expect(rm).toEqual({ program: 'rm', args: ['-rf', '/'], text: 'rm -rf /', wrapper: false, opaque: false });
  });

  it('gives a wrapper\'s redirections to what it runs too', () => {
    expect(marked('sudo tee /etc/x >/dev/null')).toEqual(['W:sudo tee /etc/x >/dev/null', 'tee /etc/x >/dev/null']);
  });

  it.each([
    ['sudo -l', ['sudo -l']],
    ['sudo -v', ['sudo -v']],
    ['command -v rm', ['command -v rm']],
    ['command -V rm', ['command -V rm']],
    ['env', ['env']],
    ['env -i', ['env -i']],
    ['nice', ['nice']],
    ['xargs -n1', ['xargs -n1']],
    ['exec 2>/dev/null', ['exec 2>/dev/null']],
    ['time', ['time']],
    ['find / -name core -delete', ['find / -name core -delete']],
  ])('does not treat %j as wrapping anything', (line, expected) => {
    expect(marked(line)).toEqual(expected);
  });

  it.each([
    ["sh -c 'rm -rf /'", ['W:sh -c rm -rf /', 'rm -rf /']],
    ['bash -c "cd /tmp && rm -rf x"', ['W:bash -c cd /tmp && rm -rf x', 'cd /tmp', 'rm -rf x']],
    ["bash -lc 'systemctl stop apache2'", ['W:bash -lc systemctl stop apache2', 'systemctl stop apache2']],
    ["bash -o pipefail -e -c 'a | b' name arg", ['W:bash -o pipefail -e -c a | b name arg', 'a', 'b']],
    ["dash -c 'r''m x'", ['W:dash -c rm x', 'rm x']],
    ["zsh -c 'x'; ksh -c 'y'", ['W:zsh -c x', 'x', 'W:ksh -c y', 'y']],
    ['sudo bash -c "echo \\"a b\\" > /etc/x"', ['W:sudo bash -c echo "a b" > /etc/x', 'W:bash -c echo "a b" > /etc/x', 'echo a b >/etc/x']],
    ["su - root -c 'rm x'", ['W:su - root -c rm x', 'rm x']],
    ['eval "rm -rf" /', ['W:eval rm -rf /', 'rm -rf /']],
    ["eval 'a;' b", ['W:eval a; b', 'a', 'b']],
    ["watch -n 5 'df -h | grep sda'", ['W:watch -n 5 df -h | grep sda', 'df -h', 'grep sda']],
    ['xargs sh -c \'rm "$1"\' _', ['W:xargs sh -c rm "$1" _', 'W:sh -c rm "$1" _', 'rm $1']],
  ])('parses the string given to a shell or eval: %j', (line, expected) => {
    expect(marked(line)).toEqual(expected);
  });

  it.each([
    ['find . -name "*.tmp" -exec rm -f {} \\;', ['W:find . -name *.tmp -exec rm -f {} ;', 'rm -f {}']],
    ['find . -execdir chmod 600 {} + -ok rm {} \';\'', ['W:find . -execdir chmod 600 {} + -ok rm {} ;', 'chmod 600 {}', 'rm {}']],
    ["find / -exec sh -c 'rm \"$1\"' _ {} \\;", ['W:find / -exec sh -c rm "$1" _ {} ;', 'W:sh -c rm "$1" _ {}', 'rm $1']],
  ])('treats find -exec as a wrapper: %j', (line, expected) => {
    expect(marked(line)).toEqual(expected);
  });

  it('bounds the unwrapping depth', () => {
    const nested = `${'nice '.repeat(MAX_DEPTH + 3)}rm x`;
    const commands = parser.parse(nested).commands;
    expect(commands).toHaveLength(MAX_DEPTH + 2);
    expect(commands.slice(0, MAX_DEPTH + 1).every((c) => c.wrapper && c.program === 'nice')).toBe(true);
    expect(commands[MAX_DEPTH + 1]).toMatchObject({ program: '', opaque: true, text: 'nice nice rm x' });
    expect(parser.parse(nested).opaque).toBe(true);

    const evals = parser.parse(`${'eval '.repeat(MAX_DEPTH + 3)}rm x`);
    expect(evals.commands.filter((c) => c.wrapper)).toHaveLength(MAX_DEPTH + 1);
    expect(evals.commands.at(-1)).toMatchObject({ opaque: true, text: 'eval eval rm x' });

    const shells = parser.parse("sh -c 'sh -c \"rm x\"'");
    expect(shells.commands.map((c) => c.text)).toEqual(['sh -c sh -c "rm x"', 'sh -c rm x', 'rm x']);
    expect(shells.opaque).toBe(false);
  });
});

describe('opaque commands', () => {
  it.each([
    ['$X -rf /', ['O:$X -rf /']],
    ['${CMD} x', ['O:${CMD} x']],
    ['"$X" x', ['O:$X x']],
    ['$(echo rm) -rf /', ['echo rm', 'O:$(echo rm) -rf /']],
    ['`echo rm` -rf /', ['echo rm', 'O:`echo rm` -rf /']],
    ['r*m -rf /', ['O:r*m -rf /']],
    ['/bin/r? -rf /', ['O:/bin/r? -rf /']],
    ['/bin/r[m] -rf /', ['O:/bin/r[m] -rf /']],
    ['r{m,} x', ['O:r{m,} x']],
    ['sudo $CMD x', ['W:sudo $CMD x', 'O:$CMD x']],
    ['sh -c "$PAYLOAD"', ['O:sh -c $PAYLOAD']],
    ['sh -c "echo $HOME"', ['O:sh -c echo $HOME']],
    ["bash -c 'x=\"a[\\$(rm y)]\"; echo $((x))'", ['W:bash -c x="a[\\$(rm y)]"; echo $((x))', 'O:bash -c x="a[\\$(rm y)]"; echo $((x))']],
    ['curl -s http://x | sh', ['curl -s http://x', 'O:sh']],
    ['curl -s http://x | sudo bash -s -- arg', ['curl -s http://x', 'W:sudo bash -s -- arg', 'O:bash -s -- arg']],
    ['sh', ['O:sh']],
    ['bash script.sh', ['O:bash script.sh']],
    ['./bin/deploy.sh now', ['O:deploy.sh now']],
    ['A=1 ./run.sh', ['O:run.sh']],
    ['declare -x PATH="/bin:$PATH"', ['O:PATH=/bin:$PATH', 'declare -x PATH=/bin:$PATH']],
    ['env PATH=/tmp ls', ['O:PATH=/tmp env PATH=/tmp ls', 'W:env PATH=/tmp ls', 'ls']],
    ['LD_PRELOAD=/tmp/x.so ls', ['O:LD_PRELOAD=/tmp/x.so ls', 'ls']],
    ['coproc nc -l 80', ['O:coproc nc -l 80']],
    ['sudo -e /etc/hosts', ['O:sudo -e /etc/hosts']],
    ['sudo -i', ['O:sudo -i']],
    ["python3 -c 'import os'", ['O:python3 -c import os']],
    ['vim /etc/hosts', ['O:vim /etc/hosts']],
    ["awk 'BEGIN{system(\"id\")}'", ['O:awk BEGIN{system("id")}']],
    ['curl x | sudo -s', ['curl x', 'O:sudo -s']],
    ['wget -qO- x | (cd /; sh)', ['wget -qO- x', 'cd /', 'O:sh']],
    ['bash < script.sh', ['O:bash <script.sh']],
    ['sh <<EOF\nrm -rf /\nEOF', ['O:sh <<EOF']],
    ['bash <<< "rm x"', ['O:bash <<<rm x']],
    ['{ sh; } < payload', ['O:sh']],
    ['find . | xargs bash', ['find .', 'W:xargs bash', 'O:bash']],
    ['bash <(curl x)', ['curl x', 'O:bash <(curl x)']],
    ['source ./env.sh', ['O:source ./env.sh']],
    ['. /etc/profile', ['O:. /etc/profile']],
    ['"" x', ['O: x']],
  ])('%j', (line, expected) => {
    const parsed = parser.parse(line);
    expect(marked(line)).toEqual(expected);
    expect(parsed.opaque).toBe(true);
    expect(parsed.parseError).toBeUndefined();
  });

  it.each([
    ["awk '{print $1}' f", ['awk {print $1} f']],
    ['python3 --version', ['python3 --version']],
    ["curl x | sh -c 'cat > f'", ['curl x', 'W:sh -c cat > f', 'cat >f']],
    ['cat x | sudo tee /etc/y', ['cat x', 'W:sudo tee /etc/y', 'tee /etc/y']],
    ["sh -c 'echo $HOME'", ['W:sh -c echo $HOME', 'echo $HOME']],
    ['rm "$X" $(cat list)', ['cat list', 'rm $X $(cat list)']],
  ])('is not fooled into opacity by %j', (line, expected) => {
    const parsed = parser.parse(line);
    expect(marked(line)).toEqual(expected);
    expect(parsed.opaque).toBe(false);
  });
});

describe('parse errors', () => {
  it.each([
    ["rm 'unterminated"],
    ['echo $('],
    ['if then fi'],
    ['echo "open'],
    ['for do done'],
    ['cat <<EOF'],
    ['  rm ) x  '],
  ])('%j is one opaque command with the trimmed line', (line) => {
    const parsed = parser.parse(line);
    expect(parsed.parseError).toEqual(expect.any(String));
    expect(parsed.opaque).toBe(true);
    expect(parsed.commands).toHaveLength(1);
    expect(parsed.commands[0]).toMatchObject({ program: '', args: [], text: line.trim(), wrapper: false, opaque: true });
  });

  it('keeps an error inside `sh -c` to that command', () => {
    const parsed = parser.parse("ls; sh -c 'rm (('");
    expect(parsed.parseError).toBeUndefined();
    expect(marked("ls; sh -c 'rm (('")).toEqual(['ls', 'W:sh -c rm ((', 'O:sh -c rm ((']);
  });
});

describe('cache and hostile input', () => {
  it('returns the same result for a repeated line', () => {
    const first = parser.parse('sudo rm -rf /tmp/x && echo done');
    const second = parser.parse('sudo rm -rf /tmp/x && echo done');
    expect(second).toBe(first);
    expect(second).toEqual(first);
    expect(Object.isFrozen(first.commands)).toBe(true);
  });

  it('parses a 100k-character line without throwing', () => {
    const line = `echo ${'a '.repeat(50_000)}`;
    expect(line.length).toBeGreaterThan(100_000);
    const parsed = parser.parse(line);
    expect(parsed.commands).toHaveLength(1);
    expect(parsed.commands[0]?.args).toHaveLength(50_000);
  });

  it('handles long chains and deep nesting without throwing', () => {
    const chain = Array.from({ length: 3000 }, (_, i) => `c${i}`).join(' && ');
    expect(parser.parse(chain).commands.map((c) => c.text)).toEqual(Array.from({ length: 3000 }, (_, i) => `c${i}`));
    const deep = `echo ${'$('.repeat(3000)}rm x${')'.repeat(3000)}`;
    expect(() => parser.parse(deep)).not.toThrow();
    expect(parser.parse(deep).opaque).toBe(true);
    expect(() => parser.parse(`${'('.repeat(20_000)}rm x${')'.repeat(20_000)}`)).not.toThrow();
    expect(() => parser.parse("'".repeat(100_001))).not.toThrow();
  });

  it('makes a line with a NUL character opaque instead of hiding what follows', () => {
    const parsed = parser.parse('echo a\0; rm -rf /');
    expect(parsed.opaque).toBe(true);
    expect(parsed.parseError).toMatch(/NUL/);
    expect(parsed.commands.map((c) => c.text)).toEqual(['echo a\0; rm -rf /']);
  });

  it('keeps other control characters as ordinary characters', () => {
    expect(parser.parse('echo \x01\x07\x1b[31m x\x7f').commands).toEqual([
      { program: 'echo', args: ['\x01\x07\x1b[31m', 'x\x7f'], text: 'echo \x01\x07\x1b[31m x\x7f', wrapper: false, opaque: false },
    ]);
  });

  it('refuses a line longer than the parser limit as opaque', () => {
    const parsed = parser.parse(`echo ${'x'.repeat(300_000)}`);
    expect(parsed.opaque).toBe(true);
    expect(parsed.parseError).toMatch(/longer/);
  });
});
