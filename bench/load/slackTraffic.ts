import { performance } from 'node:perf_hooks';
import type { SlackUserRequests } from '../../test/support/slackUserRequests.js';
import { LOAD_SLACK_USERS } from './loadPolicy.js';

export interface SlackTrafficResult {
  readonly sent: number;
  /** Acknowledged with 200. */
  readonly acknowledged: number;
  readonly errors: readonly string[];
  /** Time to Slack's 200, ms. */
  readonly ackMs: readonly number[];
}

/**
 * Open-loop Slack traffic: a request every 1000/`perSecond` ms whatever the answers do (as
 * Slack sends them), for `seconds`. A mix of what users do while changes run: list, show,
 * help, and approvers clicking Approve on a request decided already (a stale copy).
 */
export async function runSlackTraffic(
  slack: SlackUserRequests,
  options: { perSecond: number; seconds: number; changeCode: string; approveValue: string },
): Promise<SlackTrafficResult> {
  const interval = 1000 / options.perSecond;
  const total = Math.round(options.perSecond * options.seconds);
  const errors: string[] = [];
  const ackMs: number[] = [];
  let acknowledged = 0;
  const send = (i: number): Promise<Response> => {
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        return slack.command(LOAD_SLACK_USERS.alice, 'list', `load-${i}`);
      case 4:
      case 5:
      case 6:
        return slack.command(LOAD_SLACK_USERS.alice, `show ${options.changeCode}`, `load-${i}`);
      case 7:
        return slack.command(LOAD_SLACK_USERS.bob, 'help', `load-${i}`);
      default:
        return slack.click(LOAD_SLACK_USERS.bob, 'change_approve', options.approveValue, `load-${i}`);
    }
  };
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = performance.now();
    inFlight.push(
      send(i).then(
        async (response) => {
          await response.arrayBuffer();
          ackMs.push(performance.now() - sentAt);
          if (response.status === 200) acknowledged++;
          else errors.push(`request ${i}: HTTP ${response.status}`);
        },
        (error: unknown) => {
          errors.push(`request ${i}: ${(error as Error).message}`);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return { sent: total, acknowledged, errors, ackMs };
}
