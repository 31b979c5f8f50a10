import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { beforeAll, describe, expect, it } from 'vitest';
import { SyntaxReader, type SyntaxNode } from '../../../src/domain/shell/syntaxNode.js';

let parser: Parser;
let reader: SyntaxReader;

beforeAll(async () => {
  await Parser.init();
  const language = await Language.load(await readFile(createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm')));
  parser = new Parser();
  parser.setLanguage(language);
  reader = new SyntaxReader(language);
});

/** Lines covering the syntax the walk meets: every node type of these is compared. */
const LINES: readonly string[] = [
  'ls -la /var/log',
  'cd /etc/nginx && sudo nginx -t || echo "failed: $?"',
  'tail -n 200 /var/log/syslog | grep -i error | less',
  "find /tmp -name '*.tmp' -mtime +7 -exec rm -f {} \\;",
  'for f in /etc/cron.d/* a{1,2}; do echo "$f"; cat "$f"; done',
  'for ((i=0; i<3; i++)); do echo $i; done',
  'select x in a b; do break; done',
  'tar czf /backup/etc-$(date +%F).tgz /etc `id -u` <(ls) >(cat)',
  'FOO=1 BAR=2 ./deploy.sh --env=prod 2>&1 | tee deploy.log; exec {fd}>/dev/null',
  "bash -c 'cd /srv/app && git pull' && echo $'\\x72m' $\"translated $x\"",
  'if [ -f /etc/app.conf ]; then cp a b; elif [[ -n "$x" && $y == z* ]]; then :; else echo no; fi',
  'while read c; do docker logs --tail 5 "$c"; done < <(docker ps -q)',
  'until false; do :; done',
  'case "$1" in start|stop) systemctl "$1" x;; *) echo ${x:-d} ${#x} ${a[$i]};; esac',
  'f() { echo in; }; function g { (echo sub); }; f; g',
  'x=( a b "c d" ); declare -a z=( 1 2 ); export PATH=/x:$PATH; unset y; local -n r=x',
  'cat <<EOF > out\nhello $USER\nEOF\necho done',
  'cat <<<"$HOME x"; (( x = 1 + 2 )); echo $(( 1+2 ))',
  '! true |& cat; time sleep 1 &',
  'echo héllo wörld 😀 "ünïcode $x" | cat # a comment',
  'echo a \\\n  b',
];

/** Every node of `raw`, depth first, with its reading: both must agree on everything the walks ask. */
function compare(raw: Node, read: SyntaxNode, path: string): void {
  expect({ path, type: read.type, isNamed: read.isNamed, id: read.id, start: read.startIndex, end: read.endIndex, text: read.text }).toEqual({
    path,
    type: raw.type,
    isNamed: raw.isNamed,
    id: raw.id,
    start: raw.startIndex,
    end: raw.endIndex,
    text: raw.text,
  });
  const rawChildren = raw.children.filter((c): c is Node => c !== null);
  expect(read.childCount).toBe(rawChildren.length);
  expect(read.namedChildren.map((c) => c.id)).toEqual(raw.namedChildren.filter((c): c is Node => c !== null).map((c) => c.id));
  expect(read.firstChild?.id ?? null).toBe(raw.firstChild?.id ?? null);
  expect(read.lastChild?.id ?? null).toBe(raw.lastChild?.id ?? null);
  for (const field of ['name', 'body', 'value', 'variable', 'condition', 'argument', 'redirect', 'descriptor', 'operator']) {
    expect(read.childForFieldName(field)?.id ?? null).toBe(raw.childForFieldName(field)?.id ?? null);
    expect(read.childrenForFieldName(field).map((c) => c.id)).toEqual(raw.childrenForFieldName(field).filter((c): c is Node => c !== null).map((c) => c.id));
  }
  rawChildren.forEach((child, i) => compare(child, read.children[i] as SyntaxNode, `${path}/${child.type}`));
}

describe('SyntaxNode', () => {
  it.each(LINES)('answers as tree-sitter does for every node of %j', (line) => {
    const source = `${line}\n`;
    const tree = parser.parse(source);
    if (tree === null) throw new Error('no tree');
    try {
      expect(tree.rootNode.hasError).toBe(false);
      compare(tree.rootNode, reader.read(tree.rootNode, source), 'program');
    } finally {
      tree.delete();
    }
  });
});
