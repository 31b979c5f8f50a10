import { describe, expect, it } from 'vitest';
import type { CommandRecord } from '../../../src/domain/session/commandRecord.js';
import { assessRiskTally, assessSessionRisk, EMPTY_RISK_TALLY, tallyCommand } from '../../../src/domain/session/sessionRisk.js';

type Judged = Pick<CommandRecord, 'risk' | 'verdict'>;
const allow = (risk: CommandRecord['risk'] = null): Judged => ({ verdict: 'allow', risk });
const block = (risk: CommandRecord['risk'] = null): Judged => ({ verdict: 'block', risk });

describe('session risk', () => {
  it.each([
    [[], { risk: null, reasons: [] }],
    [[allow(), allow('low')], { risk: 'low', reasons: [] }],
    [[allow('low'), allow('medium')], { risk: 'medium', reasons: [] }],
    [[allow(), block()], { risk: 'medium', reasons: [] }],
    [[block(), block(), block()], { risk: 'high', reasons: ['3 commands refused'] }],
    [[allow('high'), block('high')], { risk: 'high', reasons: ['2 high-criticality commands'] }],
    [[{ verdict: 'interrupt', risk: 'high' } as Judged], { risk: 'high', reasons: ['1 high-criticality command', 'interrupted by a rule'] }],
  ] as [Judged[], unknown][])('assesses %j', (commands, expected) => {
    expect(assessSessionRisk(commands as CommandRecord[])).toEqual(expected);
  });

  it('counts as it goes to the same assessment as the whole list', () => {
    const commands = [allow(), allow('low'), block(), allow('medium'), block('high'), block()];
    let tally = EMPTY_RISK_TALLY;
    commands.forEach((command, i) => {
      tally = tallyCommand(tally, command);
      expect(assessRiskTally(tally)).toEqual(assessSessionRisk(commands.slice(0, i + 1) as CommandRecord[]));
    });
  });
});
