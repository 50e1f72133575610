// Follow a report (or a whistle) with its token and rate the result.
const lookup = document.getElementById('lookup');
const rate = document.getElementById('rate');
const error = document.getElementById('error');
const states = { RECEIVED: '已受理 Received', IN_PROGRESS: '办理中 In progress', CLOSED: '已办结 Closed',
  RESOLVED: '已办结 Resolved', REOPENED: '重新办理 Reopened' };
let token = '';

function render(fu) {
  document.getElementById('category').textContent = fu.category;
  document.getElementById('state').textContent = states[fu.status] || fu.status;
  document.getElementById('result').textContent = fu.result || '—';
  document.getElementById('rating').textContent = fu.satisfaction
    ? fu.satisfaction + ' / 5 · ' + (fu.fixed ? '已解决 fixed' : '未解决 not fixed') : '—';
  document.getElementById('status').hidden = false;
  rate.hidden = !fu.can_rate;
}

async function call(method, path, body) {
  error.textContent = '';
  const resp = await fetch(path, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  const out = await resp.json();
  if (!resp.ok) {
    error.textContent = resp.status === 404 ? '回访码无效 Unknown code' : (out.error?.message || resp.statusText);
    return null;
  }
  return out;
}

async function show() {
  const fu = await call('GET', '/v1/public/follow-ups/' + encodeURIComponent(token));
  if (fu) render(fu);
}

lookup.addEventListener('submit', (e) => {
  e.preventDefault();
  token = lookup.elements.token.value.trim();
  location.hash = encodeURIComponent(token);
  show();
});

rate.addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(rate);
  const fu = await call('POST', '/v1/public/follow-ups/' + encodeURIComponent(token) + ':rate', {
    satisfaction: Number(f.get('satisfaction')), comment: f.get('comment'), fixed: f.get('fixed') === 'true',
  });
  if (fu) render(fu);
});

if (location.hash.length > 1) {
  token = decodeURIComponent(location.hash.slice(1));
  lookup.elements.token.value = token;
  show();
}
