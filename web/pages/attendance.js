// 我的考勤: a staff member's month, day by day (first in, last out, late and early minutes, a missing
// clock-out, corrections with their reason and history) with the month's summary on top.
// `#/attendance?month=YYYY-MM` picks the month; `&staff=<id>` reads someone the API lets the caller see.
// The month view is also the manager's (team.js imports it, with corrections); its strings register here.
import { now } from "../js/config.js";
import { field, handleSubmit, showFormError } from "../js/forms.js";
import { TIME_ZONE, language, registerStrings, translator } from "../js/i18n.js";
import { alertBox, badge, dataTable, emptyState, errorBox, h } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "你本月每天的签到、签退和考勤状态。迟到、早退按部门班次计算；主管更正过的日子会写明原因。",
    "intro.other": "{staff} 的考勤。",
    "month": "月份",
    "month.hint": "只能查看本月及以前的月份。",
    "title": "{name}（{staff}）{month}考勤",
    "shift": "班次 {start}–{end}，迟到宽限 {grace} 分钟，工作日：{days}",
    "not_found": "找不到 {staff} 的考勤：没有这个人，或者你无权查看。",
    "summary": "{month}汇总",
    "sum.workdays": "工作日",
    "sum.present_days": "出勤天数",
    "sum.late_count": "迟到次数",
    "sum.early_count": "早退次数",
    "sum.absent_days": "缺勤天数",
    "sum.leave_days": "请假天数",
    "caption": "{month}每日考勤",
    "empty": "这个月还没有可显示的日子。",
    "col.day": "日期",
    "col.status": "状态",
    "col.in_out": "签到 – 签退",
    "col.minutes": "迟到/早退",
    "col.correction": "更正",
    "col.action": "操作",
    "status.present": "出勤",
    "status.late": "迟到",
    "status.early_leave": "早退",
    "status.late_and_early": "迟到且早退",
    "status.absent": "缺勤",
    "status.on_leave": "请假",
    "status.rest_day": "休息日",
    "status.in_progress": "今天，进行中",
    "so_far": "目前：{status}",
    "corrected": "已更正",
    "missing_out": "未签退",
    "late_minutes": "迟到 {n} 分钟",
    "early_minutes": "早退 {n} 分钟",
    "correction.measured": "打卡记录为：{status}",
    "correction.reason": "原因：{reason}",
    "correction.by": "{by} 于 {at} 更正",
    "correction.history": "更正记录（{n} 次）",
    "correction.history_line": "{at} {by}：{measured} → {status}，{reason}",
    "correct": "更正",
    "correct.label": "更正 {day} 的考勤",
    "correct.title": "更正 {name} {day} 的考勤",
    "correct.now": "现在：{status}",
    "correct.status": "更正为",
    "correct.reason": "原因",
    "correct.reason_hint": "必填，最多 500 字，会留在记录里，员工本人可以看到。",
    "correct.submit": "保存更正",
    "correct.done": "已将 {day} 更正为“{status}”。",
  },
  "en": {
    "intro": "Each day of your month: when you clocked in and out and how the day counts. Late and early are read against your department's hours; a day your manager corrected says why.",
    "intro.other": "Attendance of {staff}.",
    "month": "Month",
    "month.hint": "This month or an earlier one.",
    "title": "{name} ({staff}): attendance, {month}",
    "shift": "Shift {start}–{end}, {grace} minutes' grace, workdays: {days}",
    "not_found": "No attendance of {staff} to show: there is no such person, or you may not see theirs.",
    "summary": "{month} in short",
    "sum.workdays": "Workdays",
    "sum.present_days": "Days present",
    "sum.late_count": "Late",
    "sum.early_count": "Left early",
    "sum.absent_days": "Days absent",
    "sum.leave_days": "Days on leave",
    "caption": "Attendance day by day, {month}",
    "empty": "No days of this month to show yet.",
    "col.day": "Date",
    "col.status": "Status",
    "col.in_out": "In – out",
    "col.minutes": "Late / early",
    "col.correction": "Correction",
    "col.action": "Action",
    "status.present": "Present",
    "status.late": "Late",
    "status.early_leave": "Left early",
    "status.late_and_early": "Late and left early",
    "status.absent": "Absent",
    "status.on_leave": "On leave",
    "status.rest_day": "Rest day",
    "status.in_progress": "Today, in progress",
    "so_far": "so far: {status}",
    "corrected": "Corrected",
    "missing_out": "No clock-out",
    "late_minutes": "{n} min late",
    "early_minutes": "{n} min early",
    "correction.measured": "The punches said: {status}",
    "correction.reason": "Reason: {reason}",
    "correction.by": "corrected by {by} at {at}",
    "correction.history": "Corrections ({n})",
    "correction.history_line": "{at} {by}: {measured} → {status}, {reason}",
    "correct": "Correct",
    "correct.label": "Correct the attendance of {day}",
    "correct.title": "Correct {name}'s attendance of {day}",
    "correct.now": "Now: {status}",
    "correct.status": "Correct to",
    "correct.reason": "Reason",
    "correct.reason_hint": "Required, up to 500 characters; it stays on the record and the staff member sees it.",
    "correct.submit": "Save the correction",
    "correct.done": "{day} is now “{status}”.",
  },
};

registerStrings("attendance", strings); // the team page shows a member's month with these words too
const ta = translator("attendance");

export const STATUSES = ["present", "late", "early_leave", "late_and_early", "absent", "on_leave", "rest_day"];
const STATUS_TONES = { present: "success", late: "warn", early_leave: "warn", late_and_early: "warn", absent: "danger",
  on_leave: "info", rest_day: "neutral", in_progress: "info" };
export const STAFF_ID = /^[A-Za-z0-9_-]{1,40}$/;
export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

// ------------------------------------------------------------------ campus days and months (shared)
function campusParts(date = now()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit",
    day: "2-digit" }).formatToParts(date);
  const part = (type) => parts.find((p) => p.type === type).value;
  return { year: part("year"), month: part("month"), day: part("day") };
}

/** Today on the campus clock (the service's), "YYYY-MM-DD". */
export function campusToday() {
  const { year, month, day } = campusParts();
  return `${year}-${month}-${day}`;
}

/** This month on the campus clock, "YYYY-MM". */
export function campusMonth() {
  return campusToday().slice(0, 7);
}

/** A "YYYY-MM-DD" day's weekday in the user's language ("周三" / "Wed"). */
export function weekday(day, style = "short") {
  return new Intl.DateTimeFormat(language(), { timeZone: TIME_ZONE, weekday: style })
    .format(new Date(`${day}T12:00:00+08:00`));
}

/** A "YYYY-MM-DD" day without its year, for a month's table ("11月4日" / "Nov 4"). */
export function monthDay(day) {
  return new Intl.DateTimeFormat(language(), { timeZone: TIME_ZONE, month: "short", day: "numeric" })
    .format(new Date(`${day}T12:00:00+08:00`));
}

/** Weekday number (0 = Monday, as the API counts) as a name. */
function weekdayName(number) {
  const monday = Date.UTC(2026, 10, 23, 4); // a Monday, noon on the campus
  return new Intl.DateTimeFormat(language(), { timeZone: TIME_ZONE, weekday: "short" })
    .format(new Date(monday + number * 86_400_000));
}

/** The month asked for in the address, or this month; a later month is left for the API to refuse. */
export function chosenMonth(params) {
  return MONTH.test(params.month || "") ? params.month : campusMonth();
}

/**
 * A month picker (no later month than this one): a small form in a toolbar, so an API error naming
 * `month` lands on it. `onPick(month)` runs when another month is chosen.
 */
export function monthPicker({ label, hint, month, onPick }) {
  const monthField = field({ name: "month", label, type: "month", required: false, value: month, hint,
    attrs: { max: campusMonth() } });
  const input = monthField.querySelector("input");
  input.addEventListener("change", () => {
    if (input.value && input.value !== month) onPick(input.value);
  });
  const form = h("form", { class: "toolbar month-picker", novalidate: true }, monthField);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value && input.value !== month) onPick(input.value);
  });
  return form;
}

export const statusName = (status) => ta(`status.${status}`);

function statusBadge(status) {
  return badge(statusName(status), STATUS_TONES[status] || "neutral");
}

// ------------------------------------------------------------------ the page
export async function render(container, ctx) {
  const { params, user, t, navigate } = ctx;
  const staff = STAFF_ID.test(params.staff || "") ? params.staff : user.personId;
  const own = staff === user.personId;
  const month = chosenMonth(params);
  const picker = monthPicker({ label: t("month"), hint: t("month.hint"), month,
    onPick: (next) => navigate("/attendance", { staff: own ? undefined : staff, month: next }) });
  const view = h("div", { class: "attendance-month" });
  container.append(h("p", { class: "lead" }, own ? t("intro") : t("intro.other", { staff })), picker, view);
  await showMonth(view, ctx, { staff, month, picker });
}

/**
 * One person's month into `view`: title, shift, summary and the day table. With `correct` (the
 * manager's view) each day has a button opening the correction dialog. Resolves to the month read,
 * or null when it could not be (the reason is shown).
 */
export async function showMonth(view, ctx, { staff, month, picker, correct = false }) {
  const { api, signal, fmt } = ctx;
  let data;
  try {
    data = await api.get(`/staff/${encodeURIComponent(staff)}/attendance`, { query: { month }, signal });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    if (err?.status === 404) view.replaceChildren(alertBox("error", ta("not_found", { staff })));
    else if (err?.field === "month" && picker) {
      view.replaceChildren();
      showFormError(picker, err);
    } else view.replaceChildren(errorBox(err));
    return null;
  }
  const monthText = fmt.month(data.month);
  const stat = (key, tone) => {
    const value = data.summary?.[key] ?? 0;
    return h("div", { class: `roll-stat${tone && value ? ` roll-stat-${tone}` : ""}`, dataset: { count: key } },
      h("dt", {}, ta(`sum.${key}`)), h("dd", {}, fmt.number(value)));
  };
  const stats = () => [stat("workdays"), stat("present_days"), stat("late_count", "warn"), stat("early_count", "warn"),
    stat("absent_days", "danger"), stat("leave_days")];
  const summaryList = h("dl", { class: "roll-stats" }, stats());
  const shift = data.shift;
  const status = h("div", { class: "attendance-status" });
  const rows = new Map(); // day -> the row's cells to refresh after a correction
  const dialog = correct ? correctionDialog(ctx, data, (day) => updateDay(day)) : null;

  function cell(day, name, content) {
    const el = h("span", { class: `cell-${name}` }, content);
    const entry = rows.get(day.day) || {};
    entry[name] = el;
    rows.set(day.day, entry);
    return el;
  }
  function updateDay(day) {
    const index = data.days.findIndex((d) => d.day === day.day);
    if (index >= 0) data.days[index] = { ...data.days[index], ...day };
    const merged = data.days[index] || day;
    const entry = rows.get(day.day) || {};
    entry.status?.replaceChildren(statusCell(merged));
    entry.minutes?.replaceChildren(minutesCell(merged));
    entry.correction?.replaceChildren(correctionCell(ctx, merged));
    entry.status?.closest("tr")?.classList.add("just-changed");
    status.replaceChildren(alertBox("success", ta("correct.done", { day: fmt.date(day.day), status: statusName(day.status) })));
    refreshSummary();
  }
  async function refreshSummary() { // the month's counts as the correction left them
    try {
      const again = await api.get(`/staff/${encodeURIComponent(staff)}/attendance`, { query: { month: data.month }, signal });
      data.summary = again.summary;
      summaryList.replaceChildren(...stats());
    } catch { /* the counts stay as they were; the day itself is shown corrected */ }
  }

  const columns = [
    { label: ta("col.day"), render: (d) => h("span", { class: "day", dataset: { day: d.day } }, monthDay(d.day), " ",
      h("span", { class: "muted" }, weekday(d.day))) },
    { label: ta("col.status"), render: (d) => cell(d, "status", statusCell(d)) },
    { label: ta("col.in_out"), render: (d) => (d.first_in || d.last_out ? h("span", { class: "in-out" },
      d.first_in ? fmt.time(d.first_in) : "—", " – ",
      d.last_out ? fmt.time(d.last_out) : d.missing_clock_out && !d.in_progress ? badge(ta("missing_out"), "warn") : "—")
      : "—") },
    { label: ta("col.minutes"), render: (d) => cell(d, "minutes", minutesCell(d)) },
    { label: ta("col.correction"), render: (d) => cell(d, "correction", correctionCell(ctx, d)) },
  ];
  if (correct) {
    columns.push({ label: ta("col.action"), render: (d) => h("span", {}, h("button", { type: "button",
      class: "btn btn-secondary btn-small", "aria-label": ta("correct.label", { day: fmt.date(d.day) }),
      onclick: (event) => dialog.showDay(data.days.find((x) => x.day === d.day) || d, event.currentTarget) }, ta("correct"))) });
  }
  view.replaceChildren(...[
    h("h2", { id: "attendance-title" }, ta("title", { name: data.name, staff: data.staff_id, month: monthText })),
    shift ? h("p", { class: "muted attendance-shift" }, ta("shift", { start: shift.start, end: shift.end,
      grace: shift.grace_minutes, days: (shift.workdays || []).map(weekdayName).join(ctx.t("list.separator")) })) : null,
    h("section", { class: "attendance-summary", "aria-labelledby": "attendance-summary-title" },
      h("h3", { id: "attendance-summary-title" }, ta("summary", { month: monthText })),
      summaryList),
    status,
    data.days?.length ? dataTable({ caption: ta("caption", { month: monthText }), columns, rows: data.days })
      : emptyState(ta("empty")),
    dialog].filter(Boolean));
  return data;
}

function statusCell(d) {
  if (d.in_progress) { // the shift may not be over: only being late is known for sure
    const late = ["late", "late_and_early"].includes(d.status);
    return h("span", {}, statusBadge("in_progress"), late || d.corrected
      ? [" ", h("span", { class: "muted small" }, ta("so_far", { status: statusName(d.corrected ? d.status : "late") }))] : null);
  }
  return h("span", {}, statusBadge(d.status), d.corrected ? [" ", badge(ta("corrected"), "neutral")] : null);
}

function minutesCell(d) {
  const parts = [];
  if (d.late_minutes) parts.push(ta("late_minutes", { n: d.late_minutes }));
  if (d.early_minutes && !d.in_progress) parts.push(ta("early_minutes", { n: d.early_minutes }));
  return h("span", {}, parts.length ? parts.join(ta("list.separator")) : "—");
}

function correctionCell({ fmt }, d) {
  if (!d.corrected) return h("span", {}, "—");
  const history = d.correction_history || [];
  return h("div", { class: "correction" },
    h("p", { class: "item-text" }, ta("correction.reason", { reason: d.correction_reason || "—" })),
    d.measured_status ? h("p", { class: "muted small" }, ta("correction.measured", { status: statusName(d.measured_status) })) : null,
    h("p", { class: "muted small" }, ta("correction.by", { by: d.corrected_by || "—", at: fmt.dateTime(d.corrected_at) })),
    history.length > 1 ? h("details", { class: "correction-history" },
      h("summary", {}, ta("correction.history", { n: history.length })),
      h("ol", { class: "history" }, history.map((c) => h("li", {}, ta("correction.history_line", {
        at: fmt.dateTime(c.at), by: c.by, measured: c.measured_status ? statusName(c.measured_status) : "—",
        status: statusName(c.status), reason: c.reason }))))) : null);
}

/** The manager's correction dialog: a status and a reason; `done(day)` gets the API's corrected day. */
function correctionDialog(ctx, data, done) {
  const { api, signal, fmt } = ctx;
  const dialog = h("dialog", { class: "desk-dialog correction-dialog", "aria-labelledby": "correction-title" });
  let opener = null;
  dialog.showDay = (day, from) => {
    opener = from;
    const statusField = field({ name: "status", label: ta("correct.status"), kind: "select",
      options: STATUSES.map((value) => ({ value, label: statusName(value) })),
      value: day.status });
    const form = h("form", { class: "correction-form", method: "dialog", novalidate: true },
      h("h2", { id: "correction-title" }, ta("correct.title", { name: data.name, day: `${fmt.date(day.day)} ${weekday(day.day)}` })),
      h("p", { class: "muted" }, ta("correct.now", { status: statusName(day.status) })),
      statusField,
      field({ name: "reason", label: ta("correct.reason"), kind: "textarea", hint: ta("correct.reason_hint"),
        attrs: { maxlength: "500", rows: "3" } }),
      h("div", { class: "form-actions" },
        h("button", { type: "submit", class: "btn" }, ta("correct.submit")),
        h("button", { type: "button", class: "btn btn-secondary", onclick: () => dialog.close() }, ta("common.cancel"))));
    handleSubmit(form, (values) => api.post(
      `/staff/${encodeURIComponent(data.staff_id)}/attendance/${encodeURIComponent(day.day)}/correction`,
      { status: values.status, reason: values.reason }, { signal }), (answer) => {
      dialog.close();
      done(answer);
    });
    dialog.replaceChildren(form);
    dialog.showModal();
    statusField.querySelector("select").focus();
  };
  dialog.addEventListener("close", () => {
    if (opener?.isConnected) opener.focus();
  });
  return dialog;
}
