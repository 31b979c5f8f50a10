import { describe, expect, it } from 'vitest';
import { NONCE_REQUEST } from '../../../src/proxy/executor/executorScript.js';
import { NonceHandover } from '../../../src/proxy/executor/nonceHandover.js';

const NONCE = '00112233445566778899aabbccddeeff';

/** Feeds the chunks; returns what would be shown, the answers written, and what went on to the marker scanner. */
function feed(chunks: readonly string[]): { shown: string; answers: string[]; rest: string } {
  const handover = new NonceHandover(NONCE);
  let shown = '';
  let rest = '';
  const answers: string[] = [];
  for (const chunk of chunks) {
    const scan = handover.scan(Buffer.from(chunk, 'latin1'));
    shown += scan.output.toString('latin1');
    if (scan.answer) answers.push(scan.answer.toString('latin1'));
    rest += scan.rest.toString('latin1');
  }
  shown += handover.flush().toString('latin1');
  return { shown, answers, rest };
}

describe('the nonce handover', () => {
  it('answers the executor\'s request with the nonce once, cuts the request out and passes what follows on', () => {
    expect(feed([`${NONCE_REQUEST}after`])).toEqual({ shown: '', answers: [`${NONCE}\n`], rest: 'after' });
  });

  it('finds a request split across chunks, byte by byte', () => {
    const bytes = [...`${NONCE_REQUEST}x`];
    expect(feed(bytes)).toEqual({ shown: '', answers: [`${NONCE}\n`], rest: 'x' });
  });

  it('shows what the device printed before the request (bash refusing to start) and what never became one', () => {
    expect(feed(['changeguard: the device needs bash 4.4 or newer\n', NONCE_REQUEST, 'ok'])).toEqual({
      shown: 'changeguard: the device needs bash 4.4 or newer\n',
      answers: [`${NONCE}\n`],
      rest: 'ok',
    });
    expect(feed(['no request here \x1b]6973;no'])).toEqual({ shown: 'no request here \x1b]6973;no', answers: [], rest: '' });
  });

  it('answers nothing to a second request: a program printing one later gets no nonce', () => {
    expect(feed([NONCE_REQUEST, `output ${NONCE_REQUEST}`])).toEqual({ shown: '', answers: [`${NONCE}\n`], rest: `output ${NONCE_REQUEST}` });
  });
});
