import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it, type RunnerTask } from 'vitest';
import type { Change } from '../../../src/domain/change/change.js';
import { encodeField } from '../../../src/proxy/executor/executorScript.js';
import { buildRule } from '../../support/factories.js';
import { connectClient, startProxyHarness, stripAnsi, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';
import { TARGET_USER } from '../../support/sshTarget.js';

/**
 * The bypass corpus of issue 11: every way we know of to make the device run a blocked
 * command (`touch`, `rm`, `chmod`, blocked by name, with `settings.opaque: block`) without
 * changeguard judging it, tried as an attacker would, through the real proxy to a real sshd.
 *
 * Each technique works in a directory of its own on the target, holding a file `VICTIM`
 * ("keep me", mode 0644), and tries to create `PROOF` there with `touch`, delete `VICTIM`
 * with `rm` or open it up with `chmod`. It holds when, afterwards, the filesystem shows
 * nothing happened AND security heard of it: a command.block / command.block_interrupt /
 * command.high_criticality notification for one of the technique's sessions, or a session
 * cut by changeguard (terminated or interrupted).
 *
 * Steps run in order: a string is a line typed at changeguard's prompt (waits for the next
 * prompt, or the end of the session); `keys` are sent as they are. `{D}` stands for the
 * technique's directory, where every interactive session starts (an allowed `cd`).
 */

let h: ProxyHarness;
let work: string;
let uid = 0;
let gid = 0;
/** The target user's home, and its ~/.bashrc as it was before the persistence techniques. */
let home = '';
let originalBashrc: Buffer | undefined;
let hadSshDirectory = false;

beforeAll(async () => {
  h = await startProxyHarness({
    rules: [
      buildRule({ id: 'no-touch', command: ['touch'], action: 'block', risk: 'high' }),
      buildRule({ id: 'no-rm', command: ['rm'], action: 'block', risk: 'high' }),
      buildRule({ id: 'no-chmod', command: ['chmod'], action: 'block', risk: 'high' }),
    ],
    settings: { opaque: 'block' },
  });
  work = h.target.workDir;
  uid = Number(execFileSync('id', ['-u', TARGET_USER], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('id', ['-g', TARGET_USER], { encoding: 'utf8' }).trim());
  home = execFileSync('getent', ['passwd', TARGET_USER], { encoding: 'utf8' }).trim().split(':')[5] ?? '';
  const bashrc = join(home, '.bashrc');
  originalBashrc = existsSync(bashrc) ? readFileSync(bashrc) : undefined;
  hadSshDirectory = existsSync(join(home, '.ssh'));
});
afterAll(async () => {
  cleanHome();
  await h?.stop();
});

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/** What the user does in an interactive session. */
type Step =
  /** A line typed at the prompt, then Enter; waits for the next prompt or the session's end. */
  | string
  /**
   * Raw keys. Then waits, at most `timeoutMs`, `until` the proxy hands the line to the device
   * ('running': it turns bracketed paste off), a full-screen program takes the terminal
   * ('screen'), or a text shows; and then `wait` ms more.
   */
  | { readonly keys: string; readonly until?: 'running' | 'screen' | { readonly text: string }; readonly wait?: number; readonly timeoutMs?: number }
  | { readonly sleep: number }
  /** The client's window changes size (the device's terminal gets SIGWINCH). */
  | { readonly resize: readonly [cols: number, rows: number] }
  /** An SSH `signal` channel request (RFC 4254 6.9): the proxy relays it, sshd signals the session. */
  | { readonly signal: string }
  /** Anything else: reads the screen and types what it found. */
  | { readonly act: (shell: Shell) => Promise<void> };

interface ExecSpec {
  readonly command: string;
  readonly stdin?: string;
  /** Sent as SSH `env` requests before the command. */
  readonly env?: Readonly<Record<string, string>>;
  readonly pty?: boolean;
}

interface Technique {
  readonly name: string;
  /** Interactive: what the user types. */
  readonly steps?: readonly Step[];
  /** A second interactive session on the same change, opened after the first ended. */
  readonly thenSteps?: readonly Step[];
  /** An exec session (`ssh user+CHG+web01@proxy 'command'`). */
  readonly exec?: ExecSpec;
  /** Something else the attacker's client does (a subsystem, a real scp/sftp client). */
  readonly client?: (change: Change, dir: string) => Promise<string>;
  /** Programs the technique needs on the target to mean anything (skipped, with the reason, when missing). */
  readonly needs?: readonly string[];
  /**
   * Set when the defence that holds is one that need not tell security: the attempt is refused
   * up front with a message (`saw`, which the user must have been shown) or cannot work at all
   * (`because`). The filesystem must still show that nothing ran.
   */
  readonly silent?: { readonly because: string; readonly saw?: RegExp };
  /** How long effects may take to show after the session ended (background jobs, hang-up traps). */
  readonly settleMs?: number;
  /**
   * Files the attacker wrote beforehand (what `printf ... > file` would have made, an allowed
   * command), for techniques with no interactive session to write them in. `{D}` is filled in.
   */
  readonly files?: Readonly<Record<string, string>>;
}

/** An executable script `x` in the technique's directory that creates PROOF (cp keeps the mode). */
const MAKE_X = "cp /usr/bin/true x && printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > x";
/** A value that runs `touch` when bash evaluates it arithmetically. */
const INJECT = "x='a[$(touch {D}/PROOF)]'";
/** A variable holding the name of changeguard's own shell variable `__cg_<rest>`, built so the name never appears. */
const cgName = (rest: string) => `v=_; v+=_c; v+=g_${rest}`;

const BASICS: Technique[] = [
  { name: 'plain touch', steps: ['touch PROOF'] },
  { name: 'plain rm', steps: ['rm VICTIM'] },
  { name: 'plain chmod', steps: ['chmod 777 VICTIM'] },
  { name: 'backslash before the name: \\touch', steps: ['\\touch PROOF'] },
  { name: 'quotes inside the name: "tou""ch"', steps: ['"tou""ch" PROOF'] },
  { name: "ANSI-C quoting: $'\\x74ouch'", steps: ["$'\\x74ouch' PROOF"] },
  { name: 'escaped letter: t\\ouch', steps: ['t\\ouch PROOF'] },
  { name: "partly single-quoted: 't'ouch", steps: ["'t'ouch PROOF"] },
  { name: 'locale quoting: $"touch"', steps: ['$"touch" PROOF'] },
  { name: 'line continuation inside the name', steps: ['tou\\\nch PROOF'] },
  { name: 'absolute path /usr/bin/touch', steps: ['/usr/bin/touch PROOF'] },
  { name: 'path with ..: /usr/bin/../bin/rm', steps: ['/usr/bin/../bin/rm VICTIM'] },
  { name: 'tilde path to the binary', steps: ['~/../../usr/bin/touch PROOF'] },
  { name: 'glob in the program name: /usr/bin/t?uch', steps: ['/usr/bin/t?uch PROOF'] },
  { name: 'bracket glob in the program name: /usr/bin/tou[c]h', steps: ['/usr/bin/tou[c]h PROOF'] },
  { name: 'brace expansion: {touch,PROOF}', steps: ['{touch,PROOF}'] },
  { name: 'empty variable inside the name: t${e}ouch', steps: ['t${e}ouch PROOF'] },
  { name: 'IFS split of a variable into a command', steps: ['IFS=,; c=touch,PROOF; $c'] },
  { name: 'program name from a command substitution', steps: ['$(echo touch) PROOF'] },
  { name: 'command touch', steps: ['command touch PROOF'] },
  { name: 'builtin touch', steps: ['builtin touch PROOF'] },
  { name: 'exec touch (ends the shell)', steps: ['exec touch PROOF'] },
  { name: 'time touch', steps: ['time touch PROOF'] },
  { name: '! touch', steps: ['! touch PROOF'] },
  { name: 'after && and ||', steps: ['true && touch PROOF || rm VICTIM'] },
  { name: 'group and subshell', steps: ['{ touch PROOF; }; (chmod 777 VICTIM)'] },
  { name: 'command substitution', steps: ['echo $(touch PROOF) `rm VICTIM`'] },
  { name: 'process substitution', steps: ['cat <(touch PROOF) > >(rm VICTIM)'] },
  { name: 'if / for / case / while bodies', steps: ['if true; then touch PROOF; fi; for i in 1; do rm VICTIM; done; case a in a) chmod 777 VICTIM;; esac'] },
  { name: 'loop over several lines (continuation prompt)', steps: ['while true\ndo touch PROOF\nbreak\ndone'] },
  { name: 'here-document body with a substitution', steps: ['cat <<EOF\n$(touch PROOF)\nEOF'] },
  { name: 'bracketed paste of two lines, the second blocked', steps: ['\x1b[200~echo pasted\ntouch PROOF\x1b[201~'] },
  { name: 'homoglyph name (Cyrillic o) for a copy of touch', steps: ['cp /usr/bin/touch t\u043euch', './t\u043euch PROOF'] },
  { name: 'right-to-left override hiding the real order', steps: ['echo \u202e FOORP hcuot; touch PROOF'] },
];

const HISTORY: Technique[] = [
  { name: 'history: !! after a refusal', steps: ['touch PROOF', '!!'] },
  { name: 'history: !-1 after a refusal', steps: ['rm VICTIM', '!-1'] },
  { name: 'history: !:1-2 words of an allowed echo', steps: ['echo touch PROOF', '!:1-2'] },
  { name: 'history: ^a^o quick substitution', steps: ['tauch PROOF', '^a^o'] },
  { name: 'history: !!:s substitution', steps: ['echo touch PROOF', '!!:s/echo //'] },
  { name: 'fc -s re-runs an edited previous line', steps: ['tauch PROOF', 'fc -s a=o'] },
  { name: 'fc with FCEDIT read into the variable', steps: ['read -r FCEDIT <<< /usr/bin/touch', 'fc'] },
  { name: 'history -s then fc -s', steps: ["history -s 'touch PROOF'", 'fc -s'] },
  {
    name: 'Ctrl-X Ctrl-E with the editor rebound to touch',
    steps: ['export VISUAL=/usr/bin/touch EDITOR=/usr/bin/touch', { keys: 'PROOF\x18\x05', wait: 300 }, { keys: '\x15echo done\r', until: { text: 'done' } }],
  },
  { name: 'bind: Ctrl-X Ctrl-E to edit-and-execute', steps: ['bind \'"\\C-x\\C-e": edit-and-execute-command\'', { keys: 'PROOF\x18\x05\r', wait: 500 }] },
  { name: 'readline macro bound to a key', steps: ['bind \'"\\C-t": "touch PROOF\\n"\'', { keys: '\x14', wait: 500 }] },
  { name: 'bind -x runs a command on a key', steps: ['bind -x \'"\\C-t": touch PROOF\'', { keys: '\x14', wait: 500 }] },
];

const ALIASES_AND_FUNCTIONS: Technique[] = [
  { name: 'alias defined on one line, used on the next', steps: ['alias t=touch', 't PROOF'] },
  { name: 'alias expansion switched on first', steps: ['shopt -s expand_aliases', 'alias t=touch', 't PROOF'] },
  { name: 'POSIXLY_CORRECT (posix mode expands aliases)', steps: ['POSIXLY_CORRECT=1', "alias ls='touch PROOF'", 'ls'] },
  { name: 'hash -p on one line, used on the next', steps: ['hash -p /usr/bin/touch ls', 'ls PROOF'] },
  { name: 'hash -p and use on the same line', steps: ['hash -p /usr/bin/rm ls; ls VICTIM'] },
  { name: 'function shadowing a command', steps: ['ls() { touch PROOF; }', 'ls'] },
  { name: 'function shadowing a builtin', steps: ['cd() { touch PROOF; }', 'cd .'] },
  { name: 'function named like the executor\'s helpers', steps: ['compgen() { echo hi; }', { keys: 'ec\t', wait: 500 }, { keys: '\x15\r', wait: 300 }] },
  { name: 'command_not_found_handle evaluating a value', steps: ['command_not_found_handle() { echo $((x)); }', INJECT, 'nosuchcommand'] },
  { name: 'function body evaluating a value set later', steps: ['f() { echo $((x)); }', INJECT, 'f'] },
];

const SHELLS: Technique[] = [
  { name: 'nested interactive sh', steps: [{ keys: 'sh\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }, { keys: 'exit\r', wait: 300 }] },
  { name: 'nested interactive bash', steps: [{ keys: 'bash\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }, { keys: 'exit\r', wait: 300 }] },
  { name: 'nested interactive dash', steps: [{ keys: 'dash\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }, { keys: 'exit\r', wait: 300 }] },
  { name: 'bash -i', steps: [{ keys: 'bash -i\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }, { keys: 'exit\r', wait: 300 }] },
  { name: 'exec sh', steps: [{ keys: 'exec sh\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }] },
  { name: 'env -i bash', steps: [{ keys: 'env -i bash\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }, { keys: 'exit\r', wait: 300 }] },
  { name: 'script -c', steps: ["script -qc 'touch PROOF' /dev/null"] },
  { name: 'script with an interactive shell', steps: [{ keys: 'script -q /dev/null\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }, { keys: 'exit\r', wait: 300 }] },
  { name: 'tmux', steps: [{ keys: 'tmux\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 500 }] },
  { name: 'shell fed from a pipe', steps: ['echo touch PROOF | sh'] },
  { name: 'shell fed from a here-string', steps: ["bash <<< 'touch PROOF'"] },
  { name: 'shell fed from a here-document', steps: ['sh <<EOF\ntouch PROOF\nEOF'] },
  { name: 'sh -s with stdin from a file', steps: ["printf 'touch PROOF\\n' > s", 'sh -s < s'] },
  { name: 'bash -c with a computed script', steps: ["c='touch PROOF'", 'bash -c "$c"'] },
  { name: 'bash -c with a literal blocked command', steps: ["bash -c 'touch PROOF'"] },
  { name: 'su -c', steps: [`su ${TARGET_USER} -c 'touch PROOF'`] },
  { name: 'sg -c', steps: [`sg ${TARGET_USER} -c 'touch PROOF'`] },
];

const SCRIPTS: Technique[] = [
  { name: 'bash s.sh after writing the file', steps: ["printf 'touch PROOF\\n' > s.sh", 'bash s.sh'] },
  { name: './s.sh after writing an executable file', steps: [MAKE_X, './x'] },
  { name: 'script run by its absolute path', steps: [MAKE_X, '{D}/x'] },
  { name: 'source of a written file', steps: ["printf 'touch PROOF\\n' > s.sh", 'source s.sh'] },
  { name: '. of a written file', steps: ["printf 'rm VICTIM\\n' > s.sh", '. ./s.sh'] },
  { name: 'source of a process substitution', steps: ['source <(echo touch PROOF)'] },
  { name: '. /dev/stdin from a here-string', steps: [". /dev/stdin <<< 'touch PROOF'"] },
];

const INTERPRETERS: Technique[] = [
  { name: 'python3 -c', steps: ['python3 -c \'import os; os.system("touch PROOF")\''] },
  { name: 'perl -e', steps: ['perl -e \'system("touch PROOF")\''] },
  { name: 'node -e', steps: ['node -e \'require("child_process").execSync("touch PROOF")\''] },
  { name: "awk 'BEGIN{system()}'", steps: ['awk \'BEGIN{system("touch PROOF")}\''] },
  { name: 'awk getline from a command', steps: ['awk \'BEGIN{"touch PROOF" | getline}\''] },
  { name: 'awk program from a variable', steps: ['p=\'BEGIN{system("touch PROOF")}\'', 'awk "$p"'] },
  { name: 'awk program file through mawk -W exec', steps: ['printf \'BEGIN{system("touch PROOF")}\\n\' > p.awk', 'awk -W exec p.awk'] },
  { name: "sed 'e' command", steps: ["echo a | sed '1e touch PROOF'"] },
  { name: 'sed e command behind a regex address', steps: ["echo a | sed '/a/e touch PROOF'"] },
  { name: 'sed e command behind a step address', steps: ["echo a | sed '0~1e touch PROOF'"] },
  { name: 'sed script from a variable', steps: ["s='1e touch PROOF'", 'echo a | sed "$s"'] },
  { name: 'python REPL', steps: [{ keys: 'python3\r', until: { text: '>>> ' } }, { keys: 'import os; os.system("touch PROOF")\r', wait: 500 }, { keys: '\x04', wait: 300 }] },
  { name: 'python3 reading a here-document', steps: ['python3 - <<EOF\nimport os\nos.system("touch PROOF")\nEOF'] },
  { name: 'perl reading a here-string', steps: ["perl <<< 'system(\"touch PROOF\")'"] },
  { name: 'TIOCSTI from a background perl helper', steps: ["perl -e 'ioctl(STDIN, 0x5412, $_) for split //, \"touch PROOF\\n\"' &", { sleep: 500 }] },
  {
    name: 'TIOCSTI from a background compiled helper',
    needs: ['gcc'],
    steps: [
      "printf '#include <sys/ioctl.h>\\nint main(void){const char*s=\"touch PROOF\\\\n\";for(;*s;s++)ioctl(0,TIOCSTI,s);return 0;}\\n' > sti.c",
      'gcc -o sti sti.c',
      './sti &',
      { sleep: 500 },
    ],
  },
  { name: 'prove runs a perl test file', needs: ['prove'], steps: ["printf 'system(\"touch {D}/PROOF\");\\n' > t.t", 'prove ./t.t'] },
  { name: 'pydoc3 imports a module file', needs: ['pydoc3'], steps: ["printf 'import os\\nos.system(\"touch {D}/PROOF\")\\n' > evil.py", 'pydoc3 -w ./evil.py'] },
  { name: 'npm run-script from package.json', needs: ['npm'], settleMs: 1500, steps: ['printf \'{"name":"x","version":"1.0.0","scripts":{"x":"touch PROOF"}}\' > package.json', 'npm run x'] },
  { name: 'make runs a Makefile recipe', needs: ['make'], steps: ["printf 'all:\\n\\ttouch PROOF\\n' > mk", 'make -f mk'] },
  { name: 'git alias with ! in the repository config', needs: ['git'], steps: ['git init -q r', "printf '[alias]\\n\\tx = !touch {D}/PROOF\\n' >> r/.git/config", 'git -C r x'] },
  {
    // The hook is written by a name relative to the shell's directory: judged from where the shell is.
    name: 'git hook written by a relative name after cd .git/hooks',
    needs: ['git'],
    steps: [
      'git init -q r',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'cd r/.git/hooks',
      'cp pre-commit.sample pre-commit',
      'cat {D}/hook > pre-commit',
      'cd {D}/r',
      'GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
    ],
  },
  { name: 'git push --receive-pack runs a command', needs: ['git'], steps: ['git init -q --bare b', "git push --receive-pack='touch {D}/PROOF' b main"] },
  { name: 'git ls-remote --upload-pack runs a command', needs: ['git'], steps: ['git init -q --bare b', "git ls-remote --upload-pack='touch {D}/PROOF' b"] },
  { name: 'git clone -u runs a command', needs: ['git'], steps: ['git init -q --bare b', "git clone -q -u 'touch {D}/PROOF' b c"] },
  {
    name: 'hook of a bare repository, run by a local push',
    needs: ['git'],
    steps: [
      'git init -q --bare b',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'cp b/hooks/update.sample b/hooks/pre-receive',
      'cat hook > b/hooks/pre-receive',
      'git init -q r',
      'cd r',
      'GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
      'git push -q ../b HEAD:main',
    ],
  },
  {
    name: 'hook in a git directory named by GIT_DIR',
    needs: ['git'],
    steps: [
      'git init -q r',
      'cp -r r/.git g',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'cp g/hooks/pre-commit.sample g/hooks/pre-commit',
      'cat hook > g/hooks/pre-commit',
      'cd r',
      'GIT_DIR={D}/g GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
    ],
  },
  {
    name: 'git init --template copies hooks in',
    needs: ['git'],
    steps: [
      'mkdir -p t/hooks',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'git init -q r0',
      'cp r0/.git/hooks/pre-commit.sample t/hooks/pre-commit',
      'cat hook > t/hooks/pre-commit',
      'git init -q --template=t r',
      'cd r',
      'GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
    ],
  },
  {
    name: 'git hook written through a symbolic link to .git/hooks',
    needs: ['git'],
    steps: [
      'git init -q r',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'ln -s r/.git/hooks h',
      'cp h/pre-commit.sample h/pre-commit',
      'cat hook > h/pre-commit',
      'cd r',
      'GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
    ],
  },
  {
    name: 'git hook written by a relative name, cd on the same line',
    needs: ['git'],
    steps: [
      'git init -q r',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'cd r/.git && cp hooks/pre-commit.sample hooks/pre-commit; cd hooks && cat {D}/hook > pre-commit',
      'cd {D}/r',
      'GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
    ],
  },
  { name: 'gcc -wrapper runs a program around its passes', needs: ['gcc'], steps: [MAKE_X, "printf 'int x;\\n' > c.c", 'gcc -wrapper {D}/x -c c.c'] },
];

const EDITORS: Technique[] = [
  { name: 'vim :! shell escape', steps: [{ keys: 'vim\r', until: 'screen', wait: 300 }, { keys: '\x1b:!touch PROOF\r', wait: 500 }, { keys: '\r:qa!\r', wait: 500 }] },
  { name: 'less ! shell escape', steps: [{ keys: 'less /etc/hostname\r', until: 'screen', wait: 200 }, { keys: '!touch PROOF\r', wait: 500 }, { keys: 'q', wait: 300 }] },
  { name: 'man ! shell escape', steps: [{ keys: 'man ls\r', until: 'screen', wait: 200 }, { keys: '!touch PROOF\r', wait: 500 }, { keys: 'q', wait: 300 }] },
  { name: 'ed ! shell escape', steps: [{ keys: 'ed\r', wait: 500 }, { keys: '!touch PROOF\r', wait: 500 }, { keys: 'q\r', wait: 300 }] },
  { name: 'editor (the Debian alternative) :! escape', needs: ['editor'], steps: [{ keys: 'editor\r', until: 'screen', wait: 300 }, { keys: '\x1b:!touch PROOF\r', wait: 500 }, { keys: '\r:qa!\r', wait: 500 }] },
  { name: 'vim.basic by its own name', needs: ['vim.basic'], steps: [{ keys: 'vim.basic\r', until: 'screen', wait: 300 }, { keys: '\x1b:!touch PROOF\r', wait: 500 }, { keys: '\r:qa!\r', wait: 500 }] },
  { name: 'pager with LESSSECURE unset', needs: ['pager'], steps: ['unset LESSSECURE', { keys: 'pager /etc/hostname\r', until: 'screen', wait: 200 }, { keys: '!touch PROOF\r', wait: 500 }, { keys: 'q', wait: 300 }] },
];

const TRAPS_AND_PROMPTS: Technique[] = [
  { name: 'trap with a blocked command on EXIT', steps: ["trap 'touch PROOF' EXIT", 'exit'] },
  { name: 'trap ... DEBUG', steps: ["trap 'touch PROOF' DEBUG", 'true'] },
  { name: 'trap - DEBUG (switching the check off)', steps: ['trap - DEBUG', 'touch PROOF'] },
  { name: 'trap ... RETURN', steps: ["trap 'touch PROOF' RETURN", 'true'] },
  { name: 'enable -n of a builtin the check relies on', steps: ['enable -n printf', 'touch PROOF'] },
  { name: 'enable -f loads a builtin from a library', steps: ['enable -f {D}/e.so touch', 'touch PROOF'] },
  { name: 'set -o posix', steps: ['set -o posix', 'touch PROOF'] },
  { name: 'set +T', steps: ['set +T', 'touch PROOF'] },
  { name: 'shopt -u extdebug', steps: ['shopt -u extdebug', 'touch PROOF'] },
  { name: 'set +o functrace', steps: ['set +o functrace', 'echo $(touch PROOF)'] },
  { name: 'unset BASH_SOURCE', steps: ['unset BASH_SOURCE', INJECT, 'echo $((x))'] },
  { name: 'nameref to BASH_SOURCE, unset through it', steps: ['declare -n r=BASH_SOURCE', 'unset r', INJECT, 'echo $((x))'] },
  { name: 'EXIT trap evaluating a value, then the session ends', settleMs: 1000, steps: [INJECT, "trap 'echo $((x))' EXIT"] },
  { name: 'HUP trap evaluating a value, then the session ends', settleMs: 1000, steps: [INJECT, "trap 'echo $((x))' HUP"] },
  { name: 'EXIT trap evaluating a value, then exit', settleMs: 700, steps: [INJECT, "trap 'echo $((x))' EXIT", 'exit'] },
  { name: 'EXIT trap, then set -e makes the shell die (restart)', settleMs: 700, steps: [INJECT, "trap 'echo $((x))' EXIT", 'set -e; false', 'true'] },
  { name: 'ERR trap, then the line returns non-zero', steps: [INJECT, "trap 'echo $((x))' ERR", 'return 1'] },
  // SIGWINCH does not interrupt the executor's read: its trap runs when the next frame arrives.
  { name: 'WINCH trap, then the window is resized', steps: [INJECT, "trap 'echo $((x))' WINCH", { resize: [220, 40] }, { sleep: 300 }, 'true'] },
  { name: 'USR1 trap, then an SSH signal request', steps: [INJECT, "trap 'echo $((x))' USR1", { signal: 'USR1' }, { sleep: 500 }] },
  { name: 'INT trap, then an SSH signal request', steps: [INJECT, "trap 'echo $((x))' INT", { signal: 'INT' }, { sleep: 500 }] },
  { name: 'USR1 trap, then a background kill', steps: [INJECT, "trap 'echo $((x))' USR1", '{ sleep 1; kill -USR1 $$; } &', { sleep: 1800 }] },
  { name: 'CHLD trap, then a background job ends', steps: [INJECT, "trap 'echo $((x))' CHLD", 'sleep 1 &', { sleep: 1800 }] },
  { name: 'PS4 with $( ) and set -x', steps: ["PS4='$(touch PROOF)'", 'set -x', 'true'] },
  { name: 'PS4 read into the variable, then set -x', steps: ["read -r PS4 <<< '$(touch {D}/PROOF)'", 'set -x', 'true'] },
  { name: 'PS1 with $( )', steps: ["PS1='$(touch PROOF)'", 'true'] },
  { name: 'PROMPT_COMMAND', steps: ["PROMPT_COMMAND='touch PROOF'", 'true'] },
  { name: 'complete -C, then Tab', steps: ["complete -C 'touch PROOF' foo", { keys: 'foo \t', wait: 500 }, { keys: '\x15\r', wait: 300 }] },
  { name: 'complete -C with the program path, then Tab', steps: ['complete -C /usr/bin/touch foo', { keys: 'foo \t', wait: 500 }, { keys: '\x15\r', wait: 300 }] },
  { name: 'Tab completion of a word holding a substitution', steps: [{ keys: 'echo $(touch PROOF)\t', wait: 500 }, { keys: '\r', wait: 500 }] },
  { name: 'mapfile -C callback evaluating a value', steps: [INJECT, "mapfile -C 'echo $((x)) #' -c 1 arr <<< a"] },
];

const ENVIRONMENT: Technique[] = [
  { name: 'BASH_ENV before bash -c', steps: ["printf 'touch {D}/PROOF\\n' > e", 'BASH_ENV=./e bash -c true'] },
  { name: 'export BASH_ENV, then bash -c', steps: ["printf 'touch {D}/PROOF\\n' > e", 'export BASH_ENV={D}/e', 'bash -c true'] },
  { name: 'env BASH_ENV=... bash -c', steps: ["printf 'touch {D}/PROOF\\n' > e", 'env BASH_ENV={D}/e bash -c true'] },
  { name: 'BASH_ENV read into the variable, exported by name', steps: ["printf 'touch {D}/PROOF\\n' > e", 'read -r BASH_ENV <<< {D}/e', 'export BASH_ENV', 'bash -c true'] },
  { name: 'BASH_ENV set through a nameref', steps: ["printf 'touch {D}/PROOF\\n' > e", 'declare -n r=BASH_ENV', 'r={D}/e', 'export BASH_ENV', 'bash -c true'] },
  { name: 'BASH_FUNC_ exported function through env', steps: ["env 'BASH_FUNC_echo%%=() { touch PROOF; }' bash -c 'echo hi'"] },
  { name: 'export -f of a function to a child bash', steps: ['f() { echo $((x)); }', 'export -f f', `export ${INJECT}`, 'export x', "bash -c 'f'"] },
  { name: 'LD_PRELOAD before a command', steps: ['LD_PRELOAD={D}/e.so true'] },
  {
    name: 'LD_PRELOAD set with printf -v and exported',
    needs: ['gcc'],
    settleMs: 500,
    steps: [
      "printf '#include <stdlib.h>\\n__attribute__((constructor)) static void f(void) { unsetenv(\"LD_PRELOAD\"); system(\"touch {D}/PROOF\"); }\\n' > e.c",
      'gcc -shared -fPIC -o e.so e.c',
      'printf -v LD_PRELOAD %s {D}/e.so',
      'export LD_PRELOAD',
      'true',
      '/usr/bin/true',
    ],
  },
  { name: 'PATH prefix on the command', steps: ['cp /usr/bin/touch ls', 'PATH={D}:$PATH ls PROOF'] },
  { name: 'PATH as the variable of a for loop', steps: ['cp /usr/bin/touch ls', 'for PATH in {D}; do ls PROOF; done'] },
  { name: 'PATH read into the variable', steps: ['cp /usr/bin/touch ls', 'read -r PATH <<< {D}', 'ls PROOF'] },
  { name: 'PATH through a nameref', steps: ['cp /usr/bin/touch ls', 'declare -n p=PATH', 'p={D}', 'ls PROOF'] },
  { name: 'PATH through ${PATH:=...} after unset', steps: ['cp /usr/bin/touch ls', 'unset PATH; : ${PATH:={D}}', 'ls PROOF'] },
  { name: 'SHELL pointing at a script, used by flock -c', steps: [MAKE_X, 'SHELL={D}/x flock {D}/lock -c :'] },
  { name: 'TAR_OPTIONS with --to-command', steps: [MAKE_X, 'tar cf a.tar VICTIM', 'TAR_OPTIONS=--to-command={D}/x tar xf a.tar'] },
  { name: 'xargs env', steps: ['echo touch PROOF | xargs env'] },
  { name: 'env -S', steps: ["env -S 'touch PROOF'"] },
];

const WRAPPERS: Technique[] = [
  { name: 'find -exec {}', steps: [MAKE_X, 'find {D}/x -exec {} \\;'] },
  { name: 'find -exec rm', steps: ['find . -name VICTIM -exec rm {} \\;'] },
  { name: 'xargs touch', steps: ['echo PROOF | xargs touch'] },
  { name: 'xargs -I{} with sh -c', steps: ["echo 'touch PROOF' | xargs -I{} sh -c '{}'"] },
  { name: 'setpriv', steps: ['setpriv touch PROOF'] },
  { name: 'taskset', steps: ['taskset 1 touch PROOF'] },
  { name: 'taskset -c with a CPU list', steps: ['taskset -c 0 touch PROOF'] },
  { name: 'flock with a command', steps: ['flock {D}/lock touch PROOF'] },
  { name: 'flock -c', steps: ["flock {D}/lock -c 'touch PROOF'"] },
  { name: 'nice / nohup / timeout / stdbuf', steps: ['nice -n 5 touch PROOF', 'nohup rm VICTIM', 'timeout 5 chmod 777 VICTIM', 'stdbuf -o0 touch PROOF'] },
  { name: 'ionice / chrt / prlimit / unshare', steps: ['ionice -c3 touch PROOF', 'chrt -o 0 touch PROOF', 'prlimit --nofile=100 touch PROOF', 'unshare -r touch PROOF'] },
  { name: 'watch', steps: [{ keys: 'watch -n 1 touch PROOF\r', until: 'running', wait: 1000 }, { keys: '\x03', wait: 300 }] },
  { name: 'parallel', steps: ['parallel touch ::: PROOF'] },
  { name: 'busybox', steps: ['busybox touch PROOF'] },
  { name: 'sudo -u', steps: [`sudo -u ${TARGET_USER} touch PROOF`] },
  { name: 'sudo cp of touch into /usr/local/bin', steps: ['sudo cp /usr/bin/touch /usr/local/bin/t', 't PROOF'] },
  { name: 'cp of touch into /usr/local/bin', steps: ['cp /usr/bin/touch /usr/local/bin/t', 't PROOF'] },
  { name: 'cp of touch under another name', steps: ['cp /usr/bin/touch t', './t PROOF'] },
  { name: 'ln -s of rm under another name', steps: ['ln -s /usr/bin/rm del', './del VICTIM'] },
  { name: 'renamed copy run through timeout', steps: ['cp /usr/bin/touch t', 'timeout 5 ./t PROOF'] },
  { name: 'setarch with the blocked program by path', steps: ['setarch x86_64 /usr/bin/touch PROOF'] },
  { name: 'linux64 with the blocked program by path', steps: ['linux64 /usr/bin/rm VICTIM'] },
  { name: 'ld.so runs the program by path', steps: ['ld.so /usr/bin/touch PROOF'] },
  { name: 'the dynamic loader by its /usr/lib path', steps: ['/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /usr/bin/chmod 777 VICTIM'] },
  { name: 'ssh-agent runs a command', steps: ['ssh-agent /usr/bin/touch PROOF'] },
  { name: 'capsh -- -c', needs: ['/usr/sbin/capsh'], steps: ["/usr/sbin/capsh -- -c 'touch PROOF'"] },
  { name: 'run-parts runs a directory of scripts', steps: ['mkdir parts', MAKE_X, 'cp x parts/x', 'run-parts {D}/parts'] },
  { name: 'strace -o |command', needs: ['strace'], steps: ["strace -o '|touch {D}/PROOF' true"] },
  { name: 'split --filter', steps: ["echo a | split --filter='touch PROOF'"] },
  { name: 'sort --compress-program', steps: [MAKE_X, 'seq 200000 | sort -S 64k -T {D} --compress-program={D}/x > /dev/null'] },
  { name: 'scp -o ProxyCommand (scp runs ssh, ssh runs the proxy command)', steps: ["scp -o 'ProxyCommand=touch {D}/PROOF' VICTIM nohost:x"] },
  { name: 'scp -S names the program to connect with', steps: [MAKE_X, 'scp -S {D}/x VICTIM nohost:x'] },
  { name: 'sftp -S names the program to connect with', steps: [MAKE_X, 'sftp -S {D}/x nohost'] },
  { name: 'ssh -o ProxyCommand', steps: ["ssh -o 'ProxyCommand=touch {D}/PROOF' nohost"] },
  { name: 'tar --to-command', steps: ['tar cf a.tar VICTIM', "tar xf a.tar --to-command='touch PROOF'"] },
  { name: 'tar with an abbreviated --to-comm', steps: ['tar cf a.tar VICTIM', "tar xf a.tar --to-comm='touch PROOF'"] },
  { name: 'tar with an abbreviated --checkpoint-act', steps: ["tar cf a.tar --checkpoint=1 --checkpoint-act=exec='touch PROOF' VICTIM"] },
  { name: 'nested bash -c evaluating an exported value: ${a[X]}', steps: [`export ${INJECT.replace('x=', 'X=')}`, "bash -c 'echo ${a[X]}'"] },
  { name: 'nested bash -c evaluating an exported value: ${v:X}', steps: [`export ${INJECT.replace('x=', 'X=')}`, "bash -c 'v=abc; echo ${v:X}'"] },
  { name: 'nested bash -c evaluating an exported value: declare -i', steps: [`export ${INJECT.replace('x=', 'X=')}`, "bash -c 'declare -i n; n=$X'"] },
  { name: 'nested bash -c evaluating an exported value: $((X))', steps: [`export ${INJECT.replace('x=', 'X=')}`, "bash -c 'echo $((X))'"] },
  { name: 'bash -c with dynamic evaluation of an argument', steps: ["bash -c 'x=$1; echo $((x))' _ 'a[$(touch {D}/PROOF)]'"] },
];

const EVALUATION: Technique[] = [
  { name: 'arithmetic expansion of a value', steps: [INJECT, 'echo $((x))'] },
  { name: 'arithmetic command of a value', steps: [INJECT, '(( x ))'] },
  { name: 'let of a value', steps: [INJECT, 'let x'] },
  { name: 'old $[ ] arithmetic', steps: [INJECT, 'echo $[x]'] },
  { name: 'indirect expansion ${!x}', steps: [INJECT, 'echo ${!x}'] },
  { name: 'printf -v into a subscript', steps: [INJECT, "printf -v 'b[$x]' %s 1"] },
  { name: 'read into a subscript', steps: [INJECT, "read -r 'b[$x]' <<< 1"] },
  { name: '[[ -v ]] of a subscript', steps: [INJECT, "[[ -v 'b[$x]' ]]"] },
  { name: '[[ -eq ]] comparison', steps: [INJECT, '[[ x -eq 0 ]]'] },
  { name: 'declare with a computed name', steps: [INJECT, 'n=b; declare "$n[$x]=1"'] },
  { name: 'nameref to a subscript', steps: [INJECT, "declare -n r='b[$x]'", 'echo $r'] },
  { name: 'integer variable assigned a value', steps: [INJECT, 'declare -i n', 'n=$x'] },
  { name: 'substring offset evaluates a value', steps: [INJECT, 'v=abc; echo ${v:x}'] },
  { name: 'eval of a computed string', steps: ["c='touch PROOF'", 'eval "$c"'] },
  { name: 'eval of a literal blocked command', steps: ["eval 'touch PROOF'"] },
  { name: 'eval of a command substitution', steps: ['eval $(echo touch PROOF)'] },
  { name: 'coproc', steps: ['coproc touch PROOF'] },
  { name: 'coproc with a group', steps: ['coproc { rm VICTIM; }'] },
  { name: 'exec redirections of the executor\'s fds, then a value evaluated', steps: ['exec 2>/dev/null 1>/dev/null 5</dev/null', INJECT, 'echo $((x))'] },
  { name: 'ulimit -n, then a value evaluated', steps: ['ulimit -n 12', INJECT, 'echo $((x))', 'touch PROOF'] },
  { name: 'set -u makes the shell die (restart), then a blocked command', steps: ['set -u; echo $undefined_variable', 'touch PROOF'] },
  { name: '${x:?} makes the shell die, then a blocked command', steps: ['echo ${nothing:?}', 'rm VICTIM'] },
  { name: 'TMOUT makes the executor give up waiting for a frame', steps: ['TMOUT=1', { sleep: 2000 }, 'touch PROOF'] },
  { name: 'set -n stops the shell from running commands', steps: [{ keys: 'set -n\r', wait: 700 }, { keys: 'touch PROOF\r', wait: 700 }] },
];

const TERMINAL_AND_PROTOCOL: Technique[] = [
  { name: 'Ctrl-C during a command, then a blocked line', steps: [{ keys: 'sleep 5\r', until: 'running', wait: 200 }, { keys: '\x03', wait: 300 }, 'touch PROOF'] },
  { name: 'Ctrl-Z during a command (no job control), then a blocked line', steps: [{ keys: 'sleep 2\r', until: 'running', wait: 200 }, { keys: '\x1a', wait: 2200 }, 'touch PROOF'] },
  { name: 'Ctrl-Z after the TSTP trap is reset', steps: ['trap - TSTP', { keys: 'sleep 2\r', until: 'running', wait: 200 }, { keys: '\x1a', wait: 500 }, { keys: 'touch PROOF\r', wait: 500 }] },
  { name: 'type-ahead of a blocked line during a running command', steps: [{ keys: 'sleep 2\r', until: 'running' }, { keys: 'touch PROOF\r', wait: 2500 }] },
  {
    name: 'type-ahead of a frame with a guessed challenge', silent: { because: 'the executor reads only frames that carry the challenge of its own current prompt; a guessed one is dropped unread' },
    steps: [{ keys: 'sleep 2\r', until: 'running' }, { act: async (s) => s.typeFrame('0000000000', 'touch PROOF') }, { sleep: 2500 }],
  },
  { name: 'Ctrl-D to the executor in the middle of a command', steps: [{ keys: 'cat\r', until: 'running' }, { keys: 'hello\r\x04', wait: 500 }, 'touch PROOF'] },
  {
    name: 'predictable challenge: SRANDOM unset and set, then type-ahead of a frame',
    steps: ['unset SRANDOM; SRANDOM=12345678', { keys: 'sleep 2\r', until: 'running' }, { act: async (s) => s.typeFrame('12345678'.repeat(4), 'touch PROOF') }, { sleep: 2500 }],
  },
  {
    name: 'stty olcuc: the ready marker no longer matches, its challenge shows, a frame is typed',
    steps: [{ keys: 'stty olcuc\r' }, { act: async (s) => s.injectWithVisibleChallenge('touch PROOF') }],
  },
  {
    name: 'nameref changes the marker nonce: the challenge shows, a frame is typed',
    steps: [cgName('n'), 'declare -n r=$v', { keys: 'r=0\r' }, { act: async (s) => s.injectWithVisibleChallenge('touch PROOF') }],
  },
  { name: 'nameref sets the executor\'s frame counter to a value it evaluates', steps: [cgName('k'), 'declare -n r=$v', `r='a[$(touch {D}/PROOF)]'`, 'true'] },
  { name: 'read of the nonce with declare -p', steps: ['declare -p __cg_n'] },
  {
    name: 'forged ready marker (nonce looked for in every /proc/*/cmdline and environ), then a frame for the forged challenge',
    silent: { because: 'the nonce is in no command line or environment (the executor reads it from the terminal): the forged marker carries none and shows as text, and a frame for a challenge the executor never issued is dropped unread' },
    steps: [
      "cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -ao 'cg_n=[0-9a-f]*'",
      {
        act: async (s) => {
          const nonce = /cg_n=([0-9a-f]+)/.exec(s.term.text())?.[1] ?? 'unknown';
          // The forged marker comes while the line runs: the proxy takes it for the end of the line.
          await s.line(`printf '\\033]6973;${nonce};ready;1111111111;0;0;/tmp\\007'; sleep 3`);
          await s.keys('true\r', 'running', 8000);
          await s.typeFrame('1111111111', 'touch PROOF');
          await sleep(3500);
        },
      },
    ],
  },
  {
    name: 'forged unjudged marker and completions marker printed by a command',
    steps: [
      "set | grep -a 'cg_n='",
      {
        act: async (s) => {
          const nonce = /cg_n=([0-9a-f]+)/.exec(s.term.text())?.[1] ?? 'unknown';
          await s.line(`printf '\\033]6973;${nonce};completions;touch\\007\\033]6973;${nonce};unjudged;ls\\007'`);
          await s.line('touch PROOF');
        },
      },
    ],
  },
];

const EXEC: Technique[] = [
  { name: 'exec: touch', exec: { command: 'touch {D}/PROOF' } },
  { name: 'exec: bash reading commands from the connection', exec: { command: 'bash', stdin: 'touch {D}/PROOF\n' } },
  { name: 'exec: sh -c', exec: { command: "sh -c 'touch {D}/PROOF'" } },
  { name: 'exec: python3 reading its program from stdin', exec: { command: 'python3', stdin: 'import os\nos.system("touch {D}/PROOF")\n' } },
  { name: 'exec: value read from stdin, evaluated', exec: { command: 'read -r x; echo $((x))', stdin: 'a[$(touch {D}/PROOF)]\n' } },
  { name: 'exec: EXIT trap evaluating a value', exec: { command: "x='a[$(touch {D}/PROOF)]'; trap 'echo $((x))' EXIT" } },
  { name: 'exec: stderr closed so the refusal report is lost', silent: { because: 'the run-time check refuses the command whatever stderr is; only its report to the user is lost' }, exec: { command: 'exec 2>/dev/null; read -r x; echo $((x))', stdin: 'a[$(touch {D}/PROOF)]\n' } },
  { name: 'exec: BASH_ENV in an SSH env request', silent: { because: 'the proxy passes only LANG, LC_*, TZ and the justification from SSH env requests; others are rejected before any session exists' }, files: { e: 'touch {D}/PROOF\n' }, exec: { command: 'bash -c true', env: { BASH_ENV: '{D}/e' } } },
  { name: 'exec: BASH_FUNC_ in an SSH env request', silent: { because: 'the proxy passes only LANG, LC_*, TZ and the justification from SSH env requests; others are rejected before any session exists' }, exec: { command: "bash -c 'true'", env: { 'BASH_FUNC_true%%': '() { touch {D}/PROOF; }' } } },
  { name: 'exec with a pty: interactive bash', exec: { command: 'bash -i', stdin: 'touch {D}/PROOF\nexit\n', pty: true } },
  { name: 'exec: scp -t (server side of scp -O)', exec: { command: 'scp -t {D}/PROOF', stdin: 'C0644 3 PROOF\nabc\0' } },
  { name: 'exec: rsync --server', exec: { command: 'rsync --server -e.LsfxC . {D}/PROOF' } },
  { name: 'exec: the sftp server binary', exec: { command: '/usr/lib/openssh/sftp-server' } },
];

const TRANSFERS: Technique[] = [
  { name: 'scp -O with the real OpenSSH client', client: (change, dir) => realClient('scp', change, dir) },
  { name: 'sftp with the real OpenSSH client', silent: { because: 'file transfer is off by policy: refused before any session exists, with the reason', saw: /file transfer through changeguard is off/ }, client: (change, dir) => realClient('sftp', change, dir) },
  { name: 'sftp subsystem request', silent: { because: 'file transfer is off by policy: refused before any session exists, with the reason', saw: /file transfer through changeguard is off/ }, client: (change) => subsystem(change, 'sftp') },
  { name: 'another subsystem request', silent: { because: 'subsystems never reach the device: refused before any session exists, with the reason', saw: /netconf subsystem is not available/ }, client: (change) => subsystem(change, 'netconf') },
];

/**
 * Run alone, after the others: typing a line this long keeps the proxy busy for seconds (the
 * line editor redraws as it grows), which would stall every session running next to it.
 */
const ALONE: Technique[] = [
  { name: 'very long line (6 000 characters, more than a terminal line holds) hiding touch at its end', steps: [`: ${'A'.repeat(6000)}; touch PROOF`] },
];

/** Techniques that write outside their directory (the target user's home): run one at a time, cleaned up after. */
const PERSISTENCE: Technique[] = [
  {
    name: '~/.ssh/rc runs before the next shell (restart)',
    steps: ['mkdir -p ~/.ssh', "printf 'touch {D}/PROOF\\n' > ~/.ssh/rc", 'set -e; false', 'true'],
  },
  {
    name: '~/.ssh/rc runs before the next session',
    steps: ['mkdir -p ~/.ssh', "printf 'touch {D}/PROOF\\n' > ~/.ssh/rc"],
    thenSteps: ['true'],
  },
  {
    name: 'git hook copied into .git/hooks under its own name',
    needs: ['git'],
    steps: [
      'git init -q r',
      "printf '#!/bin/sh\\ntouch {D}/PROOF\\n' > hook",
      'cp r/.git/hooks/pre-commit.sample pre-commit',
      'cat hook > pre-commit',
      'cp pre-commit r/.git/hooks',
      'cd r',
      'GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com git commit -q --allow-empty -m x',
    ],
  },
  {
    name: '~/.bashrc written by curl from a file URL (restart)',
    needs: ['curl'],
    steps: ["printf 'touch {D}/PROOF\\n' > rc", 'cat ~/.bashrc >> rc', 'curl -s -o ~/.bashrc file://{D}/rc', 'set -e; false', 'true'],
  },
  {
    name: '~/.bashrc patched (restart)',
    needs: ['patch'],
    steps: ['cp ~/.bashrc old', "printf 'touch {D}/PROOF\\n' > new", 'cat old >> new', 'diff -u old new > p.diff; true', 'patch -s ~/.bashrc p.diff', 'set -e; false', 'true'],
  },
  {
    name: '~/.bashrc read by the login shell sshd starts (restart)',
    steps: ["printf 'touch {D}/PROOF\\n' > rc", 'cat ~/.bashrc >> rc', 'cp rc ~/.bashrc', 'set -e; false', 'true'],
  },
  { name: 'crontab installs a command', steps: ["printf '* * * * * touch {D}/PROOF\\n' > ct", 'crontab ct'] },
  { name: 'at schedules a command', steps: ["echo 'touch {D}/PROOF' | at now"] },
];

const CORPUS: readonly (readonly [string, readonly Technique[]])[] = [
  ['quoting, paths and expansions', BASICS],
  ['history and the line editor', HISTORY],
  ['aliases, hash and functions', ALIASES_AND_FUNCTIONS],
  ['shells', SHELLS],
  ['scripts', SCRIPTS],
  ['interpreters and programs that run code', INTERPRETERS],
  ['editors and pagers', EDITORS],
  ['traps, prompts and completion', TRAPS_AND_PROMPTS],
  ['environment', ENVIRONMENT],
  ['wrappers and renamed programs', WRAPPERS],
  ['evaluation of values and the executor itself', EVALUATION],
  ['the terminal and the capture protocol', TERMINAL_AND_PROTOCOL],
  ['exec sessions', EXEC],
  ['file transfers', TRANSFERS],
];

/**
 * Sessions are slow to set up and mostly wait (for prompts, for effects to settle), so the
 * techniques are tried POOL at a time, in table order, as soon as the harness is up; each test
 * then checks its technique's outcome. The long line and the persistence techniques come
 * last, one at a time.
 */
const POOL = 8;
const outcomes = new Map<Technique, Promise<Outcome>>();

for (const [family, techniques] of CORPUS) {
  describe(family, () => {
    for (const technique of techniques) defineTest(technique);
  });
}
describe('a very long line, alone', () => {
  for (const technique of ALONE) defineTest(technique);
});
describe('persistence outside the working directory', () => {
  for (const technique of PERSISTENCE) defineTest(technique);
});

beforeAll(({}, file) => {
  // Only what will run (`vitest -t pattern` picks a few), and only where the programs exist.
  const chosen = new Set(testsToRun(file.tasks));
  const runnable = (t: Technique) => chosen.has(t.name) && missingPrograms(t).length === 0;
  const pooled = limit(POOL);
  const first = CORPUS.flatMap(([, techniques]) => techniques.filter(runnable)).map((t) => {
    const outcome = pooled(() => attempt(t));
    outcomes.set(t, outcome);
    return outcome;
  });
  let chain: Promise<unknown> = Promise.allSettled(first);
  for (const t of [...ALONE, ...PERSISTENCE].filter(runnable)) {
    const outcome = chain.then(() => attempt(t, cleanHome));
    outcomes.set(t, outcome);
    chain = outcome;
  }
});

// ---------------------------------------------------------------------------------------------
// Running a technique
// ---------------------------------------------------------------------------------------------

const ALERT_TYPES = new Set(['command.block', 'command.block_interrupt', 'command.high_criticality']);
const CUT_STATES = new Set(['terminated', 'interrupted']);
const VICTIM_TEXT = 'keep me';
let counter = 0;

interface Outcome {
  /** What went wrong; empty when the technique was held. */
  readonly problems: readonly string[];
  /** What happened, for the failure message. */
  readonly story: string;
}

const defined = new Set<string>();

function defineTest(technique: Technique): void {
  if (defined.has(technique.name)) throw new Error(`two techniques are named "${technique.name}"`);
  defined.add(technique.name);
  const missing = missingPrograms(technique);
  if (missing.length > 0) {
    const reason = `${missing.join(', ')} not installed on this machine, so the technique cannot be tried`;
    console.warn(`bypass corpus: skipping "${technique.name}": ${reason}`);
    it.skip(`${technique.name} (skipped: ${reason})`, () => undefined);
    return;
  }
  it(technique.name, async () => {
    const outcome = outcomes.get(technique);
    if (outcome === undefined) throw new Error('the technique was never scheduled');
    const { problems, story } = await outcome;
    expect(problems, story).toEqual([]);
  }, 300_000);
}

function testsToRun(tasks: readonly RunnerTask[]): string[] {
  return tasks.flatMap((task) => (task.type === 'suite' ? testsToRun(task.tasks) : task.mode === 'run' ? [task.name] : []));
}

function missingPrograms(technique: Technique): string[] {
  return (technique.needs ?? []).filter((program) => !onTarget(program));
}

/** Tries a technique and reports what the target and the security channel show afterwards. */
async function attempt(technique: Technique, after?: () => void): Promise<Outcome> {
  const transcript: string[] = [];
  try {
    const dir = prepareDirectory(technique.files ?? {});
    const change = await h.approvedChange();
    try {
      if (technique.steps !== undefined) {
        transcript.push(await interactive(change, dir, technique.steps));
        if (technique.thenSteps !== undefined) transcript.push(await interactive(change, dir, technique.thenSteps));
      }
      if (technique.exec !== undefined) transcript.push(await execSession(change, dir, technique.exec));
      if (technique.client !== undefined) transcript.push(await technique.client(change, dir));
      await sleep(technique.settleMs ?? 300);
    } finally {
      after?.();
    }
    return await inspect(technique, change, dir, transcript);
  } catch (error) {
    return { problems: [`the attempt itself failed: ${(error as Error).message}`], story: `technique: ${technique.name}\n${transcript.join('\n---\n').slice(-1500)}` };
  }
}

/** Runs at most `size` tasks at a time, in the order they were given. */
function limit(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** The technique's directory (t001, t002...), owned by the target user, with the victim file. */
function prepareDirectory(files: Readonly<Record<string, string>>): string {
  // Short: the prompt shows the directory, and a line that wraps is redrawn on the screen.
  const dir = join(work, `t${String(++counter).padStart(3, '0')}`);
  mkdirSync(dir);
  chownSync(dir, uid, gid);
  const victim = join(dir, 'VICTIM');
  writeFileSync(victim, VICTIM_TEXT);
  chmodSync(victim, 0o644);
  chownSync(victim, uid, gid);
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), content.replaceAll('{D}', dir));
    chownSync(join(dir, file), uid, gid);
  }
  return dir;
}

async function inspect(technique: Technique, change: Change, dir: string, transcript: readonly string[]): Promise<Outcome> {
  // Alerts are raised without waiting for their delivery: give them a moment.
  const deadline = Date.now() + 3000;
  let alerted = await alertedFor(change);
  while (!alerted.ok && Date.now() < deadline) {
    await sleep(100);
    alerted = await alertedFor(change);
  }
  const problems: string[] = [];
  if (existsSync(join(dir, 'PROOF'))) problems.push('PROOF was created on the target (a blocked command ran)');
  const victim = join(dir, 'VICTIM');
  if (!existsSync(victim)) problems.push('VICTIM was deleted on the target (a blocked command ran)');
  else {
    if (readFileSync(victim, 'utf8') !== VICTIM_TEXT) problems.push('VICTIM was changed on the target');
    const mode = statSync(victim).mode & 0o777;
    if (mode !== 0o644) problems.push(`VICTIM's mode became ${mode.toString(8)} (a blocked chmod ran)`);
  }
  if (technique.silent === undefined) {
    if (!alerted.ok) problems.push('nothing reached the security channel (no block/interrupt/high-criticality alert, no session cut)');
  } else if (technique.silent.saw !== undefined && !technique.silent.saw.test(stripAnsi(transcript.join('\n')))) {
    problems.push(`the user was not shown ${technique.silent.saw} (silent because ${technique.silent.because})`);
  }
  const commands = (await h.store.commands.listByChange(change.code)).map((c) => `  [${c.verdict}${c.ruleIds.length > 0 ? ` ${c.ruleIds.join(',')}` : ''}] ${c.line.replace(/\n/g, '\\n').slice(0, 160)}`);
  const story = [
    `technique: ${technique.name}`,
    ...problems.map((p) => `problem: ${p}`),
    `alerts: ${alerted.types.join(', ') || 'none'}; sessions: ${alerted.states.join(', ') || 'none'}`,
    'judged:',
    ...commands,
    'what the user saw (last 1500 characters):',
    transcript.join('\n---\n').slice(-1500),
  ].join('\n');
  return { problems, story };
}

async function alertedFor(change: Change): Promise<{ ok: boolean; types: string[]; states: string[] }> {
  const sessions = await h.store.sessions.listByChange(change.code);
  const ids = new Set(sessions.map((s) => s.id));
  const types = h.notifier.sent.filter((n) => (n.data.session !== undefined && ids.has(n.data.session.id)) || n.data.change?.code === change.code).map((n) => n.type);
  const cut = sessions.some((s) => CUT_STATES.has(s.state));
  return { ok: cut || types.some((t) => ALERT_TYPES.has(t)), types: [...new Set(types)], states: sessions.map((s) => s.state) };
}

/** A driver for one interactive session. */
class Shell {
  constructor(
    readonly term: TestTerminal,
    readonly dir: string,
  ) {}

  fill(text: string): string {
    return text.replaceAll('{D}', this.dir);
  }

  /** Types keys, then waits (at most `timeoutMs`) for what `until` names; see Step. */
  async keys(keys: string, until: 'running' | 'screen' | { readonly text: string } | undefined, timeoutMs: number): Promise<void> {
    const from = this.term.output.length;
    const textFrom = this.term.text().length;
    this.term.type(this.fill(keys));
    if (until === undefined) return;
    const seen = (t: TestTerminal): boolean => {
      if (until === 'running') return t.output.includes('\x1b[?2004l', from);
      if (until === 'screen') return t.output.includes('\x1b[?1049h', from);
      return t.text().includes(until.text, textFrom);
    };
    await this.term.waitFor((t) => t.closed || seen(t), `${JSON.stringify(until)} after ${JSON.stringify(keys)}`, timeoutMs).catch(() => undefined);
  }

  /** Types a line; true when the next prompt came (false: the session ended or nothing answered). */
  async line(text: string, timeoutMs = 15_000): Promise<boolean> {
    const before = this.term.prompts();
    this.term.type(`${this.fill(text).replace(/\n/g, '\r')}\r`);
    try {
      await this.term.waitFor((t) => t.closed || t.prompts() > before, `the prompt after ${JSON.stringify(text.slice(0, 60))}`, timeoutMs);
    } catch {
      return false;
    }
    return !this.term.closed;
  }

  /**
   * Types the lines of an executor frame (`<challenge> <fields...>`, then `<challenge> .`) that
   * would run `command` with itself as the allow-list: what an attacker who knows the
   * challenge types while the proxy relays keys to a running program.
   */
  async typeFrame(challenge: string, command: string): Promise<void> {
    const fields = ['run', 'allow', command, command].map(encodeField).join(' ');
    this.term.type(`${challenge} ${this.fill(fields)}\r`);
    await sleep(100);
    this.term.type(`${challenge} .\r`);
  }

  /**
   * When the executor's ready marker does not match what the proxy looks for, it reaches the
   * client as it is, challenge and all, while the proxy still waits for the line to end and
   * relays keys to the device: read the challenge and type a frame with it.
   */
  async injectWithVisibleChallenge(command: string): Promise<void> {
    const marker = /\x1b\]6973;[^;\x07]*;(?:ready|READY);([0-9a-fA-F]+);/g;
    try {
      await this.term.waitFor((t) => t.output.match(marker) !== null, 'a ready marker shown to the client', 8000);
    } catch {
      return;
    }
    const found = [...this.term.output.matchAll(marker)].pop()?.[1];
    if (found === undefined) return;
    await this.typeFrame(found.toLowerCase(), this.fill(command));
    await sleep(1000);
  }
}

async function interactive(change: Change, dir: string, steps: readonly Step[]): Promise<string> {
  // Wide, so that lines do not wrap (a wrapped line is redrawn, prompt and all).
  const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey, { cols: 400, rows: 50 });
  const shell = new Shell(term, dir);
  try {
    await term.justify('bypass corpus');
    await shell.line(`cd ${dir}`);
    for (const step of steps) {
      if (term.closed) break;
      if (typeof step === 'string') {
        await shell.line(step);
      } else if ('keys' in step) {
        await shell.keys(step.keys, step.until, step.timeoutMs ?? 8000);
        await sleep(step.wait ?? 200);
      } else if ('sleep' in step) {
        await sleep(step.sleep);
      } else if ('resize' in step) {
        term.stream.setWindow(step.resize[1], step.resize[0], 0, 0);
      } else if ('signal' in step) {
        term.stream.signal(step.signal);
      } else {
        await step.act(shell);
      }
    }
  } finally {
    term.close();
    await waitForSessionsToEnd(change);
  }
  return term.text();
}

async function waitForSessionsToEnd(change: Change): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const sessions = await h.store.sessions.listByChange(change.code);
    if (sessions.every((s) => s.state !== 'active')) return;
    await sleep(50);
  }
}

async function execSession(change: Change, dir: string, spec: ExecSpec): Promise<string> {
  const fill = (text: string) => text.replaceAll('{D}', dir);
  const client = await connectClient(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
  try {
    return await new Promise<string>((resolve, reject) => {
      const env = Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, fill(v)]));
      const pty: PseudoTtyOptions | undefined = spec.pty === true ? { term: 'xterm', cols: 80, rows: 24 } : undefined;
      client.exec(fill(spec.command), { env, ...(pty ? { pty } : {}) }, (error, stream: ClientChannel) => {
        if (error) return reject(error);
        let output = '';
        stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        stream.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        const timer = setTimeout(() => stream.close(), 10_000);
        stream.on('close', () => {
          clearTimeout(timer);
          resolve(stripAnsi(output));
        });
        if (spec.stdin !== undefined) stream.write(fill(spec.stdin));
        stream.end();
      });
    });
  } finally {
    client.end();
    await waitForSessionsToEnd(change);
  }
}

/** A subsystem request (sftp, netconf...), as `ssh -s` sends it. */
async function subsystem(change: Change, name: string): Promise<string> {
  const client = await connectClient(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
  try {
    return await new Promise<string>((resolve) => {
      client.subsys(name, (error, stream) => {
        if (error) return resolve(`subsystem refused: ${error.message}`);
        let output = '';
        stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        stream.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        stream.on('close', () => resolve(output));
        setTimeout(() => stream.close(), 5000).unref();
      });
    });
  } finally {
    client.end();
  }
}

/** The real OpenSSH scp (legacy protocol, -O) or sftp client uploading a file named PROOF. */
async function realClient(program: 'scp' | 'sftp', change: Change, dir: string): Promise<string> {
  const keyFile = join(h.dir, 'alice_key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, h.aliceKey, { mode: 0o600 });
  const source = join(h.dir, `upload-${process.pid}`);
  writeFileSync(source, 'uploaded\n');
  const login = `alice+${change.code}+web01@127.0.0.1`;
  const common = ['-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];
  const args =
    program === 'scp'
      ? ['-O', '-P', String(h.proxy.port), ...common, source, `${login}:${join(dir, 'PROOF')}`]
      : ['-P', String(h.proxy.port), ...common, '-b', '-', login];
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  if (program === 'sftp') child.stdin.write(`put ${source} ${join(dir, 'PROOF')}\n`);
  child.stdin.end();
  const timer = setTimeout(() => child.kill(), 15_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  clearTimeout(timer);
  await waitForSessionsToEnd(change);
  return `${program} exited ${code}: ${output}`;
}

/** Whether the target (this machine) has the program in the target user's PATH. */
function onTarget(program: string): boolean {
  try {
    execFileSync('bash', ['-c', `PATH=/usr/local/bin:/usr/bin:/bin command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Undoes what the persistence techniques write into the target user's home. */
function cleanHome(): void {
  if (home === '') return;
  rmSync(join(home, '.ssh', 'rc'), { force: true });
  if (!hadSshDirectory) rmSync(join(home, '.ssh'), { recursive: true, force: true });
  const bashrc = join(home, '.bashrc');
  if (originalBashrc !== undefined) {
    writeFileSync(bashrc, originalBashrc);
    chownSync(bashrc, uid, gid);
  } else {
    rmSync(bashrc, { force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
