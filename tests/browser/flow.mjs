// The booking walk of issue 12 §4 in headless Chromium, as a student:
// front page → coach → event type → month → day → time → form with
// questions → confirmation (add-to-calendar links) → manage page →
// reschedule → cancel, in English (en-US, 12-hour) and German, at 1280
// and 360 px wide, with and without JavaScript: one `walk` for all eight
// variants, its expected texts read from locales/*/*.ftl. axe-core runs on
// every page (any violation fails) and every step leaves a screenshot.
// With JavaScript the page finds the browser's zone, without it the zone
// is typed into the searchable list; on the English desktop walk a time
// another student takes is crossed out without a reload. At 320 px the
// slots page fits and its targets are 44 px. Then walks the coach
// dashboard as the coach: signs in, confirms a request, marks a no-show,
// opens the analytics (the no-show counted, three charts, also on a
// phone), signs out, with axe-core on every dashboard page.
//
//   SLOTDAV_COACH_PASSWORD=… node flow.mjs http://127.0.0.1:8008 [screenshot-dir]
//
// Expects the coach `alice` of fixtures/booking/browser.toml: listed on
// the front page, an event type `intro` with two questions, an event type
// `request` that needs confirmation, and open times in the next weeks. Screenshots go to the directory given,
// else $SLOTDAV_SCREENSHOTS, else target/browser-screenshots. Without
// SLOTDAV_COACH_PASSWORD the dashboard walk is skipped (and says so).
// Prints one line per check and `N passed, N failed`; exits non-zero on
// any failure.

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
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

/** The page texts of a language, read from locales/LANG/*.ftl (one-line
 * messages; enough for the walk's checks), so the walk checks what a
 * student reads without a second copy of the translations. */
function messages(lang) {
  const dir = new URL(`../../locales/${lang}/`, import.meta.url);
  const out = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ftl'))) {
    for (const line of readFileSync(new URL(file, dir), 'utf8').split('\n')) {
      const m = /^([a-z][a-z0-9-]*) = (.+)$/.exec(line);
      if (m) out[m[1]] = m[2];
    }
  }
  return out;
}

/** What a walk in one language expects. */
function language(lang) {
  const all = messages(lang);
  const t = (key) => {
    check(key in all, `no message ${key} in ${lang}`);
    return all[key];
  };
  // The longest fixed piece of a message with { $arguments }.
  const part = (key) => t(key).split(/\{ \$[a-z]+ \}/).sort((x, y) => y.length - x.length)[0].trim();
  return { lang, t, part };
}

const LANGUAGES = {
  // US English: 12-hour times; the browser's zone New York.
  en: { locale: 'en-US', timezoneId: 'America/New_York', typedCity: 'New York', typedZone: 'America/New_York', time: /^\d{1,2}:\d\d [AP]M$/ },
  // German: 24-hour times; the browser's zone Vienna (the coach is in Berlin).
  de: { locale: 'de-DE', timezoneId: 'Europe/Vienna', typedCity: 'Vienna', typedZone: 'Europe/Vienna', time: /^\d\d:\d\d$/ },
};

/**
 * The whole booking walk of issue 12 §4 as one student: front page →
 * coach → event type → month → day → time → form with questions →
 * confirmation → add-to-calendar links → manage page → reschedule →
 * cancel, with axe-core and a screenshot on every page. One function for
 * every variant: `lang` (en, de), `width` (1280, 360), `js`, and `live`
 * (also watch a time another student takes disappear).
 */
async function walk(browser, { lang, width, js, live = false }) {
  const variant = `${lang}-${width}-${js ? 'js' : 'nojs'}`;
  const L = LANGUAGES[lang];
  const { t, part } = language(lang);
  const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: js, timezoneId: L.timezoneId, locale: L.locale });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const student = `Student ${variant}`;
  const email = `${variant}@example.org`;
  const wide = width >= 1000;
  let n = 0;
  const done = async (name) => {
    check(await fitsWidth(page), `${name}: the page is wider than the screen`);
    check((await page.getAttribute('html', 'lang')).startsWith(lang), `${name}: <html lang> is not ${lang}`);
    await axeClean(page, name, { js, width, locale: L.locale });
    n += 1;
    await shot(page, variant, `${String(n).padStart(2, '0')}-${name}`);
  };
  const times = () => page.locator('#times button[name="start"]:not([disabled])');
  try {
    await step(variant, 'front page lists the coach', async () => {
      const resp = await page.goto(`${base}/`);
      check(resp && resp.status() === 200, `status ${resp && resp.status()}`);
      check((await page.textContent('main')).includes(t('front-book-heading')), 'front page heading');
      await done('front');
      await Promise.all([page.waitForURL(/\/book\/alice$/), page.getByRole('link', { name: 'Alice Example' }).click()]);
    });

    await step(variant, 'coach page lists event types', async () => {
      check((await page.textContent('h1')).includes(part('coach-heading')), 'heading');
      check((await page.getByRole('link', { name: 'Intro call', exact: true }).count()) === 1, 'the intro call is offered');
      await done('coach');
      await Promise.all([page.waitForURL(/\/book\/alice\/intro/), page.getByRole('link', { name: 'Intro call', exact: true }).click()]);
    });

    await step(variant, 'the event type: the month beside or above the times, the zone', async () => {
      if (js) {
        // The page moves to the browser's zone by itself.
        await page.waitForURL(new RegExp(`tz=${encodeURIComponent(L.timezoneId).replace('%2F', '(%2F|/)')}`));
      } else {
        // Without JavaScript: typed into the searchable list, a city is enough.
        await page.getByLabel(t('slots-show-times-in')).fill(L.typedCity);
        await Promise.all([page.waitForURL(/tz=/), page.getByRole('button', { name: t('slots-show'), exact: true }).click()]);
      }
      check((await page.inputValue('#tz')) === L.typedZone, `zone field: ${await page.inputValue('#tz')}`);
      check((await page.textContent('#tz-hint')).includes('Europe/Berlin'), "the coach's zone is named when it differs");
      const about = await page.textContent('.about');
      check(about.includes(t('label-duration')) && about.includes(t('label-where')) && about.includes(t('location-video')), 'duration and place');
      const month = page.locator('section.month');
      check(/\d{4}$/.test((await page.textContent('#month-heading')).trim()), 'month heading');
      check((await page.locator('.cal a').count()) > 0, 'no open day in the month');
      const m = await month.boundingBox();
      const tb = await page.locator('#times').boundingBox();
      if (wide) check(tb.x > m.x + m.width - 1 && tb.y < m.y + m.height, 'times beside the month on a wide screen');
      else check(tb.y >= m.y + m.height - 1, 'times below the month on a phone');
      await done('month');
    });

    let slotLabel = '';
    await step(variant, 'pick a day in the month and see its times', async () => {
      await Promise.all([page.waitForURL(/[?&]day=\d{4}-\d\d-\d\d/), page.locator('.cal a').first().click()]);
      check((await page.locator('a[aria-current="date"]').count()) === 1, 'the chosen day is marked');
      check((await page.textContent('#times-heading')).includes(part('slots-heading-day')), 'day heading');
      check((await times().count()) > 0, 'no times on an open day');
      slotLabel = (await times().first().textContent()).trim();
      check(L.time.test(slotLabel), `slot label ${slotLabel} for ${L.locale}`);
      await done('day');
    });

    if (live) {
      await step(variant, 'a time another student takes is crossed out without a reload', async () => {
        const last = times().last();
        const start = await last.getAttribute('value');
        const held = await fetch(`${base}/api/v1/coaches/alice/event-types/intro/holds`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ start }),
        });
        check(held.status === 201, `hold for the other student: ${held.status}`);
        await page.waitForFunction((v) => document.querySelector(`button[value="${v}"]`).disabled, start, { timeout: 60000 });
        check((await page.textContent('#live-status')).includes(t('live-taken')), 'announced');
        await shot(page, variant, `${String(n).padStart(2, '0')}-day-taken`);
      });
    }

    await step(variant, 'pick a time and fill in the form with its questions', async () => {
      await Promise.all([page.waitForURL(/\/book\/hold\//), times().first().click()]);
      const notice = await page.textContent('p.notice');
      check(notice.includes(part('hold-held-until')) && notice.includes(slotLabel), `hold notice: ${notice}`);
      check((await page.textContent('.about')).includes(t('label-duration')), 'duration on the form');
      await page.getByLabel(t('field-your-name')).fill(student);
      await page.getByLabel(t('field-your-email')).fill(email);
      await page.getByLabel('Your level').selectOption('Advanced');
      await page.getByLabel(/What do you want to reach/).fill('Speak <3');
      await done('details');
    });

    let manageUrl = '';
    let reference = '';
    await step(variant, 'confirm: the reference and the add-to-calendar links', async () => {
      await Promise.all([page.waitForURL(/\/book\/manage\//), page.getByRole('button', { name: t('hold-submit-book'), exact: true }).click()]);
      check((await page.textContent('h1')).includes(t('manage-heading-confirmed')), 'heading');
      check((await page.textContent('p.notice')).includes(t('manage-done-booked')), 'confirmation notice');
      reference = (await page.locator(`dt:text-is("${t('label-reference')}") + dd`).textContent()).trim();
      check(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(reference), `reference ${reference}`);
      check((await page.locator(`dt:text-is("${t('label-name')}") + dd`).textContent()).trim() === student, 'name');
      const google = await page.getByRole('link', { name: new RegExp(t('add-google')) }).getAttribute('href');
      check(/^https:\/\/calendar\.google\.com\/calendar\/render\?action=TEMPLATE&text=[^&]+&dates=\d{8}T\d{6}Z\/\d{8}T\d{6}Z&/.test(google), `Google link ${google}`);
      const outlook = await page.getByRole('link', { name: new RegExp(t('add-outlook').replace('.', '\\.')) }).getAttribute('href');
      check(outlook.startsWith('https://outlook.live.com/calendar/0/deeplink/compose?') && /&startdt=\d{4}-\d\d-\d\dT/.test(decodeURIComponent(outlook)), `Outlook link ${outlook}`);
      const ics = await page.getByRole('link', { name: new RegExp(t('booking-add-to-calendar').replace(/[().]/g, '\\$&')) }).getAttribute('href');
      const file = await context.request.get(`${base}${ics}`);
      check(file.status() === 200 && (await file.text()).includes('BEGIN:VEVENT'), `the .ics download ${ics}: ${file.status()}`);
      manageUrl = page.url().split('?')[0];
      await done('booked');
    });

    await step(variant, 'open the manage link', async () => {
      const resp = await page.goto(manageUrl);
      check(resp.status() === 200, `status ${resp.status()}`);
      check((await page.locator(`dt:text-is("${t('label-reference')}") + dd`).textContent()).trim() === reference, 'reference');
      check((await page.locator(`dt:text-is("${t('label-status')}") + dd`).textContent()).trim() === t('status-confirmed'), 'status');
      check((await page.getByRole('link', { name: new RegExp(t('add-google')) }).count()) === 1, 'add to calendar on the manage page');
      await done('manage');
    });

    await step(variant, 'reschedule to another time', async () => {
      await Promise.all([page.waitForURL(/reschedule=/), page.getByRole('link', { name: t('booking-choose-another'), exact: true }).click()]);
      check((await page.textContent('main')).includes(part('slots-rescheduling')), 'the page says it moves the booking');
      check((await times().count()) > 0, 'no time to move to');
      await done('reschedule-times');
      await Promise.all([page.waitForURL(/\/book\/hold\//), times().last().click()]);
      check((await page.textContent('h1')).includes(part('hold-move-title')), 'move question');
      await done('reschedule-confirm');
      await Promise.all([page.waitForURL(/done=moved/), page.getByRole('button', { name: t('hold-submit-move'), exact: true }).click()]);
      check((await page.textContent('p.notice')).includes(t('manage-done-moved')), 'moved notice');
      manageUrl = page.url().split('?')[0];
      await done('moved');
    });

    await step(variant, 'cancel and see "cancelled"', async () => {
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('booking-cancel'), exact: true }).click()]);
      await page.waitForSelector(`h1:has-text("${t('manage-heading-cancelled')}")`);
      check((await page.locator(`dt:text-is("${t('label-status')}") + dd`).textContent()).trim() === t('status-cancelled'), 'status');
      check((await page.getByRole('button', { name: t('booking-cancel'), exact: true }).count()) === 0, 'still offers cancelling');
      await done('cancelled');
      const body = await (await context.request.get(`${base}/api/v1/bookings/${manageUrl.split('/').pop()}`)).json();
      check(body.status === 'cancelled', `API says ${body.status}`);
    });
  } catch {
    // Counted in step(); the next variant still runs.
  } finally {
    await context.close();
  }
}

/** Runs axe-core on the page; any violation fails the check. With
 * JavaScript off the page runs no scripts, so axe runs in a scratch page
 * with scripts on, at the same width, over the same HTML. */
async function axeClean(page, name, { js = true, width = 1280, locale = 'en-GB' } = {}) {
  let target = page;
  let scratch = null;
  if (!js) {
    scratch = await page.context().browser().newContext({ viewport: { width, height: 900 }, javaScriptEnabled: true, locale });
    target = await scratch.newPage();
    await target.route('**/*', (route) => (route.request().resourceType() === 'script' ? route.abort() : route.continue()));
    // At the server's address, so relative links resolve alike.
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
      await axeClean(page, 'slots at 320 px', { js: false, width: 320, locale: 'en-US' });
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
  for (const lang of ['en', 'de']) {
    for (const width of [1280, 360]) {
      for (const js of [true, false]) {
        await walk(browser, { lang, width, js, live: js && width === 1280 && lang === 'en' });
      }
    }
  }
  await narrow(browser);
  await dashboard(browser);
} finally {
  await browser.close();
}
console.log(`screenshots: ${shotDir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
