// The joint board (联合执法, issue 24): on a whistle several departments work
// on, every department's state and countdown, who is on duty and who is on
// site, the notes they leave each other and, for the lead department's desk,
// 联合行动完成 once all have arrived. Opened from a joint whistle's card; kept
// current by the live stream while open (the desk stream carries the other
// departments' events of the whistles the desk takes part in).
import { api, departments, byKey } from './api.js';
import { nameOf, when } from './i18n.js';
import { esc, toast, toastError, countdownChip, openDialog } from './ui.js';
import { follow } from './live.js';
import { nameCommittees, deptName } from './committees.js';

// The board's own words, Chinese first (kept here so the page's dictionary
// stays as it is).
const words = {
  zh: {
    title: '联合执法看板', departments: '参与部门', notes: '协同留言', noNotes: '暂无留言。',
    note: '留言', send: '发送', sent: '留言已发送', lead: '牵头', cooperating: '配合',
    onDuty: '值班', nobody: '无人值班', arrived: '{t} 到场', notArrived: '未到场',
    complete: '联合行动完成', completed: '联合行动已完成（{t}）', waiting: '待全部部门到场后可完成',
    done: '已标记联合行动完成', supervisor: '督查',
    PENDING: '待签收', ACKNOWLEDGED: '已签收', ARRIVED: '已到场', RESOLVED: '已办结', RETURNED: '已退单', CANCELLED: '已取消',
  },
  en: {
    title: 'Joint board', departments: 'Departments', notes: 'Notes', noNotes: 'No notes yet.',
    note: 'Note', send: 'Send', sent: 'Note sent', lead: 'lead', cooperating: 'cooperating',
    onDuty: 'On duty', nobody: 'nobody on duty', arrived: 'on site {t}', notArrived: 'not on site',
    complete: 'Joint action done', completed: 'Joint action done ({t})', waiting: 'Every department must arrive first',
    done: 'Joint action marked done', supervisor: 'Supervisor',
    PENDING: 'Pending', ACKNOWLEDGED: 'Acknowledged', ARRIVED: 'On site', RESOLVED: 'Resolved', RETURNED: 'Returned', CANCELLED: 'Cancelled',
  },
};

function w(key, vars = {}) {
  const dict = document.documentElement.lang === 'en' ? words.en : words.zh;
  return String(dict[key] ?? words.zh[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
}

const onSite = (d) => !!d.arrived_at || d.status === 'ARRIVED' || d.status === 'RESOLVED';
const onBoard = (d) => d.status !== 'RETURNED' && d.status !== 'CANCELLED';

function departmentRow(d, deps) {
  const duty = (d.on_duty || []).map((s) => [s.seat, s.person, s.phone].filter(Boolean).join(' ')).join('；') || w('nobody');
  return `<li class="board-dept" data-department="${esc(d.department)}" data-status="${esc(d.status)}">
    <strong>${esc(deptName(deps[d.department], d.department))}</strong>
    <span class="muted">${esc(w(d.role === 'lead' ? 'lead' : 'cooperating'))}</span>
    <span class="badge d-${esc(d.status)}">${esc(w(d.status))}</span> ${countdownChip(d)}
    <br><span class="muted">${esc(onSite(d) ? w('arrived', { t: when(d.arrived_at) }) : w('notArrived'))} · ${esc(w('onDuty'))}：${esc(duty)}</span></li>`;
}

function noteRow(n, deps) {
  const who = n.department ? deptName(deps[n.department], n.department) : w('supervisor');
  return `<li class="board-note"><time datetime="${esc(n.created_at)}">${esc(when(n.created_at))}</time> `
    + `<strong>${esc(who)}</strong>：${esc(n.text)}</li>`;
}

/** The label of the button that opens a joint whistle's board. */
export const boardLabel = () => w('title');

// A board with its committees' desks named (their districts' committees fetched).
const named = async (board) => {
  await nameCommittees([...(board.dispatches || []), ...(board.notes || [])].map((x) => x.department));
  return board;
};

/** Opens the joint board of whistle id for who (the signed-in identity) in a dialog. */
export async function openBoard(id, who) {
  const path = `/v1/whistles/${encodeURIComponent(id)}/board`;
  let deps;
  let board;
  try {
    [board, deps] = await Promise.all([api(path).then(named), departments().then((d) => byKey(d))]);
  } catch (err) {
    toastError(err);
    return;
  }
  const dlg = openDialog(`${w('title')} · ${id}`, `<div class="board" data-whistle="${esc(id)}">
    <h3>${esc(w('departments'))}</h3><ul class="board-depts" aria-live="polite"></ul>
    <p class="board-done"></p>
    <h3>${esc(w('notes'))}</h3><ol class="board-notes" aria-live="polite"></ol>
    <form class="board-note-form stack"><label for="board-note">${esc(w('note'))}</label>
      <textarea id="board-note" name="text" rows="2" required maxlength="1000"></textarea>
      <div class="row"><button type="submit" class="primary">${esc(w('send'))}</button></div></form></div>`);
  const box = dlg.querySelector('.board');

  function draw() {
    const ds = board.dispatches || [];
    box.querySelector('.board-depts').innerHTML = ds.map((d) => departmentRow(d, deps)).join('');
    const notes = board.notes || [];
    box.querySelector('.board-notes').innerHTML = notes.length ? notes.map((n) => noteRow(n, deps)).join('') : `<li class="muted">${esc(w('noNotes'))}</li>`;
    const done = box.querySelector('.board-done');
    const lead = ds.find((d) => d.role === 'lead' && onBoard(d));
    if (board.completed_at) {
      done.innerHTML = `<strong>${esc(w('completed', { t: when(board.completed_at) }))}</strong>`;
    } else if (who.role === 'desk' && lead && lead.department === who.department) {
      const ready = ds.filter(onBoard).every(onSite);
      done.innerHTML = `<button type="button" class="primary" data-complete${ready ? '' : ' disabled'}>${esc(w('complete'))}</button>`
        + (ready ? '' : ` <span class="muted">${esc(w('waiting'))}</span>`);
    } else {
      done.innerHTML = '';
    }
  }

  async function refresh() {
    if (!dlg.open) return;
    try {
      board = await named(await api(path));
      draw();
    } catch (err) {
      toastError(err);
    }
  }

  box.querySelector('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    const text = String(new FormData(f).get('text') || '').trim();
    if (!text) return;
    try {
      await api(`${path}/notes`, { method: 'POST', body: { text } });
      f.reset();
      toast(w('sent'));
      await refresh();
    } catch (err) {
      toastError(err);
    }
  });
  box.addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-complete]');
    if (!b) return;
    b.disabled = true;
    try {
      board = await api(`${path}:complete`, { method: 'POST', body: {} });
      toast(w('done'));
      draw();
    } catch (err) {
      b.disabled = false;
      toastError(err);
    }
  });

  draw();
  const stop = follow(refresh);
  dlg.addEventListener('close', stop, { once: true });
}
