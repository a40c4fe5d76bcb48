// The layer viewer: one published layer on an OpenLayers map, through the
// server's own services (WMTS from its capabilities, vector tiles, or
// WMS), fitted to the layer's bounds, with the attributes of what is
// clicked (WMS GetFeatureInfo). The page gives the layer's description as
// JSON in <script id="layer">.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import TileLayer from 'ol/layer/Tile.js';
import ImageLayer from 'ol/layer/Image.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import WMTS, {optionsFromCapabilities} from 'ol/source/WMTS.js';
import WMTSCapabilities from 'ol/format/WMTSCapabilities.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import MVT from 'ol/format/MVT.js';
import {transformExtent} from 'ol/proj.js';
import {Style, Fill, Stroke, Circle} from 'ol/style.js';

const cfg = JSON.parse(document.getElementById('layer').textContent);
const status = {loaded: 0, failed: 0, failures: [], info: null};
window.tuilesViewer = status;

// Restricted layers: every request carries the page's key.
function withKey(url) {
  if (!cfg.apikey) {
    return url;
  }
  return url + (url.includes('?') ? '&' : '?') + 'apikey=' + encodeURIComponent(cfg.apikey);
}

function watch(source, what) {
  source.on(what + 'loadend', () => status.loaded++);
  source.on(what + 'loaderror', (e) => {
    status.failed++;
    status.failures.push(String(e.tile ? e.tile.getKey() : what));
  });
  return source;
}

async function mainLayer() {
  if (cfg.vector) {
    const fill = new Fill({color: 'rgba(52, 101, 164, 0.35)'});
    const stroke = new Stroke({color: '#204a87', width: 1.2});
    const fallback = new Style({fill, stroke, image: new Circle({radius: 4, fill, stroke})});
    return new VectorTileLayer({
      // Only tiles over the data: the others are not served (404).
      extent: transformExtent(cfg.bounds, 'EPSG:4326', 'EPSG:3857'),
      source: watch(new VectorTileSource({
        format: new MVT(),
        url: withKey(cfg.base + '/tiles/' + cfg.name + '/WebMercatorQuad/{z}/{x}/{y}.pbf'),
        minZoom: cfg.minZoom,
        maxZoom: cfg.maxZoom,
      }), 'tile'),
      style: cfg.rules && cfg.rules.length ? sldStyle(cfg.rules) : fallback,
    });
  }
  if (cfg.wmts) {
    const resp = await fetch(withKey(cfg.base + '/wmts?SERVICE=WMTS&REQUEST=GetCapabilities'));
    const caps = new WMTSCapabilities().read(await resp.text());
    const options = optionsFromCapabilities(caps, {layer: cfg.name, matrixSet: 'WebMercatorQuad'});
    if (cfg.apikey) {
      options.urls = options.urls.map(withKey);
    }
    return new TileLayer({source: watch(new WMTS(options), 'tile')});
  }
  return new ImageLayer({
    source: watch(new ImageWMS({url: withKey(cfg.base + '/wms'), params: {LAYERS: cfg.name}, ratio: 1}), 'image'),
  });
}

// sldStyle draws vector tile features with the layer's own style rules:
// those whose equality filter matches, else the else rules.
function sldStyle(rules) {
  const styles = rules.map((r) => {
    const fill = r.fill ? new Fill({color: r.fill}) : undefined;
    const stroke = r.stroke ? new Stroke({color: r.stroke, width: r.width || 1}) : undefined;
    return new Style({fill, stroke, image: r.radius ? new Circle({radius: r.radius, fill, stroke}) : undefined});
  });
  return (feature) => {
    const out = [];
    rules.forEach((r, i) => {
      if (!r.else && (!r.property || String(feature.get(r.property)) === r.value)) {
        out.push(styles[i]);
      }
    });
    if (out.length === 0) {
      rules.forEach((r, i) => r.else && out.push(styles[i]));
    }
    return out;
  };
}

function showInfo(features) {
  const panel = document.getElementById('info');
  panel.replaceChildren();
  if (features.length === 0) {
    panel.textContent = 'Nothing here.';
  }
  for (const f of features) {
    const table = document.createElement('table');
    for (const [k, v] of Object.entries(f.properties || {})) {
      const row = table.insertRow();
      row.insertCell().textContent = k;
      row.insertCell().textContent = v === null ? '' : String(v);
    }
    panel.append(table);
  }
  status.info = features;
  panel.dataset.state = 'ready';
}

async function start() {
  const extent = transformExtent(cfg.bounds, 'EPSG:4326', 'EPSG:3857');
  const map = new Map({
    target: 'map',
    layers: [await mainLayer()],
    view: new View({projection: 'EPSG:3857', maxZoom: 22}),
  });
  map.getView().fit(extent, {padding: [20, 20, 20, 20]});
  status.map = map;
  map.on('rendercomplete', () => {
    status.rendered = (status.rendered || 0) + 1;
  });
  if (cfg.vector) {
    // Vector tiles carry their attributes: no request needed.
    map.on('singleclick', (e) => {
      const features = map.getFeaturesAtPixel(e.pixel, {hitTolerance: 3});
      showInfo(features.map((f) => ({properties: Object.fromEntries(
        Object.entries(f.getProperties()).filter(([k]) => k !== 'geometry' && k !== 'layer'))})));
    });
  } else if (cfg.queryable) {
    const wms = new ImageWMS({url: withKey(cfg.base + '/wms'), params: {LAYERS: cfg.name}});
    map.on('singleclick', async (e) => {
      const url = wms.getFeatureInfoUrl(e.coordinate, map.getView().getResolution(), 'EPSG:3857',
        {INFO_FORMAT: 'application/json', QUERY_LAYERS: cfg.name, FEATURE_COUNT: 5});
      const resp = await fetch(url);
      const json = await resp.json();
      showInfo(json.features || []);
    });
  }
  status.ready = true;
}

start().catch((e) => {
  status.error = String(e);
  document.getElementById('info').textContent = 'The map could not start: ' + e;
});
