// A whistle's timeline (every event, hash-chained by the feedback service),
// shown in a dialog: the breach drill-down of supervisors and the history of
// a street's whistle.
import { api, departments, byKey } from './api.js';
import { t, when, nameOf } from './i18n.js';
import { esc, openDialog, toastError } from './ui.js';
import { nameCommittees, deptName } from './committees.js';

const typeNames = {
  'whistle.raised': ['吹哨', 'Raised'], 'whistle.routed': ['派单', 'Routed'], 'whistle.rerouted': ['改派（兜底）', 'Re-routed (fallback)'],
  'whistle.unroutable': ['无法派单', 'Unroutable'], 'whistle.responding': ['处置中', 'Responding'], 'whistle.resolved': ['办结', 'Resolved'],
  'whistle.closed': ['关闭（已评价）', 'Closed (rated)'], 'whistle.cancelled': ['撤销', 'Cancelled'], 'whistle.reopened': ['重启', 'Reopened'],
  'dispatch.requested': ['请求派单', 'Dispatch requested'], 'dispatch.created': ['派单到部门', 'Dispatched'],
  'dispatch.acknowledged': ['签收', 'Acknowledged'], 'dispatch.arrived': ['到场报到', 'Arrived on site'],
  'dispatch.resolved': ['部门办结', 'Department resolved'], 'dispatch.returned': ['退单', 'Returned'], 'dispatch.cancelled': ['派单取消', 'Dispatch cancelled'],
  'sla.warning': ['时限预警', 'SLA warning'], 'sla.breached': ['超时', 'SLA breached'],
  'sla.escalated': ['升级督办', 'Escalated'], 'sla.extension_requested': ['申请延期', 'Extension requested'],
  'sla.extension_decided': ['延期审批', 'Extension decided'], 'whistle.arbitration_requested': ['提请审定', 'Arbitration requested'],
  'whistle.arbitrated': ['审定', 'Arbitrated'], 'whistle.department_added': ['增派部门', 'Department added'],
  'whistle.redispatched': ['重新派单', 'Sent back to the departments'],
  'whistle.merged': ['合并', 'Merged'], 'whistle.duplicate_candidate': ['疑似重复', 'Possible duplicate'],
  'whistle.jurisdiction_checked': ['辖区核验', 'Jurisdiction checked'], 'whistle.location_confirmed': ['位置确认', 'Location confirmed'],
  'dispatch.board_noted': ['协同留言', 'Joint board note'], 'dispatch.joint_completed': ['联合行动完成', 'Joint action done'],
  'dispatch.eta_set': ['值班台报预计到场', 'Desk stated its ETA'],
  'feedback.appeal_filed': ['申诉', 'Appeal filed'], 'feedback.appeal_decided': ['申诉裁决', 'Appeal decided'],
  'whistle.attachment_added': ['添加证据', 'Evidence added'],
};

// note is what an entry says at a glance: where the desk checked in, or the
// evidence added with its hash (the full payload stays in the details).
function note(e) {
  const d = e.data || {};
  if (e.type === 'dispatch.arrived') {
    const a = d.dispatch || {};
    if (a.arrival_unlocated) return `<span class="late-text" data-arrival="unlocated">${esc(t('desk.unlocated'))}</span>`;
    if (!a.arrival_location) return '';
    const m = Math.round(a.arrival_distance_m || 0);
    return `<span${a.arrival_far ? ' class="late-text"' : ''} data-arrival="${a.arrival_far ? 'far' : 'near'}">${esc(t(a.arrival_far ? 'desk.far' : 'desk.near', { m }))}</span>`;
  }
  if (e.type === 'whistle.attachment_added' && d.attachment) {
    return `<span data-attachment="${esc(d.attachment.id || '')}">${esc(t(`ev.${d.attachment.stage}`))} · SHA-256 <code>${esc(d.attachment.sha256 || '')}</code></span>`;
  }
  return '';
}

// asked are the departments a routing decision asks for a dispatch (each
// department's request travels in the decision's entry), or [] for others.
function asked(e) {
  const d = e.data || {};
  const routed = [...(d.departments || []), d.to, d.department].filter((r) => r && r.request);
  return routed.map((r) => r.department);
}

function typeName(type) {
  const n = typeNames[type];
  if (!n) return type;
  return document.documentElement.lang === 'en' ? n[1] : n[0];
}

/** Opens the timeline of whistle id in a dialog. */
export async function showTimeline(id) {
  try {
    const [tl, deps] = await Promise.all([api(`/v1/whistles/${encodeURIComponent(id)}/timeline`), departments().then((d) => byKey(d))]);
    await nameCommittees((tl?.entries || []).flatMap((e) => (e.department ? [e.department] : asked(e))));
    const rows = (tl?.entries || []).map((e) => {
      const cls = e.type.startsWith('sla.breached') ? ' class="tl-late"' : e.type.startsWith('sla.warning') ? ' class="tl-warn"' : '';
      const data = e.data && Object.keys(e.data).length ? esc(JSON.stringify(e.data)) : '';
      const named = e.department ? [e.department] : asked(e);
      return `<li${cls}><time datetime="${esc(e.at)}">${esc(when(e.at))}</time> <strong>${esc(typeName(e.type))}</strong>`
        + `${named.length ? ` · ${named.map((d) => esc(deptName(deps[d], d))).join('、')}` : ''}`
        + `${note(e) ? ` · ${note(e)}` : ''}`
        + ` <span class="muted">${esc(e.actor?.role || '')} ${esc(e.actor?.id || '')}</span>`
        + `${data ? `<details><summary>${esc(e.type)}</summary><code>${data}</code></details>` : ''}</li>`;
    }).join('');
    openDialog(`${t('timeline')} · ${id}`, `<ol class="timeline">${rows || `<li>${esc(t('none'))}</li>`}</ol>`);
  } catch (err) {
    toastError(err);
  }
}
