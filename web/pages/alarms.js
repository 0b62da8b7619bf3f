// 报警: the alarms the scheduled checks raised (not back by curfew, out all night, silent gate readers,
// overdue repairs), open ones first, filtered by state, building and check; acknowledged and resolved
// with a note by those on duty; each with its history and the notifications its escalation sent.
import { field, handleSubmit } from "../js/forms.js";
import { hasRole } from "../js/auth.js";
import { language } from "../js/i18n.js";
import { placeName, ticketCategory } from "../js/labels.js";
import { alertBox, badge, emptyState, errorBox, h, pager, progress } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "定时检查发现的问题：未按时归寝、夜不归宿、门禁读卡器无数据、维修超时。未处理的报警会逐级通知（公寓管理员、辅导员，必要时家长）；确认接手后停止升级，处理完写明情况后解除。",
    "filter.state": "状态",
    "filter.building": "楼宇",
    "filter.building_all": "全部楼宇",
    "filter.check": "检查项",
    "filter.check_all": "全部检查项",
    "filter.show": "查看",
    "list.title": "报警列表",
    "list.empty": "没有符合条件的报警。",
    "state.open": "未处理",
    "state.acknowledged": "已接手",
    "state.resolved": "已解除",
    "severity.info": "提示",
    "severity.warning": "警告",
    "severity.critical": "紧急",
    "check.curfew_roll": "未按时归寝",
    "check.night_out": "夜不归宿",
    "check.silent_reader": "门禁读卡器无数据",
    "check.overdue_repair": "维修超时",
    "subject.resident": "{name}（{id}）",
    "subject.room": "{place} {room} 室",
    "subject.reader": "读卡器 {reader}（{entrance} 门）",
    "subject.ticket": "维修单 {ticket}",
    "detail.department": "{department} {grade} 级",
    "detail.nights": "连续 {n} 晚未归",
    "detail.last_exit": "最后出门 {at}",
    "detail.last_exit_unknown": "最后一次刷卡不在本楼",
    "detail.provisional": "点名时有读卡器数据未传完，结果待定",
    "detail.last_message": "最后收到数据 {at}",
    "detail.never_heard": "从未收到数据",
    "detail.deadline": "时限 {at}",
    "detail.repair_point": "维修点 {point}",
    "raised_at": "报警时间 {at}",
    "period": "时段 {period}",
    "escalation.none": "尚未通知",
    "escalation.level": "已通知 {n} 级",
    "reopened": "重新打开 {n} 次",
    "acknowledged_by": "{who} 于 {at} 接手",
    "resolved_by": "{who} 于 {at} 解除：{note}",
    "resolved_auto": "系统于 {at} 自动解除：{note}",
    "system": "系统",
    "action.acknowledge": "确认接手",
    "action.resolve": "解除报警…",
    "action.details": "处理记录和通知",
    "action.hide_details": "收起记录",
    "resolve.note": "处理情况",
    "resolve.note_hint": "写明核实结果，例如：电话联系，在同学家，明早回。最多 500 字。",
    "resolve.submit": "解除",
    "done.acknowledged": "已接手这条报警，不会再向上级通知。",
    "done.resolved": "报警已解除。",
    "history.title": "处理记录",
    "history.raise": "报警",
    "history.reopen": "重新打开",
    "history.acknowledge": "接手",
    "history.resolve": "解除",
    "history.auto_resolve": "自动解除",
    "history.escalate": "升级通知",
    "history.line": "{at} {who}：{action}",
    "notifications.title": "已发送的通知",
    "notifications.none": "还没有发送通知。",
    "notifications.line": "{at} 通知{recipient}（{to}）",
    "recipient.duty_desk": "总值班台",
    "recipient.repair_point": "维修点",
    "recipient.dorm_manager": "公寓管理员",
    "recipient.counsellor": "辅导员",
    "recipient.parent": "家长",
    "leader_note": "领导可查看报警，由值班人员接手和解除。",
  },
  "en": {
    "intro": "What the scheduled checks found: residents not back by curfew or out all night, silent gate readers, overdue repairs. An open alarm climbs its ladder (dorm manager, counsellor, a parent where allowed); acknowledging it stops the climb, and it is resolved with a note saying what was found.",
    "filter.state": "State",
    "filter.building": "Building",
    "filter.building_all": "All buildings",
    "filter.check": "Check",
    "filter.check_all": "All checks",
    "filter.show": "Show",
    "list.title": "Alarms",
    "list.empty": "No alarms match.",
    "state.open": "Open",
    "state.acknowledged": "Acknowledged",
    "state.resolved": "Resolved",
    "severity.info": "Info",
    "severity.warning": "Warning",
    "severity.critical": "Critical",
    "check.curfew_roll": "Not back by curfew",
    "check.night_out": "Out all night",
    "check.silent_reader": "Gate reader silent",
    "check.overdue_repair": "Repair overdue",
    "subject.resident": "{name} ({id})",
    "subject.room": "{place}, room {room}",
    "subject.reader": "Reader {reader} (entrance {entrance})",
    "subject.ticket": "Ticket {ticket}",
    "detail.department": "{department}, class of {grade}",
    "detail.nights": "{n} night(s) in a row",
    "detail.last_exit": "last exit {at}",
    "detail.last_exit_unknown": "last swipe not at this building",
    "detail.provisional": "a reader had not uploaded everything at the roll: provisional",
    "detail.last_message": "last heard {at}",
    "detail.never_heard": "never heard from",
    "detail.deadline": "deadline {at}",
    "detail.repair_point": "repair point {point}",
    "raised_at": "raised {at}",
    "period": "period {period}",
    "escalation.none": "nobody notified yet",
    "escalation.level": "escalation level {n}",
    "reopened": "reopened {n}×",
    "acknowledged_by": "acknowledged by {who} at {at}",
    "resolved_by": "resolved by {who} at {at}: {note}",
    "resolved_auto": "resolved automatically at {at}: {note}",
    "system": "the system",
    "action.acknowledge": "Acknowledge",
    "action.resolve": "Resolve…",
    "action.details": "History and notifications",
    "action.hide_details": "Hide history",
    "resolve.note": "What you found",
    "resolve.note_hint": "Say what you checked, e.g. phoned her: at a friend's, back in the morning. At most 500 characters.",
    "resolve.submit": "Resolve",
    "done.acknowledged": "You acknowledged this alarm: it will not be escalated further.",
    "done.resolved": "The alarm is resolved.",
    "history.title": "History",
    "history.raise": "raised",
    "history.reopen": "reopened",
    "history.acknowledge": "acknowledged",
    "history.resolve": "resolved",
    "history.auto_resolve": "resolved automatically",
    "history.escalate": "escalated",
    "history.line": "{at} {who}: {action}",
    "notifications.title": "Notifications sent",
    "notifications.none": "No notification sent yet.",
    "notifications.line": "{at} to the {recipient} ({to})",
    "recipient.duty_desk": "duty desk",
    "recipient.repair_point": "repair point",
    "recipient.dorm_manager": "dorm manager",
    "recipient.counsellor": "counsellor",
    "recipient.parent": "parent",
    "leader_note": "Leaders see alarms; those on duty acknowledge and resolve them.",
  },
};

const STATES = ["open", "acknowledged", "resolved"];
const CHECKS = ["curfew_roll", "night_out", "silent_reader", "overdue_repair"];
const ON_DUTY = ["dispatcher", "admin", "dorm_manager", "counsellor", "worker"];
const BUILDING_ROLES = ["dorm_manager", "dispatcher", "leader", "admin"];
const SEE_ALL = ["dispatcher", "leader", "admin"];
const STATE_TONES = { open: "danger", acknowledged: "warn", resolved: "success" };
const SEVERITY_TONES = { info: "info", warning: "warn", critical: "danger" };

export async function render(container, { api, t, fmt, params, navigate, signal, user }) {
  const state = STATES.includes(params.state) ? params.state : "open";
  const check = CHECKS.includes(params.check) ? params.check : "";
  const mayAct = hasRole(user, ON_DUTY);

  // Buildings to filter by: everyone's for the desk and leaders, their own for a dorm manager, who must
  // pick one when they run several (the API asks which).
  const intro = h("p", { class: "lead" }, t("intro"));
  const loading = progress();
  container.append(intro, loading);
  let buildings = [];
  if (hasRole(user, BUILDING_ROLES)) {
    try {
      buildings = (await api.get("/buildings", { signal })).items || [];
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      container.append(errorBox(err));
    }
  }
  loading.remove();
  const mustPick = !hasRole(user, SEE_ALL) && buildings.length > 1;
  let building = params.building || (mustPick ? buildings[0].building_id : "");

  const stateField = field({ name: "state", label: t("filter.state"), kind: "select", required: false,
    options: STATES.map((value) => ({ value, label: t(`state.${value}`) })), value: state });
  const checkField = field({ name: "check", label: t("filter.check"), kind: "select", required: false,
    options: [{ value: "", label: t("filter.check_all") }, ...CHECKS.map((value) => ({ value, label: t(`check.${value}`) }))],
    value: check });
  const buildingField = buildings.length ? field({ name: "building", label: t("filter.building"), kind: "select",
    required: false,
    options: [...(mustPick ? [] : [{ value: "", label: t("filter.building_all") }]),
      ...buildings.map((b) => ({ value: b.building_id, label: placeName(b.campus_id, b.building_id) }))],
    value: building }) : null;
  if (buildingField && building && !buildings.some((b) => b.building_id === building)) {
    // a building that is not in the list (not theirs): the API says so below
    buildingField.querySelector("select").append(h("option", { value: building }, building));
    buildingField.querySelector("select").value = building;
  }
  const filters = h("form", { class: "toolbar alarm-filters", role: "search", "aria-label": t("list.title") },
    stateField, buildingField, checkField,
    h("button", { type: "submit", class: "btn btn-secondary" }, t("filter.show")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(filters));
    navigate("/alarms", { state: values.state, building: values.building, check: values.check });
  });
  filters.querySelectorAll("select").forEach((select) => select.addEventListener("change", () => filters.requestSubmit()));

  const list = h("ul", { class: "item-list alarm-list", "aria-labelledby": "alarm-list-title" });
  const more = pager({
    load: async (cursor) => {
      // A dorm manager's or counsellor's list is filtered by check after paging: skip pages left empty.
      let page;
      for (let tries = 0; tries < 5; tries += 1) {
        page = await api.get("/alarms", { query: { state, building_id: building, check, cursor, limit: 20 }, signal });
        if (page.items?.length || !page.cursor) break;
        cursor = page.cursor;
      }
      return page;
    },
    show: (items, first) => {
      if (first && !items.length) list.replaceChildren(h("li", { class: "empty" }, t("list.empty")));
      list.append(...items.map(item));
    },
  });
  container.append(
    ...(hasRole(user, ["leader"]) && !mayAct ? [alertBox("info", t("leader_note"))] : []),
    filters, h("h2", { id: "alarm-list-title" }, t("list.title")), list, more);

  function who(id) {
    return !id || id === "system" ? t("system") : id;
  }

  function subject(alarm) {
    const d = alarm.details || {};
    if (alarm.check === "silent_reader") {
      return t("subject.reader", { reader: alarm.subject, entrance: d.entrance || "—" });
    }
    if (alarm.check === "overdue_repair") return t("subject.ticket", { ticket: alarm.subject });
    if (d.name) return t("subject.resident", { name: d.name, id: alarm.subject });
    return alarm.subject;
  }

  function facts(alarm) {
    const d = alarm.details || {};
    const lines = [];
    if (alarm.check === "curfew_roll" || alarm.check === "night_out") {
      if (d.room_no) lines.push(t("subject.room", { place: placeName(alarm.campus_id, alarm.building_id), room: d.room_no }));
      else if (alarm.building_id) lines.push(placeName(alarm.campus_id, alarm.building_id));
      if (d.department) lines.push(t("detail.department", { department: d.department, grade: d.grade || "—" }));
      if (d.nights) lines.push(t("detail.nights", { n: d.nights }));
      lines.push(d.last_exit ? t("detail.last_exit", { at: fmt.dateTime(d.last_exit) }) : t("detail.last_exit_unknown"));
      if (d.provisional) lines.push(t("detail.provisional"));
    } else if (alarm.check === "silent_reader") {
      if (alarm.building_id) lines.push(placeName(alarm.campus_id, alarm.building_id));
      lines.push(d.last_message_at ? t("detail.last_message", { at: fmt.dateTime(d.last_message_at) })
        : t("detail.never_heard"));
    } else if (alarm.check === "overdue_repair") {
      if (d.category) lines.push(ticketCategory(d.category));
      if (d.building_id) lines.push(placeName(alarm.campus_id || d.building_id.slice(0, 2), d.building_id));
      if (d.deadline) lines.push(t("detail.deadline", { at: fmt.dateTime(d.deadline) }));
      if (d.repair_point) lines.push(t("detail.repair_point", { point: d.repair_point }));
    } else if (alarm.building_id) lines.push(placeName(alarm.campus_id, alarm.building_id));
    return lines;
  }

  function checkName(name) {
    return CHECKS.includes(name) ? t(`check.${name}`) : name;
  }

  function item(alarm) {
    const li = h("li", { class: `alarm alarm-${alarm.state}`, dataset: { alarmId: alarm.alarm_id } });
    fill(li, alarm);
    return li;
  }

  function fill(li, alarm, message) {
    li.className = `alarm alarm-${alarm.state}`;
    const status = h("div", { class: "alarm-status" }, message ? alertBox("success", message) : null);
    const outcome = [];
    if (alarm.acknowledged_at) {
      outcome.push(h("p", { class: "alarm-outcome" }, t("acknowledged_by", {
        who: who(alarm.acknowledged_by), at: fmt.dateTime(alarm.acknowledged_at) })));
    }
    if (alarm.state === "resolved") {
      outcome.push(h("p", { class: "alarm-outcome" }, alarm.resolution === "auto"
        ? t("resolved_auto", { at: fmt.dateTime(alarm.resolved_at), note: alarm.note || "—" })
        : t("resolved_by", { who: who(alarm.resolved_by), at: fmt.dateTime(alarm.resolved_at), note: alarm.note || "—" })));
    }
    const actions = h("div", { class: "alarm-actions" });
    const details = h("div", { class: "alarm-details" });
    if (mayAct && alarm.state === "open") {
      actions.append(h("button", { type: "button", class: "btn btn-small", onclick: (e) => acknowledge(e.currentTarget) },
        t("action.acknowledge")));
    }
    let resolveForm = null;
    if (mayAct && alarm.state !== "resolved") {
      const toggle = h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-expanded": "false" },
        t("action.resolve"));
      resolveForm = h("form", { class: "alarm-resolve", novalidate: true, hidden: true },
        field({ name: "note", label: t("resolve.note"), kind: "textarea", hint: t("resolve.note_hint"),
          attrs: { maxlength: "500", rows: "3" } }),
        h("button", { type: "submit", class: "btn btn-small" }, t("resolve.submit")));
      toggle.addEventListener("click", () => {
        resolveForm.hidden = !resolveForm.hidden;
        toggle.setAttribute("aria-expanded", String(!resolveForm.hidden));
        if (!resolveForm.hidden) resolveForm.querySelector("textarea").focus();
      });
      handleSubmit(resolveForm, (values) => api.post(`/alarms/${encodeURIComponent(alarm.alarm_id)}/resolve`, values,
        { signal }), (changed) => fill(li, changed, t("done.resolved")));
      actions.append(toggle);
    }
    const more = h("button", { type: "button", class: "btn btn-secondary btn-small alarm-more", "aria-expanded": "false" },
      t("action.details"));
    more.addEventListener("click", () => toggleDetails(more, details, alarm));
    actions.append(more);

    li.replaceChildren(...[
      h("div", { class: "item-meta" },
        badge(t(`severity.${alarm.severity}`), SEVERITY_TONES[alarm.severity] || "neutral"),
        badge(t(`state.${alarm.state}`), STATE_TONES[alarm.state] || "neutral"),
        h("span", { class: "alarm-check" }, checkName(alarm.check)),
        h("span", {}, t("raised_at", { at: fmt.dateTime(alarm.opened_at) })),
        h("span", { class: "alarm-escalation" }, alarm.escalation_level
          ? t("escalation.level", { n: alarm.escalation_level }) : t("escalation.none")),
        alarm.reopen_count ? h("span", {}, t("reopened", { n: alarm.reopen_count })) : null),
      h("p", { class: "alarm-subject" }, subject(alarm)),
      h("p", { class: "alarm-facts muted" }, facts(alarm).join(" · ")),
      ...outcome, status, actions, resolveForm, details].filter(Boolean));

    async function acknowledge(button) {
      button.disabled = true;
      status.replaceChildren();
      try {
        const changed = await api.post(`/alarms/${encodeURIComponent(alarm.alarm_id)}/acknowledge`, {}, { signal });
        fill(li, changed, t("done.acknowledged"));
        li.querySelector(".alarm-actions button")?.focus();
      } catch (err) {
        if (err?.name === "AbortError") return;
        button.disabled = false;
        status.replaceChildren(errorBox(err));
      }
    }
  }

  function historyAction(e) {
    const recipient = /^notify (\w+)$/.exec(e.reason || "");
    if (e.action === "escalate" && recipient) return `${t("history.escalate")} · ${t(`recipient.${recipient[1]}`)}`;
    const action = t(`history.${e.action}`);
    return e.reason ? `${action} · ${e.reason}` : action;
  }

  async function toggleDetails(button, box, alarm) {
    if (button.getAttribute("aria-expanded") === "true") {
      box.replaceChildren();
      button.setAttribute("aria-expanded", "false");
      button.textContent = t("action.details");
      return;
    }
    button.disabled = true;
    try {
      const detail = await api.get(`/alarms/${encodeURIComponent(alarm.alarm_id)}`, { signal });
      box.replaceChildren(
        h("h3", {}, t("history.title")),
        h("ul", { class: "alarm-history" }, (detail.history || []).map((e) => h("li", {}, t("history.line", {
          at: fmt.dateTime(e.at), who: who(e.by),
          action: historyAction(e) })))),
        h("h3", {}, t("notifications.title")),
        detail.notifications?.length ? h("ul", { class: "alarm-notifications" }, detail.notifications.map((n) =>
          h("li", {}, t("notifications.line", { at: fmt.dateTime(n.at), recipient: t(`recipient.${n.recipient}`),
            to: (n.to || []).join(t("list.separator")) }),
          h("br"), h("span", { class: "muted" }, language() === "en" ? n.text_en : n.text_zh))))
          : emptyState(t("notifications.none")));
      button.setAttribute("aria-expanded", "true");
      button.textContent = t("action.hide_details");
    } catch (err) {
      if (err?.name === "AbortError") return;
      box.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  await more.ready;
}
