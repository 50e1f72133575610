// A resident's report: POST /v1/public/reports, then show the follow-up code.
const form = document.getElementById('report');
const error = document.getElementById('error');

document.getElementById('locate').addEventListener('click', () => {
  navigator.geolocation?.getCurrentPosition((pos) => {
    form.elements.lat.value = pos.coords.latitude.toFixed(6);
    form.elements.lng.value = pos.coords.longitude.toFixed(6);
  }, () => { error.textContent = '无法获取位置，请手动填写 Location unavailable: please type it'; }, { timeout: 5000 });
});

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.textContent = '';
  const f = new FormData(form);
  const body = {
    street_id: f.get('street_id'), category: f.get('category'), description: f.get('description'),
    // The browser's own position is WGS-84, whatever the deployment's default.
    location: { lat: Number(f.get('lat')), lng: Number(f.get('lng')) }, coord_sys: 'WGS84', address: f.get('address'),
    contact_name: f.get('contact_name'), contact_phone: f.get('contact_phone'),
  };
  const resp = await fetch('/v1/public/reports', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const out = await resp.json();
  if (!resp.ok) {
    const details = (out.error?.details || []).map((d) => d.field + ': ' + d.reason).join('; ');
    error.textContent = (out.error?.message || resp.statusText) + (details ? ' (' + details + ')' : '');
    return;
  }
  form.hidden = true;
  document.getElementById('token').textContent = out.follow_up_token;
  document.getElementById('follow').href = 'follow.html#' + encodeURIComponent(out.follow_up_token);
  document.getElementById('done').hidden = false;
});
