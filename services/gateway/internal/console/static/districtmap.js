// The supervisor's map (Leaflet, vendored): the district's boundaries as
// vector layers — its outline, its streets shaded by open whistles (dashed
// where only the synthetic stand-in exists), its communities — and its open
// whistles as markers coloured by where their dispatches stand, breaches
// ringed. Base tiles are drawn under them only when the deployment names a
// tile server (WHISTLE_MAP_TILE_URL); the map needs none.
import { t, nameOf, getLang } from './i18n.js';
import { esc, risk } from './ui.js';
import { shade } from './map.js';
import { deptName } from './committees.js';
import { loadVendor } from './vendor.js';

// A whistle's marker state: the least advanced of its live dispatches, or
// NONE while it has none (routing, unroutable). Order is the legend's.
export const STATES = ['NONE', 'PENDING', 'ACKNOWLEDGED', 'ARRIVED', 'RESOLVED'];
const COLOURS = { NONE: '#57606a', PENDING: '#7e22ce', ACKNOWLEDGED: '#1f5fa8', ARRIVED: '#0f766e', RESOLVED: '#15803d' };
const LIVE = new Set(['PENDING', 'ACKNOWLEDGED', 'ARRIVED', 'RESOLVED']);

/** The marker state of a whistle and whether any of its open dispatches breached a deadline. */
export function markerState(w, now) {
  const ds = (w.dispatches || []).filter((d) => LIVE.has(d.status));
  const state = ds.length ? STATES[Math.min(...ds.map((d) => STATES.indexOf(d.status)))] : 'NONE';
  const breached = ds.some((d) => d.status !== 'RESOLVED' && ((d.breaches || []).length > 0 || risk(d, now) === 'late'));
  return { state, breached };
}

function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.content || '';
}

/**
 * Makes the map in el. onTimeline(id) opens a whistle's timeline from its
 * popup. Returns {map, layers, setAreas, shadeStreets, setWhistles, destroy},
 * or rejects when Leaflet cannot load.
 */
export async function createDistrictMap(el, { onTimeline }) {
  const L = await loadVendor('leaflet.js', 'L', 'leaflet.css');
  const tiles = meta('whistle-map-tiles');
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: !!tiles, worldCopyJump: false });
  if (tiles) L.tileLayer(tiles, { attribution: esc(meta('whistle-map-attribution')), maxZoom: 19 }).addTo(map);
  const layers = { district: L.layerGroup().addTo(map), street: L.layerGroup().addTo(map), community: L.layerGroup().addTo(map), labels: L.layerGroup().addTo(map), whistles: L.layerGroup().addTo(map) };
  let labelled = false;
  el.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-timeline]');
    if (b) onTimeline(b.dataset.timeline);
  });

  const style = {
    district: () => ({ className: 'area district', color: '#7f1d17', weight: 3, fill: false }),
    street: (a, n, max) => ({
      className: `area street${a.synthetic ? ' synthetic' : ''}`, color: '#3d5a80', weight: 1.5, dashArray: a.synthetic ? '6 4' : null,
      fillColor: shade(n, max), fillOpacity: tiles ? 0.45 : 0.7, fillRule: 'evenodd',
    }),
    community: () => ({ className: 'area community', color: '#5b6b7c', weight: 0.8, fill: false, interactive: false }),
  };

  let streets = [];
  const markers = new Map(); // whistle id → {marker, key}
  return {
    map,
    layers,
    /** Draws the areas of a DistrictMap (GET /v1/map) and frames them. */
    setAreas(dm) {
      Object.values(layers).forEach((g) => g !== layers.whistles && g.clearLayers());
      streets = [];
      const bounds = L.latLngBounds([]);
      for (const a of dm.areas || []) {
        if (!a.boundary || !style[a.level]) continue;
        const layer = L.geoJSON(a.boundary, { style: () => style[a.level](a, 0, 1) });
        if (a.level === 'street') streets.push({ a, layer });
        else if (a.level === 'district') layer.bindTooltip(esc(nameOf(a)), { sticky: true });
        layer.addTo(layers[a.level]);
        if (a.level !== 'community' || !bounds.isValid()) bounds.extend(layer.getBounds());
      }
      // The district's outline over its streets' fills.
      layers.district.eachLayer((l) => l.bringToFront());
      labelled = !!dm.district_id;
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
      else map.setView([39.9042, 116.4074], 10); // Tiananmen, when nothing has a boundary
    },
    /** Shades and labels the streets by open whistles (counts by street code). */
    shadeStreets(counts) {
      const max = Math.max(1, ...Object.values(counts));
      layers.labels.clearLayers();
      for (const { a, layer } of streets) {
        const n = counts[a.code] || 0;
        layer.setStyle({ fillColor: shade(n, max) });
        const note = a.synthetic ? ` · ${t('map.synthetic')}` : '';
        layer.unbindTooltip().bindTooltip(esc(`${nameOf(a)}: ${t('sup.whistles', { n })}${note}`), { sticky: true });
        // Chinese names fit their blocks; English ones only where there is something to count.
        const text = getLang() === 'zh' || n ? `${nameOf(a).replace(/(街道|地区|镇|乡)$/, '')}${n ? ` ${n}` : ''}` : '';
        if (labelled && text && a.centroid) {
          L.marker([a.centroid.lat, a.centroid.lng], {
            icon: L.divIcon({ className: 'map-label', html: esc(text), iconSize: null }), interactive: false, keyboard: false,
          }).addTo(layers.labels);
        }
      }
    },
    /**
     * Shows one marker per whistle with a location, keeping those that did
     * not change (an open popup stays open through a live refresh). names
     * resolve codes in the popup. Returns the count per state and of breaches.
     */
    setWhistles(list, { now, streets: stBy = {}, cats = {}, deps = {} } = {}) {
      const seen = { breached: 0 };
      const keep = new Set();
      for (const w of list) {
        const lat = w.location?.lat, lng = w.location?.lng;
        if (!Number.isFinite(lat) || !Number.isFinite(lng)) continue;
        const { state, breached } = markerState(w, now);
        seen[state] = (seen[state] || 0) + 1;
        if (breached) seen.breached++;
        keep.add(w.id);
        const key = JSON.stringify([state, breached, lat, lng, w.updated_at, (w.dispatches || []).map((d) => [d.status, d.breaches])]);
        const had = markers.get(w.id);
        if (had?.key === key) continue;
        had?.marker.remove();
        const label = `${w.title || nameOf(cats[w.category], w.category)} · ${t(state === 'NONE' ? `w.${w.status}` : `d.${state}`)}${breached ? ` · ${t('sup.breached')}` : ''}`;
        const icon = L.divIcon({
          className: `wmark${breached ? ' breached' : ''}`, iconSize: breached ? [26, 26] : [18, 18],
          html: `<span style="background:${COLOURS[state]}">${breached ? '!' : ''}</span>`,
        });
        const m = L.marker([lat, lng], { icon, title: label, keyboard: true, riseOnHover: true, zIndexOffset: breached ? 1000 : 0 });
        m.bindPopup(() => popup(w, { breached, streets: stBy, cats, deps }), { maxWidth: 300 });
        m.on('add', () => {
          const e = m.getElement();
          e.dataset.whistle = w.id;
          e.dataset.state = state;
          e.setAttribute('aria-label', label);
        });
        m.addTo(layers.whistles);
        markers.set(w.id, { marker: m, key });
      }
      for (const [id, { marker }] of markers) {
        if (!keep.has(id)) { marker.remove(); markers.delete(id); }
      }
      return seen;
    },
    destroy() { map.remove(); },
  };
}

function popup(w, { breached, streets, cats, deps }) {
  const rows = (w.dispatches || []).filter((d) => d.status !== 'CANCELLED').map((d) => {
    const late = (d.breaches || []).length ? ` · <strong class="late">${esc(t('sup.breached'))}（${d.breaches.map((c) => esc(t(`clock.${c}`))).join('、')}）</strong>` : '';
    return `<li data-department="${esc(d.department)}">${esc(deptName(deps[d.department], d.department))}：${esc(t(`d.${d.status}`))}${late}</li>`;
  }).join('');
  return `<div class="wpop" data-whistle="${esc(w.id)}"><h3>${esc(w.title || nameOf(cats[w.category], w.category))}</h3>
    <p class="muted">${esc(nameOf(streets[w.street_id], w.street_id))} · ${esc(nameOf(cats[w.category], w.category))} · ${esc(t(`w.${w.status}`))}</p>
    ${breached ? `<p class="late">${esc(t('map.breach'))}</p>` : ''}
    ${w.description ? `<p>${esc(w.description.slice(0, 140))}</p>` : ''}
    <ul>${rows || `<li>${esc(t('none'))}</li>`}</ul>
    <button type="button" class="ghost" data-timeline="${esc(w.id)}">${esc(t('timeline'))}</button></div>`;
}

/** The legend's markup: a swatch and count per state, breaches, and the note on synthetic boundaries. */
export function legend(seen, syntheticStreets) {
  const items = STATES.filter((s) => seen[s]).map((s) => `<li data-state="${s}"><span class="swatch" style="background:${COLOURS[s]}"></span>
    ${esc(t(s === 'NONE' ? 'map.unrouted' : `d.${s}`))} <strong>${seen[s]}</strong></li>`);
  if (seen.breached) items.push(`<li data-state="breached"><span class="swatch ring"></span> ${esc(t('sup.breached'))} <strong>${seen.breached}</strong></li>`);
  const note = syntheticStreets ? `<p class="hint synthetic-note"><span class="dash"></span> ${esc(t('map.syntheticStreets', { n: syntheticStreets }))}</p>` : '';
  return `<ul class="map-legend">${items.join('') || `<li>${esc(t('none'))}</li>`}</ul>${note}`;
}
