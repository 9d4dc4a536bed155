// Books and cancels a session on slotdav's public pages in headless
// Chromium, as a student would: desktop, a 360px phone, and with
// JavaScript switched off.
//
//   node flow.mjs http://127.0.0.1:8008 [screenshot-dir]
//
// Expects a coach `alice` with at least one event type and open times in
// the current or next week (fixtures/booking/browser.toml). Prints one line
// per check and `N passed, N failed`; exits non-zero on any failure.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base.startsWith('http')) {
  console.error('usage: node flow.mjs BASE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}
const shotDir = process.argv[3] || path.resolve('target/browser-screenshots');
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
    locale: 'en-US',
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const student = `Student ${variant}`;
  const email = `${variant}@example.org`;
  try {
    await step(variant, 'coach page lists event types', async () => {
      const resp = await page.goto(`${base}/book/alice`);
      check(resp && resp.status() === 200, `status ${resp && resp.status()}`);
      check((await page.textContent('h1')).includes('Book a session with'), 'heading');
      check((await page.locator('a.button').count()) >= 1, 'no event type to pick');
      check(await fitsWidth(page), 'page is wider than the screen');
      await shot(page, variant, '1-coach');
    });

    let slotLabel = '';
    await step(variant, 'pick an event type and see open times', async () => {
      await Promise.all([page.waitForURL(/\/book\/alice\/[^/?]+/), page.locator('a.button').first().click()]);
      if (options.js) {
        // The page moves to the browser's zone by itself.
        await page.waitForURL(/tz=America%2FNew_York|tz=America\/New_York/);
        check((await page.inputValue('select#tz')) === 'America/New_York', 'zone select');
      }
      await page.waitForSelector('table.week');
      for (let week = 0; week < 3 && (await page.locator('ul.slots button').count()) === 0; week += 1) {
        await Promise.all([page.waitForLoadState('load'), page.getByText('Next week →').click()]);
        await page.waitForSelector('table.week');
      }
      const buttons = page.locator('ul.slots button');
      check((await buttons.count()) > 0, 'no open times in three weeks');
      slotLabel = (await buttons.first().textContent()).trim();
      check(/^\d\d:\d\d$/.test(slotLabel), `slot label ${slotLabel}`);
      check(await fitsWidth(page), 'slots page is wider than the screen');
      await shot(page, variant, '2-slots');
    });

    await step(variant, 'pick a slot and fill in the form', async () => {
      await Promise.all([page.waitForURL(/\/book\/hold\//), page.locator('ul.slots button').first().click()]);
      check((await page.textContent('p.notice')).includes('is held for you'), 'hold notice');
      check((await page.textContent('p.notice')).includes(slotLabel), `held time is not ${slotLabel}`);
      await page.fill('#name', student);
      await page.fill('#email', email);
      await page.fill('#note', 'Looking forward to it <3');
      check(await fitsWidth(page), 'form is wider than the screen');
      await shot(page, variant, '3-details');
    });

    let manageUrl = '';
    let reference = '';
    await step(variant, 'confirm and see the reference', async () => {
      await Promise.all([page.waitForURL(/\/book\/manage\//), page.locator('form.card button[type=submit]').click()]);
      check((await page.textContent('h1')).includes('Your booking'), 'heading');
      check((await page.textContent('p.notice')).includes('You are booked'), 'confirmation notice');
      reference = (await page.locator('dt:text-is("Reference") + dd').textContent()).trim();
      check(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(reference), `reference ${reference}`);
      check((await page.locator('dt:text-is("Name") + dd').textContent()).trim() === student, 'name');
      manageUrl = page.url().split('?')[0];
      check(await fitsWidth(page), 'booking page is wider than the screen');
      await shot(page, variant, '4-booked');
    });

    await step(variant, 'open the manage link', async () => {
      const resp = await page.goto(manageUrl);
      check(resp.status() === 200, `status ${resp.status()}`);
      check((await page.locator('dt:text-is("Reference") + dd').textContent()).trim() === reference, 'reference');
      check((await page.locator('dt:text-is("Status") + dd').textContent()).trim() === 'Confirmed', 'status');
      check(await page.getByRole('button', { name: 'Cancel this booking' }).isVisible(), 'cancel button');
    });

    await step(variant, 'cancel and see "cancelled"', async () => {
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Cancel this booking' }).click()]);
      await page.waitForSelector('h1:has-text("Booking cancelled")');
      check((await page.locator('dt:text-is("Status") + dd').textContent()).trim() === 'Cancelled', 'status');
      check((await page.textContent('p.notice')).includes('cancelled'), 'notice');
      check((await page.getByRole('button', { name: 'Cancel this booking' }).count()) === 0, 'still offers cancelling');
      await shot(page, variant, '5-cancelled');
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

const browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs, headless: true });
try {
  await flow(browser, 'desktop', { viewport: { width: 1280, height: 900 }, js: true });
  await flow(browser, 'phone-360', { viewport: { width: 360, height: 740 }, js: true });
  await flow(browser, 'no-js', { viewport: { width: 1280, height: 900 }, js: false });
} finally {
  await browser.close();
}
console.log(`screenshots: ${shotDir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
