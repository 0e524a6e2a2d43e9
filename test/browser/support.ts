// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the screens a
// person sees: real CSS, real focus, real keyboard. The app's redirect_uri is answered by the
// test itself (nothing listens on it).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { TEST_CLIENT } from '../support/stack.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENS_DIR = process.env.SCREENS_DIR ?? '/tmp/screens';

/**
 * Browser suites register only where Chromium is installed (CI installs Debian's package and
 * sets REQUIRE_CHROMIUM=1, so there a missing browser is a failure, not a quiet gap).
 */
export function describeInChromium(title: string, fn: (this: Mocha.Suite) => void): void {
  if (existsSync(CHROMIUM)) {
    describe(title, fn);
    return;
  }
  if (process.env.REQUIRE_CHROMIUM === '1') {
    describe(title, () => {
      it('needs Chromium', () => {
        throw new Error(`REQUIRE_CHROMIUM=1 but ${CHROMIUM} does not exist (apt-get install chromium)`);
      });
    });
    return;
  }
  process.stderr.write(`note: ${CHROMIUM} not found; browser suite "${title}" not registered (apt-get install chromium)\n`);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh context whose requests to the app's redirect_uri are answered with a stub page. */
export async function newContext(browser: Browser, locale = 'nl-NL'): Promise<BrowserContext> {
  const context = await browser.newContext({ locale, viewport: { width: 1100, height: 900 } });
  const appOrigin = new URL(TEST_CLIENT.redirect_uri).origin;
  await context.route(`${appOrigin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>app</title><p id="app">terug in de app</p>' }),
  );
  return context;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  const file = path.join(SCREENS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Serious and critical axe violations of the page (WCAG 2.1 AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Press Tab until the focused element matches `selector`; fails after `max` presses. */
export async function tabTo(page: Page, selector: string, max = 30): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200) ?? 'nothing');
  throw new Error(`could not reach ${selector} with Tab; focus is on ${focused}`);
}

export async function focusedId(page: Page): Promise<string> {
  return page.evaluate(() => document.activeElement?.id ?? '');
}
