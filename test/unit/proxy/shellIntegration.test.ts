import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellIntegration } from '../../../src/proxy/capture/shellIntegration.js';

const integration = shellIntegration('0123456789abcdef');
const rcScript = integration.command.split('\n').slice(1, -2).join('\n');
const markerA = '\\[\\033]133;A;cg=0123456789abcdef\\007\\]';
const markerB = '\\[\\033]133;B;cg=0123456789abcdef\\007\\]';

/** Runs the shell integration's PROMPT_COMMAND once in bash (the ack on stdin) after `setup`, and returns PS1. */
function ps1After(setup: string): string {
  const script = `${rcScript}\n${setup}\neval "$PROMPT_COMMAND"\nprintf '\\n%s' "$PS1"`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { input: integration.ack, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
  expect(result.status, result.stderr).toBe(0);
  // PROMPT_COMMAND prints its D marker first.
  return result.stdout.slice(result.stdout.indexOf('\n') + 1);
}

describe('the prompt markers', () => {
  it('wrap a plain prompt in A and B', () => {
    expect(ps1After("PS1='$ '")).toBe(`${markerA}$ ${markerB}`);
  });

  it('keep a marked prompt as it is', () => {
    expect(ps1After(`PS1='${markerA}$ ${markerB}'`)).toBe(`${markerA}$ ${markerB}`);
  });

  it('are moved back to the very end when a prompt prints something after its input marker', () => {
    // PS1="${PS1}echo " would make the proxy read "echo rm -rf /" while bash runs "rm -rf /".
    expect(ps1After(`PS1='${markerA}$ ${markerB}echo '`)).toBe(`${markerA}$ echo ${markerB}`);
  });
});
