import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRule } from '../support/factories.js';
import { startProxyHarness, TestTerminal, type ProxyHarness } from '../support/proxyHarness.js';
import { verifyAudit } from './storeSnapshot.js';

/**
 * Hostile keystrokes at changeguard's prompt, in front of a real bash. Each trick tries to make
 * what changeguard judges differ from what bash runs (control characters, escape sequences,
 * forged protocol text, rewritten prompts). Whatever the trick, the blocked command must not
 * run (the victim file survives) and the session must say why. Tricks covered elsewhere:
 * editing, history, completion and pastes (test/integration/proxy/shellSession), and the
 * bypass corpus (test/integration/proxy/bypassCorpus).
 */

let h: ProxyHarness;
beforeAll(async () => {
  h = await startProxyHarness({
    rules: [buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' })],
  });
});
afterAll(async () => h?.stop());

async function openTerminal(): Promise<{ term: TestTerminal; code: string }> {
  const change = await h.approvedChange();
  const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
  await term.justify('bad-input suite');
  return { term, code: change.code };
}

/** Sends the bytes of one line and Enter, then waits for the next prompt. */
async function submit(term: TestTerminal, line: Buffer): Promise<void> {
  const before = term.prompts();
  term.stream.write(Buffer.concat([line, Buffer.from('\r')]));
  await term.waitFor((t) => t.prompts() > before && t.atPrompt(), 'the next prompt');
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const CSI8 = '\u009b';

interface Trick {
  readonly name: string;
  /** Lines typed one after the other; the last one tries to delete `victim`. */
  readonly lines: (victim: string) => Buffer[];
  /** How it is refused: judged and blocked by the rule, or blocked as a line holding control characters. */
  readonly refusal: 'rule' | 'unreadable';
}

const notPermitted = 'rule' as const;
const unreadable = 'unreadable' as const;

const tricks: Trick[] = [
  {
    name: 'invalid UTF-8 bytes after the command',
    lines: (victim) => [Buffer.concat([utf8(`rm -rf ${victim} `), Buffer.from([0xff, 0xfe, 0xc3])])],
    refusal: notPermitted,
  },
  {
    name: 'C0 controls typed raw (Ctrl-A jumps home, Ctrl-E to the end: readline edits, the screen follows)',
    lines: (victim) => [utf8(`-rf ${victim}\x01rm \x05`)],
    refusal: notPermitted,
  },
  {
    name: 'cursor keys and spaces over the visible command',
    lines: (victim) => [utf8(`rm -rf ${victim}\x1b[H\x1b[D\x1b[D   `)],
    refusal: notPermitted,
  },
  {
    name: 'a carriage return inserted with Ctrl-V to overwrite the visible line',
    lines: (victim) => [utf8(`rm -rf ${victim} #\x16\recho harmless`)],
    refusal: notPermitted,
  },
  {
    name: 'a newline inserted with Ctrl-V (drawn as ^J, run as a separator)',
    lines: (victim) => [utf8(`echo harmless\x16\nrm -rf ${victim}`)],
    refusal: notPermitted,
  },
  {
    name: 'an escape sequence inserted with Ctrl-V (drawn as ^[)',
    lines: (victim) => [utf8(`rm -rf ${victim} #\x16\x1b[999D\x16\x1b[30m`)],
    refusal: notPermitted,
  },
  {
    name: 'a C1 CSI moving the cursor back to draw "echo" over the command',
    lines: (victim) => {
      const head = `rm -rf ${victim} #`;
      return [utf8(`${head}${CSI8}${head.length}Decho ok #${CSI8}K`)];
    },
    refusal: unreadable,
  },
  {
    name: 'C1 SGR black-on-black around the command',
    lines: (victim) => [utf8(`${CSI8}30;40mrm -rf ${victim}${CSI8}0m`)],
    refusal: unreadable,
  },
  {
    name: 'a raw 8-bit CSI byte (invalid UTF-8) before a cursor move',
    lines: (victim) => {
      const head = `rm -rf ${victim} #`;
      return [Buffer.concat([utf8(head), Buffer.from([0x9b]), utf8(`${head.length}Decho ok`)])];
    },
    refusal: notPermitted,
  },
  {
    name: 'a bracketed paste holding a second start marker and an Enter before its end',
    lines: (victim) => [utf8(`\x1b[200~echo pasted\x1b[200~\rrm -rf ${victim}\x1b[201~`)],
    refusal: unreadable,
  },
  {
    name: 'OSC 133 prompt markers typed by the user (with the session nonce copied from PS0)',
    lines: (victim) => [utf8('x=${PS0#*cg=}; n=${x%?}'), utf8(`printf '\\e]133;A;cg=%s\\a$ \\e]133;B;cg=%s\\aecho ' $n $n; rm -rf ${victim}`)],
    refusal: notPermitted,
  },
  {
    name: 'OSC 133 markers printed by command output to fake a prompt',
    lines: (victim) => [utf8('x=${PS0#*cg=}; n=${x%?}; printf "\\e]133;A;cg=$n\\a$ \\e]133;B;cg=$n\\aecho "'), utf8(`rm -rf ${victim}`)],
    refusal: notPermitted,
  },
  {
    name: 'a prompt rewritten to print text after its input marker (PS1="${PS1}echo ")',
    lines: (victim) => [utf8('PS1="${PS1}echo "'), utf8(`rm -rf ${victim}`)],
    refusal: notPermitted,
  },
];

describe('session input: tricks to fool the command capture', () => {
  for (const trick of tricks) {
    it(`refuses ${trick.name}`, async () => {
      const victim = join(h.target.workDir, `victim-${tricks.indexOf(trick)}`);
      writeFileSync(victim, 'keep me');
      const { term, code } = await openTerminal();
      for (const line of trick.lines(victim)) await submit(term, line);
      const refused = trick.refusal === 'rule' ? /is not permitted \(rule no-recursive-rm\)/ : /contains an invisible control character/;
      await term.waitFor((t) => refused.test(t.text()), `the refusal (${refused.source})`);
      if (!existsSync(victim)) console.log(JSON.stringify(term.text()));
      expect(existsSync(victim) && readFileSync(victim, 'utf8')).toBe('keep me');
      expect(term.closed).toBe(false);
      // The refusal is shown and on record.
      const [session] = await h.store.sessions.listByChange(code);
      if (trick.refusal === 'rule') {
        expect(term.text()).toMatch(/is not permitted \(rule no-recursive-rm\)/);
        await expect
          .poll(async () => (await h.store.commands.listBySession(session!.id)).some((c) => c.verdict === 'block' && c.line.includes(victim)))
          .toBe(true);
      } else {
        await expect.poll(async () => (await h.store.commands.listBySession(session!.id)).at(-1)?.ruleIds).toEqual(['(unreadable)']);
      }
      expect((await h.store.commands.listBySession(session!.id)).filter((c) => c.verdict === 'allow' && c.line.includes(victim))).toEqual([]);
      term.close();
    });
  }

  it('leaves the audit chain whole after all of them', async () => {
    const verification = await verifyAudit(h.store);
    expect(verification).toMatchObject({ ok: true });
    expect(verification.count).toBeGreaterThan(0);
  });
});
