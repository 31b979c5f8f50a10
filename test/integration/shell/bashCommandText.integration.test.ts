import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collapseWhitespace } from '../../../src/domain/shell/bashCommandText.js';
import type { ShellParser } from '../../../src/domain/shell/shellParser.js';
import { sharedParser } from '../../support/sharedParser.js';

/**
 * The executor lets a command run only if its `$BASH_COMMAND` (whitespace collapsed) was
 * predicted from the judged line. A missed prediction refuses a legitimate command, so the
 * predictions are held to real bash: each line runs in bash with a DEBUG trap that writes
 * down every `$BASH_COMMAND`, and each must be among the parser's `runtimeTexts`. The lines
 * are harmless (echo, true, redirections to /dev/null) and cover the syntax operators type.
 */
const LINES: readonly string[] = [
  "echo   hi   there",
  "x=1   y=2",
  "x=( a   b \"c d\" )",
  "declare   -a  z=( 1 2 )",
  "echo a>/dev/null",
  "echo a 2>/dev/null",
  "echo a >| /dev/null",
  "echo a &>>/dev/null",
  "cat < /dev/null",
  "cat 0</dev/null",
  "echo a 1>&2",
  "echo a >&2",
  "echo a 2>&-",
  "exec {fd}>/dev/null; echo x >&$fd",
  "cat <<<word",
  "cat <<< \"$HOME x\"",
  "[[ -n \"a\"  &&  b == b ]]",
  "(( x =  1 + 2 ))",
  "for ((i=0; i<1; i++)); do echo $i; done",
  "for i in a  b; do :; done",
  "for i; do :; done",
  "case x in x) echo y;; *) :;; esac",
  "if true; then :; elif false; then :; else :; fi",
  "until true; do :; done",
  "echo \"$(echo  a   b)\" `echo c`",
  "echo $(( 1+2 )) ${x:-d} ${#x}",
  "time echo x",
  "! echo x",
  "echo x | cat | wc -l",
  "echo x |& cat",
  "f(){ echo in; }; f",
  "function g { echo in2; }; g",
  "echo a \\\n  b",
  "echo 'single   quoted' \"double  $x\"",
  "echo a # comment",
  "echo {a,b} ~/x *.nomatch",
  "cat <(echo p) >(cat >/dev/null)",
  "echo a; echo b & wait",
  "x=$(if true; then echo a; else echo b; fi)",
  "x=$(for i in 1; do echo $i; done)",
  "x=$(while false; do :; done; echo w)",
  "x=$(case a in a) echo c;; b|c) :;; esac)",
  "x=$( { echo g; } ; (echo s) )",
  "x=$(echo a && echo b || echo c; echo d & )",
  "x=$(f() { echo in; }; f)",
  "x=$(echo a >/dev/null 2>&1 </dev/null)",
  "x=$([[ -n a ]] && (( 1 )) )",
  "x=$(cat <<EOF\nhd\nEOF\n)",
  "x=$(echo $(echo  nested  deep))",
  "x=$(echo \"a  b\" | tr a b)",
  "x=$(! true; time true)",
  "x=$(echo a # c\necho b)",
  "x=$(\necho multi\necho line\n)",
  "echo <(echo  a   b) >(cat  >/dev/null)",
  "x=$(for ((i=0;i<1;i++)); do :; done)",
  "x=$(echo a |& cat)",
  "arr=( $(echo  a) )",
  "x=${y:-$(echo  dflt)}",
  "x=\"${y:-$(echo  dflt2)}\"",
  "x=$((  $(echo 1) + 2 ))",
  "echo `echo   bq`",
  "cat <<EOF >/dev/null\nbody $x\nEOF",
  "cat <<-'EOT' >/dev/null\n\tbody $x\n\tEOT",
  "ls -la | grep x | awk '{print $1}' > /dev/null",
  "kill -0 $(pgrep -x nothing) 2>/dev/null",
  "cd /tmp && ls",
  "[ -d /tmp ] && echo yes",
  "test -n x",
  "echo $'a\\tb' $\"loc\"",
  "v=$(date +%s); echo $v",
  "while read -r l; do echo \"$l\"; done < /dev/null",
  "for f in *; do echo \"$f\"; done",
  "export A=1 B=\"x y\"",
  "local_f() { local v=1; echo $v; }; local_f",
  "unset A B",
  "readonly R=1",
  "echo done; exit 0",
  "cat <<EOF | grep -c x\nx1\nx2\nEOF",
  "grep -q root /etc/passwd && echo yes || echo no",
  "echo \"a 'b' \\\"c\\\"\"",
  "x=5; if (( x > 3 )); then echo big; fi",
  "[[ abc =~ ^a(b)c$ ]] && echo ${BASH_REMATCH[1]}",
  "s=hello; echo ${s//l/L} ${s:1:2} ${s^^} ${#s}",
  "echo $(< /etc/hostname)",
  "{ echo a; echo b; } > /dev/null",
  "(cd /tmp; ls) > /dev/null 2>&1",
  "while read -r a b; do echo \"$a\"; done < <(echo 1 2)",
  "mapfile -t arr < /dev/null; echo ${#arr[@]}",
  "printf -v out '%s-%s' a b; echo $out",
  "declare -A h=([a]=1 [b]=2); echo ${h[a]}",
  "f() { g() { echo inner; }; g; }; f",
  "a=1 && b=2 || c=3",
  "echo one && { echo two; echo three; } || echo four",
  "\\echo hi; e''cho there",
  "env X=1 printenv X",
  "echo $((2**10)) $(( (1+2)*3 ))",
  "for i in 1 2 3; do if [ $i -eq 2 ]; then continue; fi; echo $i; done",
  "i=0; while [ $i -lt 2 ]; do i=$((i+1)); done; echo $i",
  "case $HOME in /root) echo root;; /home/*) echo home;; *) echo other;; esac",
  "case x in (x) echo paren;; esac",
  "echo a >> /dev/null; echo b &> /dev/null",
  "ls nonexist 2>&1 | head -1",
  "tr a-z A-Z <<< hello",
  "echo $HOME/$USER ~root",
  "echo \"$(date +%Y)-$(hostname)\"",
  "result=$(echo \"$(echo inner)\")",
  "ls -1 /etc | wc -l > /dev/null",
  "test -f /etc/passwd && cat /etc/passwd | head -n 1 | cut -d: -f1",
  "if ! grep -q nomatch /etc/hostname; then echo absent; fi",
  "x=$(case $1 in a) echo A;; esac); echo \"$x\"",
  "until [ -z \"\" ]; do :; done",
  "echo {1..3} {a,b}c",
  "arr=(one two); for a in \"${arr[@]}\"; do echo $a; done",
  "echo \"${arr[@]:0:1}\"",
  "true; false; echo $?",
  "nums=$(seq 3 | tr '\\n' ' '); echo $nums",
  "echo -e 'a\\tb' | cat -A",
  "sleep 0 & wait $!",
  "(( n = 3 + 4 )); echo $n",
  "let 'm = 2 * 3'; echo $m",
  "echo ${undefined:-default} ${undefined:=set} $undefined",
  "printf '%s\\n' a b c | sort -r | head -2",
  "ps aux | grep -v grep | grep -c bash > /dev/null",
  "echo x; # trailing comment",
  "echo 'a;b' \"c|d\" e\\&f",
  "eval 'echo evald'",
  "exec 3>/dev/null; echo x >&3; exec 3>&-",
  "cat /etc/hostname > /dev/null 2>/dev/null < /dev/null",
  "echo a\\ b c\\\\d",
  "x=(); x+=(1); x[5]=2; echo ${!x[@]}",
  "readarray -t lines <<< $'a\\nb'; echo ${#lines[@]}",
  "IFS=: read -r u rest <<< 'root:x:0'; echo $u",
  "echo ${PWD##*/} ${HOME%/*}",
  "[[ -e /etc/passwd && ! -d /etc/passwd ]] && echo file",
  "[ \"a\" = \"a\" -a 1 -lt 2 ] && echo ok",
  "echo $[1+1]",
  "for f in /etc/host*; do [[ -f $f ]] && echo \"$f\"; done",
  "function h() { echo h-$1; }; h x",
  "k() ( echo subshell-fn ); k",
  "echo $(echo a)$(echo b)",
  "echo \"`echo bq1` and `echo bq2`\"",
  "v=\"$(echo a\necho b)\"; echo \"$v\"",
  "cat <<'EOF'\n$notexpanded\nEOF",
  "cat <<EOF\nexpanded $(echo inner)\nEOF",
  "if [[ $(echo x) == x ]]; then echo match; fi",
  "z=$(for i in a b; do echo $i; done | wc -l); echo $z",
  "time (sleep 0)",
  "! false && echo negated",
  "echo done > /dev/null &",
  "{ sleep 0; } 2>/dev/null",
  "cd / && pwd && cd - >/dev/null",
  "select x in a; do echo $x; break; done < /dev/null",
  "export PATH; export -n FOO; declare -x BAR=1",
  "local_x=1; unset -v local_x",
  "trap 'echo bye' EXIT",
  "shopt -s nullglob; echo *.nonexist",
  "ulimit -n > /dev/null; umask > /dev/null",
  "command -v ls >/dev/null && type ls > /dev/null",
  "hash -r; builtin echo b",
  "set -- a b c; echo $# $@ $*",
  "echo \"${@:-none}\"",
  "getopts ab opt -a; echo $opt",
  "printf '%q\\n' 'a b'",
  "dirs > /dev/null; pushd /tmp > /dev/null; popd > /dev/null",
  "echo $(( $(echo 1) + $(echo 2) ))",
  "x=1; [[ $x == 1 ]] && (( x++ )) && echo $x",
  "wait; jobs > /dev/null",
  "echo ok | while read l; do echo \"got $l\"; done",
  "cat < /etc/hostname | tr -d '\\n' > /dev/null",
  "a=$(cat <<EOF\nline1\nline2\nEOF\n); echo \"$a\"",
];

let parser: ShellParser;
let dir: string;
beforeAll(async () => {
  parser = await sharedParser();
  dir = mkdtempSync(join(tmpdir(), 'changeguard-bashtext-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every `$BASH_COMMAND` bash shows its DEBUG trap while running `line`, collapsed. */
function bashCommands(line: string, index: number): string[] {
  const log = join(dir, `trap-${index}.log`);
  const script = `exec 9>${log}; shopt -s extdebug; set -T; trap 'printf "%s\\0" "$BASH_COMMAND" >&9' DEBUG; . /dev/fd/5 5<<<"$1"`;
  try {
    execFileSync('bash', ['--norc', '--noprofile', '-c', script, 'bashtext', line], { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'], timeout: 5000 });
  } catch {
    // Some lines end with a failing status (`false`, `exit 0` of the sourced file): what matters is what ran.
  }
  const wrapper = collapseWhitespace('. /dev/fd/5 5<<< "$1"');
  return [...new Set(readFileSync(log, 'utf8').split('\0').filter((s) => s !== '').map(collapseWhitespace))].filter((s) => s !== wrapper);
}

describe('the $BASH_COMMAND texts predicted for a line', () => {
  it.each(LINES.map((line, index) => [line, index] as const))('include everything bash runs for %j', (line, index) => {
    const parsed = parser.parse(line);
    expect(parsed.parseError).toBeUndefined();
    const predicted = new Set(parsed.runtimeTexts);
    const seen = bashCommands(line, index);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((text) => !predicted.has(text))).toEqual([]);
  });
});
