// Street maps drawn as SVG from the streets' GeoJSON boundaries: the network
// is closed, so there are no map tiles, and a street's outline is what a
// street secretary or a supervisor needs to orient by.
import { t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';

function rings(geom) {
  if (!geom) return [];
  if (geom.type === 'Polygon') return geom.coordinates;
  if (geom.type === 'MultiPolygon') return geom.coordinates.flat();
  return [];
}

function el(name, attrs = {}) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/**
 * Draws areas (each {id, name, boundary, fill, title}) into svg and returns a
 * projection with toLatLng (for clicks) and setMarker. onPick(lat, lng, id)
 * is called when an area is clicked.
 */
export function drawMap(svg, areas, { onPick, size = 600, fit = null, pad = 0.05 } = {}) {
  svg.replaceChildren();
  // fit names the areas the view frames; the others still show around them.
  const framed = fit ? areas.filter((a) => fit.includes(a.id)) : areas;
  const pts = framed.flatMap((a) => rings(a.boundary).flat());
  if (!pts.length) return null;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x);
    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  const padX = (maxX - minX) * pad || 0.001, padY = (maxY - minY) * pad || 0.001;
  minX -= padX; maxX += padX; minY -= padY; maxY += padY;
  const kx = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  // The longer side gets size units, so labels keep one size on wide and tall areas.
  const scale = size / Math.max((maxX - minX) * kx, maxY - minY);
  const width = Math.round((maxX - minX) * kx * scale);
  const height = Math.round((maxY - minY) * scale);
  const project = ([lng, lat]) => [((lng - minX) * kx * scale), ((maxY - lat) * scale)];
  const toLatLng = (x, y) => ({ lng: minX + x / (kx * scale), lat: maxY - y / scale });
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');

  const g = el('g');
  for (const a of areas) {
    const d = rings(a.boundary).map((ring) => `M${ring.map((p) => project(p).map((v) => v.toFixed(1)).join(',')).join('L')}Z`).join('');
    // A synthetic stand-in (no real boundary imported) is dashed and says so;
    // even-odd filling leaves a real boundary's holes empty.
    const cls = ['area', a.muted && 'muted', a.synthetic_boundary && 'synthetic'].filter(Boolean).join(' ');
    const path = el('path', { d, class: cls, fill: a.fill || '#dfe9f3', 'fill-rule': 'evenodd', 'data-id': a.id });
    const title = el('title');
    title.textContent = (a.title || a.name) + (a.synthetic_boundary ? ` · ${t('map.synthetic')}` : '');
    path.append(title);
    g.append(path);
  }
  svg.append(g);
  const labels = el('g', { class: 'labels', 'aria-hidden': 'true' });
  for (const a of areas) {
    if (!a.label || !a.centroid) continue;
    const [x, y] = project([a.centroid.lng, a.centroid.lat]);
    const text = el('text', { x: x.toFixed(1), y: y.toFixed(1), 'text-anchor': 'middle', class: 'label' });
    text.textContent = a.label;
    labels.append(text);
  }
  svg.append(labels);
  const marker = el('g', { class: 'marker', visibility: 'hidden' });
  marker.append(el('circle', { r: 14, class: 'pin-halo' }), el('circle', { r: 6, class: 'pin' }));
  svg.append(marker);

  if (onPick) {
    svg.addEventListener('click', (ev) => {
      const ctm = svg.getScreenCTM();
      if (!ctm) return;
      const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
      const { lat, lng } = toLatLng(p.x, p.y);
      onPick(+lat.toFixed(6), +lng.toFixed(6), ev.target?.dataset?.id);
    });
  }
  return {
    setMarker(lat, lng) {
      if (!Number.isFinite(lat) || !Number.isFinite(lng)) { marker.setAttribute('visibility', 'hidden'); return; }
      const [x, y] = project([lng, lat]);
      marker.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)})`);
      marker.setAttribute('visibility', 'visible');
    },
  };
}

/** A fill for count on a white-to-red scale (0 stays pale). */
export function shade(count, max) {
  if (!count) return '#eef2f6';
  const f = Math.min(1, count / Math.max(1, max));
  const l = 88 - f * 45; // lightness 88 % → 43 %
  return `hsl(4, 70%, ${l}%)`;
}
