import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { NOTIFICATION_TYPES, type NotificationType } from '../domain/notifications/catalogue.js';
import { NOTIFICATION_LABELS } from '../domain/notifications/notificationLabels.js';
import { escapeMrkdwn, escapeViewModel } from './slackEscape.js';

/** A Slack message body: a text fallback (notifications, screen readers) and Block Kit blocks. */
export interface SlackMessageContent {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

export interface RenderedTemplate {
  readonly content: SlackMessageContent;
  /** Set when the template's output was unusable and the built-in wording was used instead. */
  readonly problem?: string | undefined;
}

/** templates/slack/ beside src/ (and beside dist/ once built). */
export const DEFAULT_SLACK_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/slack/', import.meta.url));

const MAX_BLOCKS = 50;
const MAX_TEXT = 3000;

const outputSchema = z.object({
  text: z.string().min(1, 'is empty'),
  blocks: z.array(z.looseObject({ type: z.string() })).max(MAX_BLOCKS, `has more than ${MAX_BLOCKS} blocks`),
});

/**
 * The wording of every notification, one handlebars file per type, producing
 * `{"text": ..., "blocks": [...]}`. Templates never see a raw value: the view model is
 * escaped for Slack and JSON before rendering, and helpers only combine escaped values, so
 * an admin rewording a message cannot open a hole by forgetting an escape. Output that is
 * not valid JSON (a slip while editing) falls back to built-in wording: the message is
 * still sent, and the problem logged.
 */
/** Answers to people's requests (`/change list`, `show`, ...; the App Home), under templates/slack/answers/. */
export const SLACK_ANSWERS = ['changeList', 'changeDetails', 'validation', 'auditSummary', 'keyList', 'appHome', 'commandSearch'] as const;
export type SlackAnswer = (typeof SLACK_ANSWERS)[number];

export class SlackTemplates {
  private constructor(
    private readonly compiled: ReadonlyMap<NotificationType, Handlebars.TemplateDelegate>,
    private readonly answers: ReadonlyMap<SlackAnswer, Handlebars.TemplateDelegate>,
  ) {}

  /** Reads and compiles every type's template; a missing or unparsable file stops start-up. */
  static load(dir: string = DEFAULT_SLACK_TEMPLATE_DIR): SlackTemplates {
    const hbs = Handlebars.create();
    registerHelpers(hbs);
    registerPartials(hbs, `${dir.replace(/\/?$/, '/')}partials/`);
    const compiled = new Map<NotificationType, Handlebars.TemplateDelegate>();
    for (const type of NOTIFICATION_TYPES) {
      const file = `${dir.replace(/\/?$/, '/')}${type}.hbs`;
      let source: string;
      try {
        source = readFileSync(file, 'utf8');
      } catch (error) {
        throw new Error(`Slack template for ${type} cannot be read (${file}): ${(error as Error).message}`);
      }
      try {
        hbs.parse(source);
      } catch (error) {
        throw new Error(`Slack template ${file} is not valid handlebars: ${(error as Error).message.split('\n')[0]}`);
      }
      compiled.set(type, hbs.compile(source, { noEscape: true, strict: false }));
    }
    const answers = new Map<SlackAnswer, Handlebars.TemplateDelegate>();
    for (const name of SLACK_ANSWERS) answers.set(name, compileFile(hbs, `${dir.replace(/\/?$/, '/')}answers/${name}.hbs`, `Slack answer ${name}`));
    return new SlackTemplates(compiled, answers);
  }

  /**
   * An answer to a person (a command's reply, the App Home), written like the notifications:
   * a template producing `{"text", "blocks"}` from an escaped view model. A broken one answers
   * with its text alone (and the problem), never with unescaped content.
   */
  renderAnswer(name: SlackAnswer, view: Readonly<Record<string, unknown>>): RenderedTemplate {
    const template = this.answers.get(name)!;
    const fallback = (problem: string): RenderedTemplate => ({ content: { text: `Answer ${name} could not be shown (its template is broken)`, blocks: [] }, problem });
    let parsed: unknown;
    try {
      parsed = JSON.parse(template(escapeViewModel(view) as Record<string, unknown>, { allowProtoPropertiesByDefault: false }));
    } catch (error) {
      return fallback(`answer ${name}: ${(error as Error).message}`);
    }
    const checked = z.object({ text: z.string().min(1), blocks: z.array(z.looseObject({ type: z.string() })).max(100) }).safeParse(parsed);
    if (!checked.success) return fallback(`answer ${name} output: ${checked.error.issues[0]?.path.join('.') ?? ''} ${checked.error.issues[0]?.message ?? 'is invalid'}`);
    return { content: clampContent({ text: checked.data.text, blocks: checked.data.blocks }, 100) };
  }

  render(type: NotificationType, view: Readonly<Record<string, unknown>>): RenderedTemplate {
    const template = this.compiled.get(type);
    const escaped = escapeViewModel(view) as Record<string, unknown>;
    if (!template) return { content: builtInContent(type, view), problem: `no template for ${type}` };
    let output: string;
    try {
      output = template(escaped, { allowProtoPropertiesByDefault: false });
    } catch (error) {
      return { content: builtInContent(type, view), problem: `template ${type} failed: ${(error as Error).message}` };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch (error) {
      return { content: builtInContent(type, view), problem: `template ${type} did not produce JSON: ${(error as Error).message}` };
    }
    const checked = outputSchema.safeParse(parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      return {
        content: builtInContent(type, view),
        problem: `template ${type} output: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}`,
      };
    }
    return { content: clampContent({ text: checked.data.text, blocks: checked.data.blocks }) };
  }
}

function compileFile(hbs: typeof Handlebars, file: string, what: string): Handlebars.TemplateDelegate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${what} cannot be read (${file}): ${(error as Error).message}`);
  }
  try {
    hbs.parse(source);
  } catch (error) {
    throw new Error(`Slack template ${file} is not valid handlebars: ${(error as Error).message.split('\n')[0]}`);
  }
  return hbs.compile(source, { noEscape: true, strict: false });
}

/**
 * `partials/<name>.hbs`, placed with `{{> name}}`: pieces several messages share, such as the
 * buttons (Approve / Reject, Terminate / Lock / Unlock), so buttons are authored as the rest.
 */
function registerPartials(hbs: typeof Handlebars, dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.hbs'))) {
    const path = `${dir}${file}`;
    const source = readFileSync(path, 'utf8');
    try {
      hbs.parse(source);
    } catch (error) {
      throw new Error(`Slack template ${path} is not valid handlebars: ${(error as Error).message.split('\n')[0]}`);
    }
    hbs.registerPartial(file.slice(0, -'.hbs'.length), source);
  }
}

function registerHelpers(hbs: typeof Handlebars): void {
  /** `{{date change.windowStart}}`: shown in each reader's own time zone by Slack, with the policy's as fallback. */
  hbs.registerHelper('date', function (this: unknown, value: unknown, options: Handlebars.HelperOptions) {
    if (typeof value !== 'string' && typeof value !== 'number') return '';
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) return String(value);
    const root = options.data?.root as { timezone?: unknown } | undefined;
    return slackDate(at, typeof root?.timezone === 'string' ? root.timezone : 'UTC');
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('join', (list: unknown, separator: unknown) =>
    Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : '',
  );
  /** `{{link url "label"}}`: both already escaped; an empty url leaves the label alone. */
  hbs.registerHelper('link', (url: unknown, label: unknown) => {
    const text = typeof label === 'string' ? label : String(url ?? '');
    return typeof url === 'string' && /^https?:\/\//.test(url) ? `<${url}|${text}>` : text;
  });
  hbs.registerHelper('plural', (count: unknown, singular: unknown, plural: unknown) => (count === 1 ? singular : plural));
}

/** A date Slack shows in each reader's own time zone, `timezone` where it cannot (the `date` helper; modals built in code). */
export function slackDate(at: Date, timezone: string): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${formatFallbackDate(at, timezone)}>`;
}

/** `2026-11-22 10:00 Europe/Paris`: what Slack shows where it cannot localise the date. */
export function formatFallbackDate(at: Date, timezone: string): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(at);
  } catch {
    return at.toISOString();
  }
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${timezone}`;
}

/** Used when a template is missing or broken: plain, escaped, and never lost. */
function builtInContent(type: NotificationType, view: Readonly<Record<string, unknown>>): SlackMessageContent {
  const change = view.change as { code?: unknown; title?: unknown } | undefined;
  const command = view.command as { line?: unknown } | undefined;
  const subject = [change?.code, change?.title, command?.line, view.reason].filter((v): v is string => typeof v === 'string' && v !== '').join(' - ');
  const text = escapeMrkdwn(`${NOTIFICATION_LABELS[type]}${subject ? `: ${subject}` : ''}`);
  return clampContent({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
}

/** Slack refuses texts over its limits; a long value is cut rather than the message lost. */
function clampContent(content: SlackMessageContent, maxBlocks = MAX_BLOCKS): SlackMessageContent {
  const clamp = (value: unknown, parentType: string | undefined): unknown => {
    if (Array.isArray(value)) return value.map((item) => clamp(item, parentType));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) out[key] = clamp(item, typeof object.type === 'string' ? object.type : parentType);
    if ((object.type === 'mrkdwn' || object.type === 'plain_text') && typeof object.text === 'string') {
      const limit = parentType === 'header' ? 150 : MAX_TEXT;
      if (object.text.length > limit) out.text = `${object.text.slice(0, limit - 1)}…`;
    }
    return out;
  };
  const text = content.text.length > MAX_TEXT ? `${content.text.slice(0, MAX_TEXT - 1)}…` : content.text;
  return { text, blocks: content.blocks.slice(0, maxBlocks).map((block) => clamp(block, undefined) as Record<string, unknown>) };
}
