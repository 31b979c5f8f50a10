import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_HELPERS } from './templateHelpers.js';

/** `templates/web` at the package root, from src/web/rendering or dist/web/rendering alike. */
export const WEB_TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/web/', import.meta.url));

/**
 * The portal's Handlebars templates, compiled once at start: `layout.hbs` and `partials/*`
 * as partials, `pages/*` as the pages. A page wraps itself in `{{#> layout}}`, so no
 * template needs a triple-stash: everything printed is escaped.
 */
export class PageRenderer {
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();

  private constructor() {}

  static load(dir: string = WEB_TEMPLATES_DIR): PageRenderer {
    // An environment of its own: partials and helpers here never meet the Slack templates'.
    const handlebars = Handlebars.create();
    const renderer = new PageRenderer();
    const compile = (file: string) => {
      const text = readFileSync(file, 'utf8');
      // compile() is lazy; parsing now makes a broken template stop the start, not a page view.
      handlebars.parse(text);
      return handlebars.compile(text, { strict: false, preventIndent: true });
    };
    handlebars.registerPartial('layout', compile(join(dir, 'layout.hbs')));
    for (const file of hbsFiles(join(dir, 'partials'))) handlebars.registerPartial(basename(file, '.hbs'), compile(file));
    for (const file of hbsFiles(join(dir, 'pages'))) renderer.pages.set(basename(file, '.hbs'), compile(file));
    for (const [name, helper] of Object.entries(TEMPLATE_HELPERS)) handlebars.registerHelper(name, helper);
    return renderer;
  }

  get pageNames(): string[] {
    return [...this.pages.keys()];
  }

  render(page: string, model: object): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`no web template pages/${page}.hbs`);
    // Only own properties of the model are visible to templates (Handlebars' default since 4.6).
    return template(model);
  }
}

function hbsFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.hbs'))
    .sort()
    .map((name) => join(dir, name));
}
