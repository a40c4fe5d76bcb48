// Opens tuiles' own layer viewer (/view/LAYER) in Debian's Chromium
// (headless, driven by playwright-core), waits for the map, clicks its
// centre, and reports as JSON on stdout, per layer: requests made and
// failed, page errors, drawn pixels, and the attributes the click showed.
// Usage: node viewer.mjs BASE_URL SCREENSHOT_DIR LAYER...
import { launch, trackedPage } from "./browser.mjs";
import { join } from "node:path";

const [base, shots, ...layers] = process.argv.slice(2);
const browser = await launch();
const result = {};
try {
  for (const layer of layers) {
    const { page, seen } = await trackedPage(browser, { width: 1000, height: 700 });
    const { requests, failures, errors } = seen;
    await page.goto(`${base}/view/${layer}`);
    await page.waitForFunction(() => window.tuilesViewer && (window.tuilesViewer.ready || window.tuilesViewer.error), null, { timeout: 30000 });
    await page.waitForFunction(() => window.tuilesViewer.rendered > 0 || window.tuilesViewer.error, null, { timeout: 30000 });
    const drawn = await page.evaluate(() => {
      let n = 0;
      for (const c of document.querySelectorAll("#map canvas")) {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      }
      return n;
    });
    await page.screenshot({ path: join(shots, `${layer}.png`) });
    // A click at the centre of the map shows what is there.
    const box = await page.locator("#map").boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    let info = null;
    try {
      await page.waitForSelector("#info[data-state=ready]", { timeout: 15000 });
      info = await page.evaluate(() => window.tuilesViewer.info.map((f) => f.properties));
    } catch (e) {
      errors.push("no attributes after a click: " + e);
    }
    result[layer] = { drawn, requests: requests.filter((u) => u.startsWith(base)).length, failures, errors, info,
      state: await page.evaluate(() => ({ error: window.tuilesViewer.error, failed: window.tuilesViewer.failed })) };
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
