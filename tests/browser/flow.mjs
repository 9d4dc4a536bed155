// Books and cancels a session on slotdav's public pages in headless
// Chromium, as a student would, at 1280 and 360 px wide, with and
// without JavaScript: coach → event type → month → day → time → details
// → confirmation (add-to-calendar links) → manage → cancel, with
// axe-core on every page and a screenshot of every step; on the desktop
// a time another student takes is crossed out without a reload; at 320 px
// the slots page fits and its targets are 44 px. Then walks the coach dashboard as the coach:
// signs in, confirms a request, marks a no-show, opens the analytics
// (the no-show counted, three charts, also on a phone), signs out, running
// axe-core on every dashboard page (any violation fails).
//
//   SLOTDAV_COACH_PASSWORD=… node flow.mjs http://127.0.0.1:8008 [screenshot-dir]
//
// Expects a coach `alice` with at least one event type, an event type
// `request` that needs confirmation, and open times in the next two weeks
// (fixtures/booking/browser.toml). Screenshots go to the directory given,
// else $SLOTDAV_SCREENSHOTS, else target/browser-screenshots. Without
// SLOTDAV_COACH_PASSWORD the dashboard walk is skipped (and says so).
// Prints one line per check and `N passed, N failed`; exits non-zero on
// any failure.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base.startsWith('http')) {
  console.error('usage: node flow.mjs BASE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}
const shotDir = process.argv[3] || process.env.SLOTDAV_SCREENSHOTS || path.resolve('target/browser-screenshots');
const coachUser = process.env.SLOTDAV_COACH_USER || 'alice';
const coachPassword = process.env.SLOTDAV_COACH_PASSWORD || '';
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

/** No sideways scrolling: nothing sticks out of the viewport. */
async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
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

async function flow(browser, variant, options) {
  const context = await browser.newContext({
    viewport: options.viewport,
    javaScriptEnabled: options.js,
    timezoneId: 'America/New_York',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const student = `Student ${variant}`;
  const email = `${variant}@example.org`;
  const wide = options.viewport.width >= 1000;
  try {
    await step(variant, 'coach page lists event types', async () => {
      const resp = await page.goto(`${base}/book/alice`);
      check(resp && resp.status() === 200, `status ${resp && resp.status()}`);
      check((await page.textContent('h1')).includes('Book a session with'), 'heading');
      check((await page.locator('a.button').count()) >= 1, 'no event type to pick');
      check(await fitsWidth(page), 'page is wider than the screen');
      await axeClean(page, 'coach page');
      await shot(page, variant, '1-coach');
    });

    await step(variant, 'pick an event type and see the month', async () => {
      await Promise.all([page.waitForURL(/\/book\/alice\/[^/?]+/), page.locator('a.button').first().click()]);
      if (options.js) {
        // The page moves to the browser's zone by itself.
        await page.waitForURL(/tz=America%2FNew_York|tz=America\/New_York/);
        check((await page.inputValue('#tz')) === 'America/New_York', 'zone field');
      }
      const month = page.getByRole('region', { name: /^[A-Z][a-z]+ \d{4}$/ });
      check(await month.isVisible(), 'month overview');
      check((await page.getByRole('link', { name: /open times?$/ }).count()) > 0, 'no open day in the month');
      check((await page.getByLabel('Show times in').count()) === 1, 'the zone picker is labelled');
      const times = page.getByRole('region', { name: /^Open times/ });
      const m = await month.boundingBox();
      const t = await times.boundingBox();
      if (wide) check(t.x > m.x + m.width - 1 && t.y < m.y + m.height, 'times beside the month on a wide screen');
      else check(t.y >= m.y + m.height - 1, 'times below the month on a phone');
      check(await fitsWidth(page), 'slots page is wider than the screen');
      await axeClean(page, 'month and week');
      await shot(page, variant, '2-month');
    });

    let slotLabel = '';
    await step(variant, 'pick a day in the month and see its times', async () => {
      const day = page.getByRole('link', { name: /open times?$/ }).first();
      await Promise.all([page.waitForURL(/[?&]day=\d{4}-\d\d-\d\d/), day.click()]);
      check((await page.locator('a[aria-current="date"]').count()) === 1, 'the chosen day is marked');
      const buttons = page.getByRole('region', { name: /^Open times on/ }).getByRole('button');
      check((await buttons.count()) > 0, 'no times on an open day');
      slotLabel = (await buttons.first().textContent()).trim();
      check(/^\d{1,2}:\d\d [AP]M$/.test(slotLabel), `slot label ${slotLabel} (12-hour for en-US)`);
      check(await fitsWidth(page), 'day page is wider than the screen');
      await axeClean(page, 'day');
      await shot(page, variant, '3-day');
    });

    if (options.live) {
      await step(variant, 'a time another student takes is crossed out without a reload', async () => {
        const buttons = page.getByRole('region', { name: /^Open times on/ }).getByRole('button');
        const last = buttons.last();
        const start = await last.getAttribute('value');
        const held = await fetch(`${base}/api/v1/coaches/alice/event-types/${page.url().split('/book/alice/')[1].split('?')[0]}/holds`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ start }),
        });
        check(held.status === 201, `hold for the other student: ${held.status}`);
        await last.waitFor({ state: 'attached' });
        await page.waitForFunction((v) => document.querySelector(`button[value="${v}"]`).disabled, start, { timeout: 60000 });
        check((await page.getByRole('status').textContent()).includes('Just taken'), 'announced');
        await shot(page, variant, '3-day-taken');
      });
    }

    await step(variant, 'pick a time and fill in the form', async () => {
      const first = page.getByRole('region', { name: /^Open times on/ }).getByRole('button').first();
      await Promise.all([page.waitForURL(/\/book\/hold\//), first.click()]);
      check((await page.textContent('p.notice')).includes('is held for you'), 'hold notice');
      check((await page.textContent('p.notice')).includes(slotLabel), `held time is not ${slotLabel}`);
      check((await page.textContent('p.facts')).includes('·'), 'duration and price on the form');
      await page.getByLabel('Your name').fill(student);
      await page.getByLabel('Your email').fill(email);
      await page.getByLabel(/Anything the coach should know/).fill('Looking forward to it <3');
      check(await fitsWidth(page), 'form is wider than the screen');
      await axeClean(page, 'details form');
      await shot(page, variant, '4-details');
    });

    let manageUrl = '';
    let reference = '';
    await step(variant, 'confirm and see the reference and add-to-calendar links', async () => {
      await Promise.all([page.waitForURL(/\/book\/manage\//), page.getByRole('button', { name: 'Book' }).click()]);
      check((await page.textContent('h1')).includes('Your booking'), 'heading');
      check((await page.textContent('p.notice')).includes('You are booked'), 'confirmation notice');
      reference = (await page.locator('dt:text-is("Reference") + dd').textContent()).trim();
      check(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(reference), `reference ${reference}`);
      check((await page.locator('dt:text-is("Name") + dd').textContent()).trim() === student, 'name');
      const google = await page.getByRole('link', { name: /Google Calendar/ }).getAttribute('href');
      check(/^https:\/\/calendar\.google\.com\/calendar\/render\?action=TEMPLATE&text=[^&]+&dates=\d{8}T\d{6}Z\/\d{8}T\d{6}Z&/.test(google), `Google link ${google}`);
      const outlook = await page.getByRole('link', { name: /Outlook\.com/ }).getAttribute('href');
      check(outlook.startsWith('https://outlook.live.com/calendar/0/deeplink/compose?') && /&startdt=\d{4}-\d\d-\d\dT/.test(decodeURIComponent(outlook)), `Outlook link ${outlook}`);
      check((await page.getByRole('link', { name: /Add to calendar \(\.ics\)/ }).getAttribute('href')).endsWith('/booking.ics'), '.ics link');
      manageUrl = page.url().split('?')[0];
      check(await fitsWidth(page), 'booking page is wider than the screen');
      await axeClean(page, 'confirmation');
      await shot(page, variant, '5-booked');
    });

    await step(variant, 'open the manage link', async () => {
      const resp = await page.goto(manageUrl);
      check(resp.status() === 200, `status ${resp.status()}`);
      check((await page.locator('dt:text-is("Reference") + dd').textContent()).trim() === reference, 'reference');
      check((await page.locator('dt:text-is("Status") + dd').textContent()).trim() === 'Confirmed', 'status');
      check(await page.getByRole('button', { name: 'Cancel this booking' }).isVisible(), 'cancel button');
      check((await page.getByRole('link', { name: /Google Calendar/ }).count()) === 1, 'add to calendar on the manage page');
      check(await fitsWidth(page), 'manage page is wider than the screen');
      await axeClean(page, 'manage page');
      await shot(page, variant, '6-manage');
    });

    await step(variant, 'cancel and see "cancelled"', async () => {
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Cancel this booking' }).click()]);
      await page.waitForSelector('h1:has-text("Booking cancelled")');
      check((await page.locator('dt:text-is("Status") + dd').textContent()).trim() === 'Cancelled', 'status');
      check((await page.textContent('p.notice')).includes('cancelled'), 'notice');
      check((await page.getByRole('button', { name: 'Cancel this booking' }).count()) === 0, 'still offers cancelling');
      await axeClean(page, 'cancelled');
      await shot(page, variant, '7-cancelled');
    });

    await step(variant, 'the cancelled time is open again', async () => {
      const resp = await page.goto(`${base}/api/v1/bookings/${manageUrl.split('/').pop()}`);
      const body = JSON.parse(await resp.text());
      check(body.status === 'cancelled', `API says ${body.status}`);
    });
  } catch {
    // Counted in step(); the next variant still runs.
  } finally {
    await context.close();
  }
}

/** Runs axe-core on the page; any violation fails the check. */
async function axeClean(page, name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`,
  );
  check(found.length === 0, `axe on ${name}: ${found.join('; ')}`);
}

function ymd(d) {
  return d.toISOString().slice(0, 10);
}

/** Books the first open time of `type` over the JSON API; returns its reference. */
async function apiBook(type, email) {
  const now = new Date();
  const to = new Date(now.getTime() + 13 * 86400000);
  const slots = await (await fetch(`${base}/api/v1/coaches/alice/event-types/${type}/slots?from=${ymd(now)}&to=${ymd(to)}`)).json();
  check(slots.slots && slots.slots.length > 0, `no open time of ${type}`);
  const post = (p, body) => fetch(`${base}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const hold = await (await post(`/api/v1/coaches/alice/event-types/${type}/holds`, { start: slots.slots[0].start })).json();
  check(hold.hold_id, `hold refused: ${JSON.stringify(hold)}`);
  const booking = await (await post(`/api/v1/holds/${hold.hold_id}/confirm`, { name: 'Dana Student', email, note: 'First time' })).json();
  check(booking.reference, `booking refused: ${JSON.stringify(booking)}`);
  return booking.reference;
}

/** As the coach's calendar app: moves the event of booking `reference` to yesterday. */
async function moveToYesterday(reference) {
  const auth = { Authorization: 'Basic ' + Buffer.from(`${coachUser}:${coachPassword}`).toString('base64') };
  const list = await fetch(`${base}/dav/calendars/${coachUser}/sessions/`, {
    method: 'PROPFIND',
    headers: { ...auth, Depth: '1', 'Content-Type': 'application/xml' },
    body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
  });
  const hrefs = [...(await list.text()).matchAll(/<[^>]*href>([^<]+\.ics)<\//g)].map((m) => m[1]);
  const stamp = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const start = new Date(Math.floor(Date.now() / 3600000) * 3600000 - 86400000);
  const end = new Date(start.getTime() + 30 * 60000);
  for (const href of hrefs) {
    const ics = await (await fetch(`${base}${href}`, { headers: auth })).text();
    if (!ics.replace(/\r\n /g, '').includes(`X-SLOTDAV-REFERENCE:${reference}`)) continue;
    const moved = ics.replace(/^DTSTART:.*$/m, `DTSTART:${stamp(start)}`).replace(/^DTEND:.*$/m, `DTEND:${stamp(end)}`);
    const put = await fetch(`${base}${href}`, { method: 'PUT', headers: { ...auth, 'Content-Type': 'text/calendar' }, body: moved });
    check(put.status === 204 || put.status === 201, `PUT ${href}: ${put.status} ${await put.text()}`);
    return;
  }
  throw new Error(`no event of ${reference} in the sessions calendar`);
}

/** WCAG 1.4.10: the month and the times fit 320 px (a 1280 px window at 400 %, or a small phone), targets stay 44 px. */
async function narrow(browser) {
  const variant = 'narrow-320';
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, javaScriptEnabled: false, locale: 'en-US' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  try {
    await step(variant, 'the slots page fits 320 px with 44 px targets', async () => {
      await page.goto(`${base}/book/alice`);
      await Promise.all([page.waitForURL(/\/book\/alice\/[^/?]+/), page.locator('a.button').first().click()]);
      check(await fitsWidth(page), 'wider than 320 px');
      const small = await page.evaluate(() =>
        [...document.querySelectorAll('.cal a, .slots button, main a.button, main button')]
          .map((e) => e.getBoundingClientRect())
          .filter((r) => r.width > 0 && (r.width < 43.5 || r.height < 43.5)).length,
      );
      check(small === 0, `${small} targets smaller than 44 px`);
      await axeClean(page, 'slots at 320 px');
      await shot(page, variant, '2-month');
    });
  } catch {
    // Counted in step().
  } finally {
    await context.close();
  }
}

async function dashboard(browser) {
  const variant = 'dashboard';
  if (!coachPassword) {
    console.log('skip dashboard: SLOTDAV_COACH_PASSWORD is not set');
    return;
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  try {
    let requestRef = '';
    let sessionRef = '';
    await step(variant, 'a request and a session are booked', async () => {
      requestRef = await apiBook('request', 'dana@example.org');
      sessionRef = await apiBook('trial', 'dana@example.org');
    });

    await step(variant, 'the sign-in form', async () => {
      await page.goto(`${base}/coach/`);
      await page.waitForURL(/\/coach\/login$/);
      check((await page.textContent('h1')).includes('Sign in'), 'heading');
      await axeClean(page, 'sign-in');
      await shot(page, variant, '1-sign-in');
    });

    await step(variant, 'sign in and see what waits', async () => {
      await page.getByLabel('User name').fill(coachUser);
      await page.getByLabel('Password').fill(coachPassword);
      await Promise.all([page.waitForURL(/\/coach\/$/), page.getByRole('button', { name: 'Sign in' }).click()]);
      check((await page.textContent('h1')).includes('Your bookings'), 'heading');
      check((await page.textContent('#pending-heading')).includes('(1)'), 'one request waits');
      await axeClean(page, 'dashboard');
      await shot(page, variant, '2-home');
    });

    await step(variant, 'open the request and confirm it', async () => {
      await Promise.all([page.waitForURL(/\/coach\/bookings\//), page.getByRole('link', { name: `Confirm or decline ${requestRef}` }).click()]);
      check((await page.locator('dt:text-is("Status") + dd').textContent()).includes('Waiting for your confirmation'), 'status');
      check((await page.inputValue('#manage-url')).includes('/book/manage/'), 'manage link to copy');
      await axeClean(page, 'request');
      await shot(page, variant, '3-request');
      await Promise.all([page.waitForURL(/done=confirm/), page.getByRole('button', { name: 'Confirm', exact: true }).click()]);
      check((await page.textContent('p.notice')).includes('Confirmed.'), 'notice');
      check((await page.locator('dt:text-is("Status") + dd').textContent()).trim() === 'Confirmed', 'status');
      await axeClean(page, 'confirmed');
      await shot(page, variant, '4-confirmed');
    });

    await step(variant, 'the dashboard fits a 360px phone', async () => {
      await page.setViewportSize({ width: 360, height: 740 });
      await page.goto(`${base}/coach/`);
      check(await fitsWidth(page), 'dashboard is wider than the screen');
      await shot(page, variant, '2-home-phone');
      await page.goto(`${base}/coach/bookings/${requestRef}`);
      check(await fitsWidth(page), 'booking page is wider than the screen');
      await axeClean(page, 'booking page on a phone');
      await shot(page, variant, '4-confirmed-phone');
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    await step(variant, 'a session moved into the past in the calendar app is listed to mark', async () => {
      await moveToYesterday(sessionRef);
      await page.goto(`${base}/coach/`);
      const recent = await page.locator('section[aria-labelledby="recent-heading"]').textContent();
      check(recent.includes(sessionRef) && recent.includes('Not marked'), 'recent sessions');
      await axeClean(page, 'dashboard with a recent session');
    });

    await step(variant, 'mark a no-show', async () => {
      await page.goto(`${base}/coach/bookings/${sessionRef}`);
      await Promise.all([page.waitForURL(/done=no-show/), page.getByRole('button', { name: 'Mark no-show' }).click()]);
      check((await page.locator('dt:text-is("Attendance") + dd').textContent()).trim() === 'No-show', 'attendance');
      await axeClean(page, 'no-show');
      await shot(page, variant, '5-no-show');
    });

    await step(variant, 'open the analytics page', async () => {
      await page.goto(`${base}/coach/`);
      await Promise.all([page.waitForURL(/\/coach\/analytics/), page.getByRole('link', { name: 'Analytics' }).click()]);
      const held = await page.locator('dt:text-is("Sessions held") + dd').textContent();
      check(/\b1 no-shows\b/.test(held), `the no-show counts in analytics: ${held}`);
      check((await page.locator('svg[role="img"]').count()) >= 3, 'three charts');
      await axeClean(page, 'analytics');
      await shot(page, variant, '6-analytics');
      await page.setViewportSize({ width: 360, height: 800 });
      await axeClean(page, 'analytics on a phone');
      await shot(page, variant, '6-analytics-phone');
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${base}/coach/`);
    });

    await step(variant, 'sign out', async () => {
      await Promise.all([page.waitForURL(/\/coach\/login/), page.getByRole('button', { name: 'Sign out' }).click()]);
      check((await page.textContent('p.notice')).includes('You are signed out'), 'notice');
      await axeClean(page, 'signed out');
      const resp = await page.goto(`${base}/coach/`);
      check(resp.url().endsWith('/coach/login'), 'the dashboard asks to sign in again');
    });
  } catch {
    // Counted in step().
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs, headless: true });
try {
  await flow(browser, 'desktop', { viewport: { width: 1280, height: 900 }, js: true, live: true });
  await flow(browser, 'phone-360', { viewport: { width: 360, height: 740 }, js: true });
  await flow(browser, 'no-js', { viewport: { width: 1280, height: 900 }, js: false });
  await flow(browser, 'no-js-360', { viewport: { width: 360, height: 740 }, js: false });
  await narrow(browser);
  await dashboard(browser);
} finally {
  await browser.close();
}
console.log(`screenshots: ${shotDir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
