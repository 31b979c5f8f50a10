import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { startChangeguard } from '../../../src/main.js';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { freePort } from '../../support/freePort.js';
import { WebClient } from '../../support/webClient.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-web-product-'));
  writeFileSync(join(dir, 'policy.yml'), EXAMPLE_POLICY_YAML);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the product serves the portal', () => {
  it('with local sign-in on loopback without Slack, signing with $DATA_DIR/link_secret', async () => {
    const dataDir = join(dir, 'local');
    const port = await freePort();
    const running = await startChangeguard(
      loadConfig({ DATA_DIR: dataDir, POLICY_FILE: join(dir, 'policy.yml'), PORT: String(port), PROXY_PORT: String(await freePort()) }, { readDotEnv: false }),
      createLogger('silent'),
    );
    try {
      expect(statSync(join(dataDir, 'link_secret')).mode & 0o777).toBe(0o600);
      const client = new WebClient(`http://127.0.0.1:${port}`);
      const signin = await client.page('/signin');
      expect(signin.status).toBe(200);
      expect(signin.html).toContain('class="local-banner"');
      await client.signInLocally('erin');
      expect((await client.page('/audit')).html).toContain('Chain intact:');
    } finally {
      await running.stop();
    }
  });

  it('with CHANGEGUARD_SECRET instead of a file, and no local sign-in once Slack is configured', async () => {
    const dataDir = join(dir, 'slack');
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      PROXY_PORT: String(await freePort()),
      CHANGEGUARD_SECRET: 'cd'.repeat(32),
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'signing',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
    };
    const running = await startChangeguard(loadConfig(env, { readDotEnv: false }), createLogger('silent'));
    try {
      expect(existsSync(join(dataDir, 'link_secret'))).toBe(false);
      const page = await new WebClient(`http://127.0.0.1:${port}`).page('/signin');
      // No policy was loaded: the page says how to load one, and offers no picker.
      expect(page.html).toContain('No policy is loaded yet');
      expect(page.html).not.toContain('id="local-signin"');
      expect(page.html).not.toContain('local-banner');
    } finally {
      await running.stop();
    }
  });
});
