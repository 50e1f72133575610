// Public results: GET /v1/public/results, rendered as a table.
const rows = [
  ['reports_received', '收到的反映 Reports received', 'n'],
  ['reports_handled_locally', '街道自行解决 Handled by the street', 'n'],
  ['whistles_raised', '吹哨次数 Whistles raised', 'n'],
  ['dispatches', '部门报到派单 Dispatches', 'n'],
  ['arrival_on_time_rate', '30分钟内到场率 Arrived on time', '%'],
  ['resolution_rate', '解决率 Resolution rate', '%'],
  ['resolved_on_time_rate', '按时办结率 Resolved on time', '%'],
  ['ratings', '回访评价数 Ratings', 'n'],
  ['satisfaction_rate', '满意率 Satisfied', '%'],
];

const form = document.getElementById('scope');
const table = document.getElementById('results');
const error = document.getElementById('error');

function fmt(v, kind) {
  if (kind === '%') return (100 * (v || 0)).toFixed(1) + '%';
  return String(v || 0);
}

async function show(params) {
  error.textContent = '';
  const q = new URLSearchParams();
  for (const k of ['street_id', 'district_id', 'month']) if (params.get(k)) q.set(k, params.get(k));
  const url = '/v1/public/results?' + q;
  document.getElementById('json').href = url;
  const resp = await fetch(url);
  const body = await resp.json();
  if (!resp.ok) {
    error.textContent = (body.error && body.error.message) || resp.statusText;
    table.hidden = true;
    return;
  }
  document.getElementById('caption').textContent = body.street_id ? '街道 Street ' + body.street_id : '区 District ' + body.district_id;
  document.getElementById('cur').textContent = body.current.month;
  document.getElementById('prev').textContent = body.previous.month;
  const tbody = table.querySelector('tbody');
  tbody.replaceChildren(...rows.map(([key, label, kind]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    tr.append(th);
    for (const p of [body.current, body.previous]) {
      const td = document.createElement('td');
      td.textContent = fmt(p[key], kind);
      tr.append(td);
    }
    return tr;
  }));
  table.hidden = false;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const params = new URLSearchParams(new FormData(form));
  history.replaceState(null, '', '?' + params);
  show(params);
});

const initial = new URLSearchParams(location.search);
for (const [k, v] of initial) if (form.elements[k]) form.elements[k].value = v;
if (initial.get('street_id') || initial.get('district_id')) show(initial);
