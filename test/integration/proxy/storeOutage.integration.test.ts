import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRule } from '../../support/factories.js';
import { execThroughProxy, startProxyHarness, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';

/** With the store gone, the proxy fails closed unless told otherwise (PROXY_ON_STORE_OUTAGE). */

const rules = [buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' })];
let h: ProxyHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function sessionThenOutage(harness: ProxyHarness) {
  const change = await harness.approvedChange();
  const term = await TestTerminal.open(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey);
  await term.justify();
  term.type('true\r');
  await term.waitForPrompt(2);
  await harness.store.close();
  return { change, term };
}

describe('when the store is unreachable', () => {
  it('blocks every command of live sessions and refuses new logins (the default)', async () => {
    h = await startProxyHarness({ rules });
    const { change, term } = await sessionThenOutage(h);
    const marker = join(h.target.workDir, 'during-outage');
    term.type(`touch ${marker}\r`);
    await term.waitForText('changeguard cannot record commands right now (its store is unreachable): the command is blocked');
    await term.waitForPrompt(3);
    expect(existsSync(marker)).toBe(false);
    // Refused with the reason (test/fault/storeOutage covers this and the store's return).
    const login = await execThroughProxy(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey, `touch ${marker}`);
    expect(login).toEqual({ stdout: '', stderr: 'changeguard: changeguard cannot reach its store: new sessions are refused until it is back\n', code: 1 });
    expect(existsSync(marker)).toBe(false);
    term.close();
  });

  it('judges against the last policy read and runs allowed commands unrecorded when set to allow', async () => {
    h = await startProxyHarness({ rules, storeOutage: 'allow' });
    const { term } = await sessionThenOutage(h);
    const marker = join(h.target.workDir, 'allowed-during-outage');
    const victim = join(h.target.workDir, 'outage-victim');
    writeFileSync(victim, 'keep me');
    term.type(`touch ${marker}\r`);
    await term.waitForPrompt(3);
    expect(existsSync(marker)).toBe(true);
    term.type(`rm -rf ${victim}\r`);
    await term.waitForText('is not permitted (rule no-recursive-rm)');
    expect(existsSync(victim)).toBe(true);
    term.close();
  });
});
