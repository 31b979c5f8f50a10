import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { registerChange } from '../src/services/changes/registerChange.js';
import { SLACK, startSlackHarness, type SlackHarness } from '../test/support/slackHarness.js';
import type { BenchRow } from './lib/benchRow.js';
import { NEW_CHANGE_CALLBACK_ID, newChangeFormMetadata, newChangeFormValues, type NewChangeForm } from './lib/newChangeForm.js';
import { percentiles } from './lib/percentiles.js';

const HOUR = 3600_000;
type Kind = 'slash command' | 'button click' | 'form submission';

/**
 * Interaction acknowledgement latency: signed requests to the real Bolt receiver over HTTP
 * (SQLite file store, outbox worker delivering to a local fake Slack API meanwhile), one at
 * a time, from sending the request to receiving Slack's 200. Slash commands and buttons
 * acknowledge first and work after; form submissions file the change before acknowledging
 * (their field errors must travel in the acknowledgement). Slack's limit is 3 s.
 */
export async function benchSlackAck(count = 1000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-bench-slack-'));
  const harness = await startSlackHarness({ sqliteFile: join(dir, 'bench.db') });
  try {
    const kinds: Kind[] = Array.from({ length: count }, (_, i) => (i % 5 === 4 ? 'form submission' : i % 2 ? 'button click' : 'slash command'));
    const clicks = kinds.filter((k) => k === 'button click').length;
    const hashes = await prepareChanges(harness, clicks);
    // Warm-up: the first request pays for auth.test and module initialisation.
    await (await harness.command(SLACK.alice, 'help')).arrayBuffer();

    const samples = new Map<Kind, number[]>();
    let click = 0;
    let submitted = 0;
    for (const kind of kinds) {
      const started = process.hrtime.bigint();
      const response =
        kind === 'slash command'
          ? await harness.command(SLACK.alice, click % 2 ? 'list' : 'show CHG-B1')
          : kind === 'button click'
            ? await harness.click(click % 2 ? SLACK.bob : SLACK.carol, 'change_approve', hashes[click++]!)
            : await submitForm(harness, form(++submitted));
      await response.arrayBuffer();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (response.status !== 200) throw new Error(`${kind} answered ${response.status}`);
      samples.set(kind, [...(samples.get(kind) ?? []), ms]);
    }
    const all = [...samples.values()].flat();
    const [median, p99] = percentiles(all, [0.5, 0.99]) as [number, number];
    const [floorMedian, floorP99] = percentiles(await bareHttpRoundTrips(count), [0.5, 0.99]) as [number, number];
    const floor = (value: number) => ({ name: 'bare express 200', value });
    const rows: BenchRow[] = [
      { area: 'Slack ack', metric: `median, ${all.length} signed requests`, value: median, unit: 'ms', baseline: floor(floorMedian) },
      { area: 'Slack ack', metric: `p99, ${all.length} signed requests`, value: p99, unit: 'ms', target: '< 100', met: p99 < 100, baseline: floor(floorP99) },
    ];
    for (const [kind, values] of samples) {
      const [kindP99] = percentiles(values, [0.99]) as [number];
      rows.push({ area: 'Slack ack', metric: `p99, ${kind} (${values.length})`, value: kindP99, unit: 'ms', baseline: floor(floorP99) });
    }
    return rows;
  } finally {
    await harness.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor under every ack: the same client posting a form body of the same size to an
 * express app that parses it and answers 200 at once (no signature check, no Bolt, no store).
 */
async function bareHttpRoundTrips(count: number): Promise<number[]> {
  const app = express();
  app.post('/slack/events', express.urlencoded({ extended: false }), (_req, res) => {
    res.status(200).end();
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
    const body = new URLSearchParams({ command: '/change', text: 'show CHG-B1', user_id: 'U01ALICE', team_id: 'T01TEAM', response_url: 'http://127.0.0.1:9/respond/x' }).toString();
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    await (await post()).arrayBuffer();
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      await (await post()).arrayBuffer();
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return samples;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** One pending change per click, so every click does a real approval after its ack. */
async function prepareChanges(harness: SlackHarness, count: number): Promise<string[]> {
  const values: string[] = [];
  const now = Date.now();
  for (let i = 1; i <= count; i++) {
    const change = await registerChange(
      harness.deps,
      { code: `CHG-B${i}`, title: `Bench ${i}`, group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(now + HOUR), windowEnd: new Date(now + 3 * HOUR) },
      { userId: 'alice', terminal: 'bench' },
    );
    values.push(JSON.stringify({ code: change.code, scriptHash: change.scriptHash }));
  }
  return values;
}

function form(n: number): NewChangeForm {
  const start = new Date(Math.ceil((Date.now() + HOUR) / 1000) * 1000);
  return { code: `CHG-F${n}`, title: `Form ${n}`, group: 'web-ops', devices: ['web01'], script: 'systemctl reload nginx', windowStart: start, windowEnd: new Date(start.getTime() + 2 * HOUR) };
}

function submitForm(harness: SlackHarness, filled: NewChangeForm): Promise<Response> {
  return harness.submit(SLACK.alice, NEW_CHANGE_CALLBACK_ID, newChangeFormValues(filled), newChangeFormMetadata(filled));
}
