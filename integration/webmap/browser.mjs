// Shared by the browser checks: Debian's Chromium with the flags the
// project requires, and a page that records its requests and errors.
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

// trackedPage opens a page whose finished requests, failed requests
// (status 400 and above, network errors) and page errors are recorded.
export async function trackedPage(browser, viewport) {
  const page = await browser.newPage({ viewport });
  const seen = { requests: [], failures: [], errors: [] };
  page.on("requestfinished", async (req) => {
    const resp = await req.response();
    seen.requests.push(req.url());
    if (resp && resp.status() >= 400) seen.failures.push(`${resp.status()} ${req.url()}`);
  });
  page.on("requestfailed", (req) => seen.failures.push(`${req.failure()?.errorText} ${req.url()}`));
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  return { page, seen };
}
