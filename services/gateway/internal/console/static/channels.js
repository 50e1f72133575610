// The admin's channels to people (GET/POST/PATCH/DELETE /v1/channels): SMS
// and e-mail to whoever is on duty at a desk, 企业微信 and 钉钉 group robots,
// per department x district and for a district's supervisors (督办). A
// robot's URL and secret are write-only: the list shows the host and path.
import { api, departments, districts, byKey } from './api.js';
import { offerCommittees, nameCommittees, deptName, isCommitteeDesk } from './committees.js';
import { t, nameOf, when } from './i18n.js';
import { esc, toast, toastError } from './ui.js';

const KINDS = ['aliyun-sms', 'tencent-sms', 'email', 'wecom', 'dingtalk'];
const ROBOTS = new Set(['wecom', 'dingtalk']);
const SUPERVISOR = 'supervisor';

/** Renders the channels card into el. */
export async function renderChannels(el) {
  const [deps, dists] = await Promise.all([departments(), districts()]);
  const depBy = byKey(deps), distBy = byKey(dists, 'id');
  const desk = (c) => `${nameOf(distBy[c.district_id], c.district_id)} · ${c.department === SUPERVISOR ? t('channels.supervisors') : deptName(depBy[c.department], c.department)}`;
  // A committee's desk by its name, with its code beside it (communities' names repeat across streets).
  const deskCell = (c) => `${esc(desk(c))}${isCommitteeDesk(c.department) ? ` <code class="muted">${esc(c.department)}</code>` : ''}`;
  const opt = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  const draw = (list) => list.map((c) => `<tr data-channel="${esc(c.id)}">
      <td>${deskCell(c)}</td><td>${esc(t(`channels.kind.${c.kind}`))}</td>
      <td>${c.target ? `<code>${esc(c.target)}</code>${c.signed ? ` <span class="badge">${esc(t('channels.signed'))}</span>` : ''}` : esc(t('channels.onDuty'))}</td>
      <td class="muted">${esc(t(`channels.source.${c.source}`))}<br>${esc(when(c.updated_at || c.created_at))}</td>
      <td>${c.enabled ? esc(t('channels.on')) : `<span class="badge">${esc(t('channels.off'))}</span>`}</td>
      <td><button type="button" class="ghost" data-toggle="${esc(c.id)}" data-enabled="${c.enabled}">${esc(t(c.enabled ? 'channels.disable' : 'channels.enable'))}</button>
        ${c.source === 'api' ? `<button type="button" class="ghost" data-delete="${esc(c.id)}" aria-label="${esc(t('channels.delete'))} ${esc(desk(c))} ${esc(t(`channels.kind.${c.kind}`))}">${esc(t('channels.delete'))}</button>` : ''}</td></tr>`).join('');
  const list = async () => {
    const channels = (await api('/v1/channels')).channels || [];
    await nameCommittees(channels.map((c) => c.department));
    return channels;
  };
  el.innerHTML = `<section class="card" aria-labelledby="ch-h"><h2 id="ch-h">${esc(t('channels.title'))}</h2>
    <p class="hint">${esc(t('channels.hint'))}</p>
    <div class="scroll"><table><thead><tr><th scope="col">${esc(t('channels.desk'))}</th><th scope="col">${esc(t('channels.kindH'))}</th>
      <th scope="col">${esc(t('channels.target'))}</th><th scope="col">${esc(t('channels.sourceH'))}</th><th scope="col">${esc(t('channels.state'))}</th>
      <th scope="col"><span class="sr-only">${esc(t('channels.actions'))}</span></th></tr></thead>
      <tbody id="channel-rows">${draw(await list())}</tbody></table></div>
    <form id="channel-form" class="stack" autocomplete="off"><h3>${esc(t('channels.add'))}</h3>
      <div class="row"><div class="stack"><label for="ch-district">${esc(t('signin.district'))}</label><select id="ch-district" name="district_id" required>${dists.map((d) => opt(d.id, `${nameOf(d)} ${d.id}`)).join('')}</select></div>
      <div class="stack"><label for="ch-dept">${esc(t('channels.desk'))}</label><select id="ch-dept" name="department">${opt(SUPERVISOR, t('channels.supervisors'))}${deps.map((d) => opt(d.code, nameOf(d))).join('')}</select></div>
      <div class="stack"><label for="ch-kind">${esc(t('channels.kindH'))}</label><select id="ch-kind" name="kind">${KINDS.map((k) => opt(k, t(`channels.kind.${k}`))).join('')}</select></div></div>
      <div class="row" id="ch-robot" hidden><div class="stack"><label for="ch-url">${esc(t('channels.robotUrl'))}</label><input id="ch-url" name="robot_url" type="password" maxlength="2048" spellcheck="false"></div>
      <div class="stack"><label for="ch-secret">${esc(t('channels.secret'))}</label><input id="ch-secret" name="secret" type="password" maxlength="256"></div></div>
      <p class="hint">${esc(t('channels.writeOnly'))}</p>
      <button type="submit" class="secondary">${esc(t('channels.add'))}</button></form></section>`;

  const form = el.querySelector('#channel-form');
  const robotFields = () => { el.querySelector('#ch-robot').hidden = !ROBOTS.has(form.kind.value); };
  form.kind.addEventListener('change', robotFields);
  robotFields();
  // A committee's desk (cc-<community code>) has channels too: the chosen district's committees follow the departments.
  const offer = () => offerCommittees(form.querySelector('#ch-dept'), form.querySelector('#ch-district').value);
  form.querySelector('#ch-district').addEventListener('change', offer);
  offer();
  const reload = async () => { el.querySelector('#channel-rows').innerHTML = draw(await list()); };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(form)) if (v && (ROBOTS.has(form.kind.value) || (k !== 'robot_url' && k !== 'secret'))) body[k] = v;
    try {
      await api('/v1/channels', { method: 'POST', body });
      toast(t('channels.added'));
      form.robot_url.value = '';
      form.secret.value = '';
      await reload();
    } catch (err) {
      toastError(err);
    }
  });
  el.addEventListener('click', async (ev) => {
    const toggle = ev.target.closest('[data-toggle]');
    const del = ev.target.closest('[data-delete]');
    if (!toggle && !del) return;
    try {
      if (toggle) {
        await api(`/v1/channels/${encodeURIComponent(toggle.dataset.toggle)}`, { method: 'PATCH', body: { enabled: toggle.dataset.enabled !== 'true' } });
      } else {
        await api(`/v1/channels/${encodeURIComponent(del.dataset.delete)}`, { method: 'DELETE' });
      }
      toast(t('channels.saved'));
      await reload();
    } catch (err) {
      toastError(err);
    }
  });
}
