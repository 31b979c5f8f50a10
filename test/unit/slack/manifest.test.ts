import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLACK_EVENTS_PATH } from '../../../src/slack/slackAdapter.js';

const manifest = parse(readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8')) as {
  display_information: { name: string; description: string; long_description: string };
  features: { app_home: Record<string, boolean>; bot_user: { display_name: string }; slash_commands: { command: string; url: string; should_escape: boolean }[] };
  oauth_config: { redirect_urls?: string[]; scopes: { bot: string[]; user?: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
};

describe('manifest.yml', () => {
  it('declares the /change command, App Home, interactivity and Socket Mode', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/change']);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    // Slack asks for at least 175 characters here.
    expect(manifest.display_information.long_description.length).toBeGreaterThanOrEqual(175);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
  });

  it('points every request URL at the receiver’s path', () => {
    for (const url of [manifest.features.slash_commands[0]!.url, manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url]) {
      expect(new URL(url).pathname).toBe(SLACK_EVENTS_PATH);
    }
  });

  it('asks for the scopes the code uses and no more', () => {
    // commands: /change. chat:write: chat.postMessage and chat.update (outbox). views.* and
    // response URLs need no scope; app_home_opened needs none either.
    expect(manifest.oauth_config.scopes.bot).toEqual(['commands', 'chat:write']);
    // openid: Sign in with Slack on the web pages (the user's Slack id, nothing more).
    expect(manifest.oauth_config.scopes.user).toEqual(['openid']);
  });

  it('sends Sign in with Slack back to the web callback', () => {
    expect(manifest.oauth_config.redirect_urls?.map((url) => new URL(url).pathname)).toEqual(['/auth/slack/callback']);
  });
});
