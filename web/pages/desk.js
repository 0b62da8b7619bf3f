// 总值班台: every open repair ticket, most overdue first, with live time-limit clocks; the duty
// desk dispatches (or re-dispatches) a ticket to a repair point and enters repairs phoned in.
import { field, handleSubmit } from "../js/forms.js";
import { campusName, placeName, ticketCategory, ticketSeverity, ticketStateBadge } from "../js/labels.js";
import { hasRole } from "../js/auth.js";
import { alertBox, badge, dataTable, emptyState, h, pager } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "所有未完成的维修单，按时限排序，超时的在最前面。时限每秒更新。",
    "summary": "已显示 {shown} 张未完成的维修单，其中 {overdue} 张已超时。",
    "caption": "未完成的维修单",
    "empty": "现在没有未完成的维修单。",
    "col.ticket": "单号",
    "col.place": "地点",
    "col.category": "工种",
    "col.description": "问题",
    "col.state": "状态",
    "col.team": "维修点",
    "col.sla": "时限",
    "col.action": "操作",
    "room": "{place} {room} 室",
    "reported": "报修于 {at}",
    "phone_channel": "电话",
    "team.label": "{campus}{trade}维修点",
    "team.none": "未派单",
    "dispatch": "派单",
    "redispatch": "改派",
    "dispatch.label": "派单：{ticket}",
    "redispatch.label": "改派：{ticket}",
    "dispatch.title": "派单 {ticket}",
    "dispatch.current": "当前：{state}，{team}",
    "dispatch.team": "派往维修点",
    "dispatch.worker": "指定维修工工号",
    "dispatch.worker_hint": "不填则由维修点接单。",
    "dispatch.reason": "原因",
    "dispatch.reason_hint": "改派时必须写明原因，会告诉报修人。",
    "dispatch.submit": "派单",
    "dispatch.done": "{ticket} 已派往 {team}。",
    "intake.title": "电话报修",
    "intake.show": "登记电话报修",
    "intake.hide": "收起电话报修",
    "intake.caller_name": "来电人姓名",
    "intake.requester_id": "来电人学号或工号",
    "intake.requester_hint": "填写后，报修人可在“我的报修”里看到这张单。",
    "intake.contact_phone": "联系电话",
    "intake.campus_id": "校区",
    "intake.building_id": "楼栋编号",
    "intake.building_hint": "如 SB03；公共区域不填，改填下面的地点。",
    "intake.room_no": "房间号",
    "intake.place": "公共区域地点",
    "intake.place_hint": "如 一食堂、图书馆；在宿舍楼内可不填。",
    "intake.category": "工种",
    "intake.severity": "类别",
    "intake.description": "问题描述",
    "intake.submit": "登记",
    "intake.done": "已登记 {ticket}，已在下面的列表中。",
    "clock.days": "{d}天 {hms}",
  },
  "en": {
    "intro": "Every open repair ticket, by time limit, overdue ones first. The clocks tick every second.",
    "summary": "Showing {shown} open tickets, {overdue} of them overdue.",
    "caption": "Open repair tickets",
    "empty": "There are no open tickets right now.",
    "col.ticket": "Ticket",
    "col.place": "Place",
    "col.category": "Trade",
    "col.description": "Problem",
    "col.state": "State",
    "col.team": "Repair point",
    "col.sla": "Time limit",
    "col.action": "Action",
    "room": "{place}, room {room}",
    "reported": "reported {at}",
    "phone_channel": "Phone",
    "team.label": "{campus} {trade} team",
    "team.none": "Not dispatched",
    "dispatch": "Dispatch",
    "redispatch": "Re-dispatch",
    "dispatch.label": "Dispatch {ticket}",
    "redispatch.label": "Re-dispatch {ticket}",
    "dispatch.title": "Dispatch {ticket}",
    "dispatch.current": "Now: {state}, {team}",
    "dispatch.team": "Repair point",
    "dispatch.worker": "Worker's staff ID",
    "dispatch.worker_hint": "Leave empty to let the repair point pick.",
    "dispatch.reason": "Reason",
    "dispatch.reason_hint": "Required when re-dispatching; the requester sees it.",
    "dispatch.submit": "Dispatch",
    "dispatch.done": "{ticket} dispatched to {team}.",
    "intake.title": "Phone report",
    "intake.show": "Enter a phone report",
    "intake.hide": "Hide the phone report",
    "intake.caller_name": "Caller's name",
    "intake.requester_id": "Caller's student or staff ID",
    "intake.requester_hint": "With it the caller sees the ticket under “My repairs”.",
    "intake.contact_phone": "Phone number",
    "intake.campus_id": "Campus",
    "intake.building_id": "Building code",
    "intake.building_hint": "For example SB03; leave empty for a public place and fill in the place below.",
    "intake.room_no": "Room",
    "intake.place": "Public place",
    "intake.place_hint": "For example canteen 1 or the library; not needed inside a dorm.",
    "intake.category": "Trade",
    "intake.severity": "Size",
    "intake.description": "Problem",
    "intake.submit": "Enter",
    "intake.done": "{ticket} entered; it is in the list below.",
    "clock.days": "{d} d {hms}",
  },
};

const PAGE_SIZE = 50;
const CAMPUSES = ["SB", "JN"];

export async function render(container, { api, t, fmt, user, signal }) {
  const isDesk = hasRole(user, ["dispatcher"]); // the leader sees the list but does not dispatch
  const [teams, slaRules] = await Promise.all([
    api.get("/teams", { signal }).then((r) => r.items),
    api.get("/sla-rules", { signal }).then((r) => r.items),
  ]);
  const categoryOfTrade = Object.fromEntries(slaRules.map((rule) => [rule.name, rule.category]));
  const teamsById = new Map(teams.map((team) => [team.team_id, team]));
  const teamName = (teamId) => {
    const team = teamsById.get(teamId);
    if (!teamId) return t("team.none");
    if (!team) return teamId;
    const category = categoryOfTrade[team.trade];
    return category ? t("team.label", { campus: campusName(team.campus_id), trade: ticketCategory(category) })
      : team.name;
  };
  const categoryName = (category) => {
    const label = ticketCategory(category);
    return label === `ticket.category.${category}` ? slaRules.find((r) => r.category === category)?.name || category
      : label;
  };

  // ---------------------------------------------------------------- live clocks
  // Each clock counts from the API's seconds at the moment the list arrived (no clock skew).
  const clocks = new Map(); // ticket_id -> {el, seconds, dueAt, paused}
  const pad = (n) => String(n).padStart(2, "0");
  function clockText(seconds) {
    const s = Math.abs(Math.trunc(seconds));
    const hms = `${Math.floor((s % 86400) / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
    return s >= 86400 ? t("clock.days", { d: Math.floor(s / 86400), hms }) : hms;
  }
  function paintClock(clock) {
    const left = clock.paused ? clock.seconds : Math.round((clock.dueAt - Date.now()) / 1000);
    const overdue = left < 0;
    clock.el.className = `badge sla-clock badge-${clock.paused ? "warn" : overdue ? "danger" : "info"}`;
    const text = t(overdue ? "ticket.sla.overdue" : "ticket.sla.left", { time: clockText(left) });
    clock.el.textContent = clock.paused ? `${t("ticket.sla.paused")} · ${text}` : text;
    clock.el.closest("tr")?.classList.toggle("overdue", overdue);
    return overdue;
  }
  function paintAll() {
    let overdue = 0;
    for (const clock of clocks.values()) if (paintClock(clock)) overdue += 1;
    const text = clocks.size ? t("summary", { shown: clocks.size, overdue }) : "";
    if (summary.textContent !== text) summary.textContent = text; // announced only when it changes
  }
  const timer = setInterval(paintAll, 1000);
  signal.addEventListener("abort", () => clearInterval(timer));

  function clockFor(ticket, receivedAt) {
    const el = h("span", { class: "badge sla-clock", role: "timer", dataset: { ticketId: ticket.ticket_id } });
    const sla = ticket.sla || {};
    const seconds = sla.seconds_overdue ? -sla.seconds_overdue : (sla.seconds_left ?? 0);
    const clock = { el, seconds, dueAt: receivedAt + seconds * 1000, paused: Boolean(sla.paused) };
    clocks.set(ticket.ticket_id, clock);
    paintClock(clock);
    return el;
  }

  // ---------------------------------------------------------------- the list
  const rows = new Map(); // ticket_id -> {state, team, action} cells to refresh after a change
  const tickets = new Map();
  let receivedAt = Date.now();
  const columns = [
    { label: t("col.ticket"), render: (r) => [h("span", { class: "ticket-id" }, r.ticket_id),
      h("br"), h("span", { class: "muted small" }, t("reported", { at: fmt.dateTime(r.created_at) })),
      r.channel === "phone" ? [" ", badge(t("phone_channel"))] : null] },
    { label: t("col.place"), render: (r) => (r.room_no
      ? t("room", { place: placeName(r.campus_id, r.building_id), room: r.room_no })
      : r.place || placeName(r.campus_id, r.building_id)) },
    { label: t("col.category"), render: (r) => `${categoryName(r.category)} · ${ticketSeverity(r.severity)}` },
    { label: t("col.description"), render: (r) => h("span", { class: "item-text" }, r.description) },
    { label: t("col.state"), render: (r) => cell(r, "state", ticketStateBadge(r.state)) },
    { label: t("col.team"), render: (r) => cell(r, "team", teamName(r.team_id)) },
    { label: t("col.sla"), render: (r) => clockFor(r, receivedAt) },
  ];
  if (isDesk) columns.push({ label: t("col.action"), render: (r) => cell(r, "action", dispatchButton(r)) });

  function cell(ticket, name, content) {
    const el = h("span", { class: `cell-${name}` }, content);
    const entry = rows.get(ticket.ticket_id) || {};
    entry[name] = el;
    rows.set(ticket.ticket_id, entry);
    return el;
  }

  const summary = h("p", { class: "desk-summary", role: "status" });
  const list = h("div", { class: "desk-list" });
  let table = null;
  function showTickets(items) {
    const fresh = items.filter((item) => !tickets.has(item.ticket_id));
    fresh.forEach((item) => tickets.set(item.ticket_id, item));
    if (!table) {
      table = dataTable({ caption: t("caption"), columns, rows: fresh });
      list.replaceChildren(fresh.length ? table : emptyState(t("empty")));
    } else {
      if (!list.contains(table)) list.replaceChildren(table);
      table.addRows(fresh);
    }
    paintAll();
  }
  const more = pager({
    load: async (cursor) => {
      const page = await api.get("/tickets/open", { query: { cursor, limit: PAGE_SIZE }, signal });
      receivedAt = Date.now();
      return page;
    },
    show: showTickets,
  });

  /** A ticket that is not in the list yet (entered here): placed among the loaded rows by deadline. */
  function insertTicket(ticket) {
    receivedAt = Date.now();
    showTickets([ticket]);
    const body = table.querySelector("tbody");
    const row = body.lastElementChild;
    const deadline = Date.parse(ticket.sla?.deadline || ticket.deadline);
    const later = [...body.rows].find((other) => other !== row
      && Date.parse(tickets.get(other.querySelector(".ticket-id").textContent)?.sla?.deadline) > deadline);
    if (later) body.insertBefore(row, later);
    row.classList.add("just-changed");
    return row;
  }

  /** After a change: the state, repair point and clock of its row from the API's answer. */
  function updateTicket(ticket) {
    tickets.set(ticket.ticket_id, { ...tickets.get(ticket.ticket_id), ...ticket });
    const entry = rows.get(ticket.ticket_id);
    if (!entry) return;
    entry.state.replaceChildren(ticketStateBadge(ticket.state));
    entry.team.replaceChildren(teamName(ticket.team_id));
    entry.action?.replaceChildren(dispatchButton(ticket));
    const clock = clocks.get(ticket.ticket_id);
    const sla = ticket.sla || {};
    if (clock) {
      clock.paused = Boolean(sla.paused);
      clock.seconds = sla.seconds_overdue ? -sla.seconds_overdue : (sla.seconds_left ?? 0);
      clock.dueAt = Date.now() + clock.seconds * 1000;
    }
    paintAll();
    entry.state.closest("tr")?.classList.add("just-changed");
  }

  // ---------------------------------------------------------------- dispatch
  const dialog = h("dialog", { class: "desk-dialog", "aria-labelledby": "dispatch-title" });
  function dispatchButton(ticket) {
    if (!["submitted", "dispatched", "accepted", "in_progress", "on_hold", "cannot_do"].includes(ticket.state)) {
      return "—";
    }
    const again = Boolean(ticket.team_id);
    return h("button", { type: "button", class: "btn btn-secondary btn-small",
      "aria-label": t(again ? "redispatch.label" : "dispatch.label", { ticket: ticket.ticket_id }),
      onclick: (event) => openDispatch(ticket.ticket_id, event.currentTarget) }, t(again ? "redispatch" : "dispatch"));
  }

  async function openDispatch(ticketId, opener) {
    opener.disabled = true;
    let current;
    try {
      // The ticket as it is now, with the version the change is made on (If-Match).
      current = await api.get(`/tickets/${encodeURIComponent(ticketId)}`, { signal });
    } catch (err) {
      if (err?.name !== "AbortError") status.replaceChildren(alertBox("error", err.message));
      return;
    } finally {
      opener.disabled = false;
    }
    updateTicket(current);
    const suggested = teams.find((team) => team.team_id !== current.team_id && team.campus_id === current.campus_id
      && categoryOfTrade[team.trade] === current.category) || teams.find((team) => team.team_id !== current.team_id);
    const teamField = field({ name: "team_id", label: t("dispatch.team"), kind: "select",
      options: teams.map((team) => ({ value: team.team_id, label: teamName(team.team_id) })),
      value: suggested?.team_id });
    const form = h("form", { class: "dispatch-form", method: "dialog", novalidate: true },
      h("h2", { id: "dispatch-title" }, t("dispatch.title", { ticket: current.ticket_id })),
      h("p", { class: "muted" }, t("dispatch.current", { state: t(`ticket.state.${current.state}`),
        team: teamName(current.team_id) })),
      h("p", { class: "item-text" }, current.description),
      teamField,
      field({ name: "worker_id", label: t("dispatch.worker"), optional: true, hint: t("dispatch.worker_hint"),
        attrs: { maxlength: "20", autocomplete: "off" } }),
      field({ name: "reason", label: t("dispatch.reason"), kind: "textarea", optional: !current.team_id,
        hint: t("dispatch.reason_hint"), attrs: { maxlength: "500" } }),
      h("div", { class: "form-actions" },
        h("button", { type: "submit", class: "btn" }, t("dispatch.submit")),
        h("button", { type: "button", class: "btn btn-secondary", onclick: () => dialog.close() },
          t("common.cancel"))));
    handleSubmit(form, (values) => api.post(`/tickets/${encodeURIComponent(current.ticket_id)}/transitions`,
      { ...values, action: "dispatch" }, { headers: { "If-Match": `"${current.version}"` }, signal }), (ticket) => {
      dialog.close();
      updateTicket(ticket);
      status.replaceChildren(alertBox("success", t("dispatch.done", { ticket: ticket.ticket_id,
        team: teamName(ticket.team_id) })));
    });
    dialog.replaceChildren(form);
    dialog.onclose = () => {
      if (opener.isConnected) opener.focus();
      else rows.get(current.ticket_id)?.action?.querySelector("button")?.focus();
    };
    dialog.showModal();
    teamField.querySelector("select").focus();
  }

  // ---------------------------------------------------------------- phone intake
  const status = h("div", { class: "desk-status" });
  let intake = null;
  if (isDesk) {
    const choices = (values, label) => values.map((value) => ({ value, label: label(value) }));
    const form = h("form", { class: "card intake-form", novalidate: true, id: "phone-intake",
      "aria-labelledby": "intake-title" },
    h("h2", { id: "intake-title" }, t("intake.title")),
    h("input", { type: "hidden", name: "channel", value: "phone" }),
    h("div", { class: "form-grid" },
      field({ name: "caller_name", label: t("intake.caller_name"), optional: true, attrs: { maxlength: "40" } }),
      field({ name: "contact_phone", label: t("intake.contact_phone"), type: "tel", optional: true,
        attrs: { maxlength: "20", autocomplete: "off" } }),
      field({ name: "requester_id", label: t("intake.requester_id"), optional: true,
        hint: t("intake.requester_hint"), attrs: { maxlength: "20", autocomplete: "off" } }),
      field({ name: "campus_id", label: t("intake.campus_id"), kind: "select", options: choices(CAMPUSES, campusName) }),
      field({ name: "building_id", label: t("intake.building_id"), optional: true, hint: t("intake.building_hint"),
        attrs: { maxlength: "10", autocomplete: "off" } }),
      field({ name: "room_no", label: t("intake.room_no"), optional: true, attrs: { maxlength: "10" } }),
      field({ name: "place", label: t("intake.place"), optional: true, hint: t("intake.place_hint"),
        attrs: { maxlength: "100" } }),
      field({ name: "category", label: t("intake.category"), kind: "select",
        options: slaRules.map((rule) => ({ value: rule.category, label: categoryName(rule.category) })) }),
      field({ name: "severity", label: t("intake.severity"), kind: "select",
        options: choices(["minor", "major"], ticketSeverity) })),
    field({ name: "description", label: t("intake.description"), kind: "textarea", attrs: { maxlength: "1000" } }),
    h("button", { type: "submit", class: "btn" }, t("intake.submit")));
    handleSubmit(form, (values) => api.post("/tickets", values, { signal }), (ticket) => {
      const row = insertTicket(ticket);
      form.reset();
      status.replaceChildren(alertBox("success", t("intake.done", { ticket: ticket.ticket_id })));
      row.scrollIntoView({ block: "nearest" });
    });
    const toggle = h("button", { type: "button", class: "btn", "aria-expanded": "false",
      "aria-controls": "phone-intake" }, t("intake.show"));
    form.hidden = true;
    toggle.addEventListener("click", () => {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      toggle.textContent = t(form.hidden ? "intake.show" : "intake.hide");
      if (!form.hidden) form.querySelector("input:not([type=hidden]), select")?.focus();
    });
    intake = [h("div", { class: "toolbar" }, toggle), form];
  }

  container.append(h("p", { class: "lead" }, t("intro")), ...(intake || []), status, summary, list, more, dialog);
  await more.ready;
}
