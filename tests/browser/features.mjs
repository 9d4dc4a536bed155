// Walks two booking features through slotdav's public pages in headless
// Chromium, each once with JavaScript on and once with it off, running
// axe-core on every page (any violation fails) and saving screenshots:
//
// - a waitlist (issue 11 §1): a group session with every seat booked is
//   offered as "full"; the student joins its waitlist, sees their place
//   on the status page, and leaves;
// - a recurring booking (issue 11 §2): the student picks a time, asks for
//   "every week, 4 times" on the hold page, books, sees the 4 dates on
//   the manage page and cancels one.
//
//   node features.mjs http://127.0.0.1:8008 [screenshot-dir]
//
// Expects the coach `alice` of fixtures/booking/browser.toml: a group
// type `group` (2 seats, waitlist) and a type `weekly` with `repeat`.
// Selectors go by labels and roles, not by the pages' structure. Prints
// one line per check and `N passed, N failed`; exits non-zero on any
// failure.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base.startsWith('http')) {
  console.error('usage: node features.mjs BASE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}
const shotDir = process.argv[3] || process.env.SLOTDAV_SCREENSHOTS || path.resolve('target/browser-screenshots');
mkdirSync(shotDir, { recursive: true });

const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const launchArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

let passed = 0;
let failed = 0;

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function shot(page, variant, name) {
  await page.screenshot({ path: path.join(shotDir, `${variant}-${name}.png`), fullPage: true });
}

async function step(variant, name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${variant}: ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${variant}: ${name}: ${String(e.message || e).split('\n')[0]}`);
    throw e;
  }
}

/** Runs axe-core on the page; any violation fails the check. With
 * JavaScript off the page cannot run scripts, so axe runs in a scratch
 * page with scripts on, over the same HTML. */
async function axeClean(page, name, js) {
  let target = page;
  let scratch = null;
  if (!js) {
    scratch = await page.context().browser().newContext({ javaScriptEnabled: true, locale: 'en-GB' });
    target = await scratch.newPage();
    // At the server's address, so the page's own stylesheet applies.
    await target.goto(`${base}/`);
    await target.setContent(await page.content(), { waitUntil: 'load' });
  }
  try {
    await target.addScriptTag({ path: axePath });
    const result = await target.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
    const found = result.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`,
    );
    check(found.length === 0, `axe on ${name}: ${found.join('; ')}`);
  } finally {
    if (scratch) await scratch.close();
  }
}

function ymd(d) {
  return d.toISOString().slice(0, 10);
}

const post = (p, body) => fetch(`${base}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** The first open time of `type` in the next two weeks (RFC 3339, Berlin). */
async function firstOpen(type) {
  const now = new Date();
  const to = new Date(now.getTime() + 13 * 86400000);
  const slots = await (await fetch(`${base}/api/v1/coaches/alice/event-types/${type}/slots?from=${ymd(now)}&to=${ymd(to)}&tz=Europe/Berlin`)).json();
  check(slots.slots && slots.slots.length > 0, `no open time of ${type}`);
  return slots.slots[0].start;
}

/** Books `start` of `type` over the JSON API for `email`. */
async function apiBookAt(type, start, email) {
  const hold = await (await post(`/api/v1/coaches/alice/event-types/${type}/holds`, { start })).json();
  check(hold.hold_id, `hold refused: ${JSON.stringify(hold)}`);
  const booking = await (await post(`/api/v1/holds/${hold.hold_id}/confirm`, { name: 'Erin Student', email })).json();
  check(booking.reference, `booking refused: ${JSON.stringify(booking)}`);
}

/** The slots page of `type` for the week holding `start`, in Berlin time. */
function weekUrl(type, start) {
  return `${base}/book/alice/${type}?tz=Europe%2FBerlin&week=${start.slice(0, 10)}`;
}

async function waitlist(browser, variant, js, fullStart) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: js, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const v = `waitlist-${variant}`;
  const time = fullStart.slice(11, 16);
  try {
    await step(v, 'a full group session offers its waitlist', async () => {
      const resp = await page.goto(weekUrl('group', fullStart));
      check(resp && resp.status() === 200, `status ${resp && resp.status()}`);
      check(await page.getByRole('heading', { name: /join the waitlist/i }).isVisible(), 'waitlist heading');
      check(await page.getByRole('button', { name: new RegExp(`^Join the waitlist for .*${time}$`) }).first().isVisible(), `join button for ${time}`);
      await axeClean(page, 'slots with a full session', js);
      await shot(page, v, '1-full');
    });

    await step(v, 'join the waitlist', async () => {
      const form = page.getByRole('group', { name: new RegExp(`${time} .*is full`) }).first();
      await form.getByLabel('Your name').fill(`Wait ${variant}`);
      await form.getByLabel('Your email').fill(`wait-${variant}@example.org`);
      await Promise.all([page.waitForURL(/\/book\/waitlist\//), form.getByRole('button', { name: /^Join the waitlist for / }).click()]);
      const text = await page.textContent('body');
      check(/You are on the waitlist: number 1\b/.test(text), `position: ${text.slice(0, 300)}`);
      await axeClean(page, 'waitlist status', js);
      await shot(page, v, '2-waiting');
    });

    await step(v, 'the status page keeps the place', async () => {
      const resp = await page.goto(page.url());
      check(resp.status() === 200, `status ${resp.status()}`);
      check((await page.textContent('body')).includes('You are on the waitlist'), 'still waiting');
    });

    await step(v, 'leave the waitlist', async () => {
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Leave the waitlist' }).click()]);
      await page.waitForSelector('text=You have left the waitlist.');
      check((await page.getByRole('button', { name: 'Leave the waitlist' }).count()) === 0, 'still offers leaving');
      await axeClean(page, 'left the waitlist', js);
      await shot(page, v, '3-left');
    });
  } catch {
    // Counted in step(); the next walk still runs.
  } finally {
    await context.close();
  }
}

async function series(browser, variant, js) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: js, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const v = `series-${variant}`;
  try {
    await step(v, 'pick a time of a weekly lesson', async () => {
      const start = await firstOpen('weekly');
      const resp = await page.goto(weekUrl('weekly', start));
      check(resp && resp.status() === 200, `status ${resp && resp.status()}`);
      await axeClean(page, 'slots', js);
      const slot = page.getByRole('button', { name: new RegExp(`${start.slice(11, 16)}$`) }).first();
      await Promise.all([page.waitForURL(/\/book\/hold\//), slot.click()]);
      check((await page.textContent('body')).includes('is held for you'), 'hold notice');
      check(await page.getByRole('combobox', { name: 'How often' }).isVisible(), 'the repeat choice');
      await axeClean(page, 'hold page', js);
      await shot(page, v, '1-hold');
    });

    await step(v, 'every week, 4 times: every date is held', async () => {
      await page.getByRole('combobox', { name: 'How often' }).selectOption({ label: 'Every week' });
      await page.getByRole('spinbutton', { name: 'How many times in all' }).fill('4');
      await Promise.all([page.waitForURL(/\/book\/hold\//), page.getByRole('button', { name: 'Hold these dates' }).click()]);
      await page.waitForLoadState('load');
      // Another walk may have taken a date: leave the ticked ones out.
      if ((await page.getByRole('group', { name: 'Dates that are not free' }).count()) > 0) {
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Try again without the ticked dates' }).click()]);
      }
      const text = await page.textContent('body');
      check(/These [34] dates are held for you/.test(text), `held dates: ${text.slice(0, 400)}`);
      await axeClean(page, 'series hold', js);
      await shot(page, v, '2-held');
    });

    let dates = 0;
    await step(v, 'book and see every date on the manage page', async () => {
      await page.getByLabel('Your name').fill(`Series ${variant}`);
      await page.getByLabel('Your email').fill(`series-${variant}@example.org`);
      await Promise.all([page.waitForURL(/\/book\/manage\//), page.getByRole('button', { name: 'Book', exact: true }).click()]);
      check((await page.textContent('body')).includes('You are booked'), 'confirmation');
      const table = page.getByRole('table', { name: /Every date of the series/ });
      dates = (await table.getByRole('row').count()) - 1;
      check(dates === 4, `${dates} dates listed`);
      check((await table.getByRole('cell', { name: 'Confirmed', exact: true }).count()) === 4, 'each date confirmed');
      await axeClean(page, 'manage page of a series', js);
      await shot(page, v, '3-booked');
    });

    await step(v, 'cancel one date', async () => {
      const cancels = page.getByRole('button', { name: /^Cancel this date/ });
      check((await cancels.count()) === 4, `${await cancels.count()} dates to cancel`);
      await Promise.all([page.waitForLoadState('load'), cancels.nth(1).click()]);
      await page.waitForSelector('text=That date is cancelled.');
      const table = page.getByRole('table', { name: /Every date of the series/ });
      check((await table.getByRole('cell', { name: 'Cancelled', exact: true }).count()) === 1, 'one date cancelled');
      check((await table.getByRole('cell', { name: 'Confirmed', exact: true }).count()) === 3, 'three still on');
      await axeClean(page, 'series after a cancellation', js);
      await shot(page, v, '4-one-cancelled');
    });
  } catch {
    // Counted in step().
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs, headless: true });
try {
  let fullStart = '';
  try {
    await step('waitlist', 'every seat of a group session is booked', async () => {
      fullStart = await firstOpen('group');
      await apiBookAt('group', fullStart, 'seat1@example.org');
      await apiBookAt('group', fullStart, 'seat2@example.org');
    });
  } catch {
    // Counted.
  }
  if (fullStart) {
    await waitlist(browser, 'js', true, fullStart);
    await waitlist(browser, 'no-js', false, fullStart);
  }
  await series(browser, 'js', true);
  await series(browser, 'no-js', false);
} finally {
  await browser.close();
}
console.log(`screenshots: ${shotDir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
