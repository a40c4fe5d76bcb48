// Opens tuiles layers in OpenLayers inside Debian's Chromium (headless,
// driven by playwright-core) and reports, as JSON on stdout, the tile
// requests made, those that failed, and how many pixels of each map are
// drawn. Usage: node check.mjs BASE_URL SCREENSHOT_DIR
import { launch, trackedPage } from "./browser.mjs";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const [base, shots] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const olJS = readFileSync(join(here, "node_modules/ol/dist/ol.js"), "utf8");
const olCSS = readFileSync(join(here, "node_modules/ol/ol.css"), "utf8");

const browser = await launch();
const result = {};
try {
  for (const [name, script] of Object.entries(maps())) {
    const { page, seen } = await trackedPage(browser, { width: 800, height: 600 });
    const { requests, failures, errors } = seen;
    await page.setContent(`<!doctype html><html><head><style>${olCSS} html,body,#map{margin:0;width:100%;height:100%}</style></head>
      <body><div id="map"></div></body></html>`);
    await page.addScriptTag({ content: olJS });
    const drawn = await page.evaluate(script, base);
    await page.screenshot({ path: join(shots, `${name}.png`) });
    result[name] = { drawn, requests: requests.filter((u) => u.startsWith(base)).length, failures, errors };
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));

// maps returns, per map, a function run in the page: it builds the map
// and resolves, once rendering is complete, with the count of drawn
// (non-transparent) pixels of the map's canvases.
function maps() {
  const drawnPixels = `
    const count = () => {
      let n = 0;
      for (const c of document.querySelectorAll("#map canvas")) {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      }
      return n;
    };`;
  return {
    // The rendered départements from WMTS capabilities, in Web Mercator.
    wmts: new Function("base", `${drawnPixels}
      return (async () => {
        const caps = new ol.format.WMTSCapabilities().read(await (await fetch(base + "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")).text());
        const options = ol.source.WMTS.optionsFromCapabilities(caps, { layer: "departements", matrixSet: "WebMercatorQuad" });
        options.crossOrigin = "anonymous";
        const map = new ol.Map({ target: "map", layers: [new ol.layer.Tile({ source: new ol.source.WMTS(options) })],
          view: new ol.View({ center: ol.proj.fromLonLat([2.5, 46.6]), zoom: 6 }) });
        await new Promise((ok) => map.once("rendercomplete", ok));
        return count();
      })();`),
    // The départements as vector tiles from their TileJSON.
    mvt: new Function("base", `${drawnPixels}
      return (async () => {
        const tj = await (await fetch(base + "/tiles/departements-vector/WebMercatorQuad/tiles.json")).json();
        const extent = ol.proj.transformExtent(tj.bounds, "EPSG:4326", "EPSG:3857");
        const layer = new ol.layer.VectorTile({ extent, source: new ol.source.VectorTile({
          format: new ol.format.MVT(), url: tj.tiles[0], maxZoom: tj.maxzoom, minZoom: tj.minzoom }),
          style: new ol.style.Style({ fill: new ol.style.Fill({ color: "#9ecae1" }), stroke: new ol.style.Stroke({ color: "#3182bd", width: 1 }) }) });
        const map = new ol.Map({ target: "map", layers: [layer],
          view: new ol.View({ center: ol.proj.fromLonLat([2.5, 46.6]), zoom: 6 }) });
        await new Promise((ok) => map.once("rendercomplete", ok));
        return count();
      })();`),
  };
}
