/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium, newContext } from '../helpers/browser.js';

/**
 * The README's two screenshots (residents' view on a phone, the kiosk on a TV),
 * taken from a running hub, usually `npm run demo`:
 *   npm run screenshots -- http://127.0.0.1:8080
 */
const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const out = join(import.meta.dirname, '..', '..', 'dashboard', 'screenshots');
await mkdir(out, { recursive: true });
const browser = await launchChromium();
try {
  const phone = await newContext(browser, { viewport: { width: 412, height: 915 }, deviceScaleFactor: 1, colorScheme: 'light' });
  const page = await phone.newPage();
  await page.goto(`${base}/`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-chart] canvas', { timeout: 5000 }).catch(() => {});
  await page.setViewportSize({ width: 412, height: 1400 });
  await page.screenshot({ path: join(out, 'residents.png') });
  const tv = await newContext(browser, { viewport: { width: 1280, height: 720 } });
  const kiosk = await tv.newPage();
  await kiosk.goto(`${base}/kiosk`, { waitUntil: 'networkidle' });
  await kiosk.waitForTimeout(1200);
  await kiosk.screenshot({ path: join(out, 'kiosk.png') });
  console.log(`screenshots of ${base} written to ${out}`);
} finally {
  await browser.close();
}
