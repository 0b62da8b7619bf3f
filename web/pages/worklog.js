// 工作日志: a support staff member's daily work log. Today's plan (until the completion is recorded or
// the deadline passes) and today's completion (before the deadline), the month's logs with the manager's
// grade and comment, the month's score, recent months' scores and the notice when a talk is due.
// `#/worklog?month=YYYY-MM` picks the month; `&staff=<id>` reads someone the API lets the caller see.
import { now } from "../js/config.js";
import { clearFormErrors, field, formValues, showFormError } from "../js/forms.js";
import { alertBox, badge, dataTable, emptyState, errorBox, h } from "../js/ui.js";
import { STAFF_ID, campusMonth, campusToday, chosenMonth, monthDay, monthPicker, weekday } from "./attendance.js";

export const strings = {
  "zh-CN": {
    "intro": "二线员工每天写工作日志：上班先写今日计划，截止时间前填写完成情况，由主管评定 A、B、C、D 等级。月度考核分是当月各天等级得分的平均。",
    "intro.other": "{staff} 的工作日志。",
    "month": "月份",
    "month.hint": "只能查看本月及以前的月份。",
    "not_found": "找不到 {staff} 的工作日志：没有这个人，或者你无权查看。",
    "not_support": "你的岗位不是二线岗位，不需要写工作日志。",
    "not_support.other": "{name}（{staff}）的岗位不是二线岗位，没有工作日志。",
    "title": "{name}（{staff}）{month}工作日志",
    "talk": "连续三个月考核分低于 60 分：主管会约你面谈，一起看看哪里需要帮助。",
    "talk.other": "{name} 连续三个月考核分低于 60 分，需要面谈。",
    "score.title": "考核分",
    "score.month": "{month}得分",
    "score.graded": "已评天数",
    "score.none": "—",
    "recent.title": "近几个月得分",
    "today.title": "今天的日志（{day}）",
    "today.due": "截止时间：{due}",
    "today.graded": "今天的日志已评定为 {grade}，不能再修改。",
    "plan": "今日计划",
    "plan.hint": "完成情况记录之前可以修改，最多 2000 字。",
    "plan.save": "保存计划",
    "plan.saved": "今日计划已保存。",
    "plan.locked.completed": "完成情况已记录，计划不能再修改。",
    "plan.locked.deadline": "已过截止时间，计划不能再修改。",
    "plan.none": "没有写计划。",
    "completion": "今日完成情况",
    "completion.hint": "截止时间前可以填写和修改，最多 2000 字。",
    "completion.save": "保存完成情况",
    "completion.saved": "今日完成情况已保存。",
    "completion.locked": "已过截止时间，不能再填写完成情况。",
    "conflict.graded": "这一天的日志已经评定，不能再修改。",
    "conflict.completed": "完成情况已经记录，计划不能再修改。",
    "conflict.deadline_passed": "已过截止时间，不能再修改。",
    "caption": "{month}的工作日志",
    "empty": "这个月还没有工作日志。",
    "col.day": "日期",
    "col.plan": "计划",
    "col.completion": "完成情况",
    "col.grade": "等级",
    "col.score": "得分",
    "col.comment": "主管评语",
    "completed_at": "填写于 {at}",
    "no_completion": "未填写",
    "not_graded": "待评定",
    "graded_by": "{by} 于 {at} 评定",
    "grade_history": "评定记录：{list}",
    "grade_history.one": "{grade}（{by}，{at}）",
  },
  "en": {
    "intro": "Support staff keep a daily work log: the day's plan in the morning and what was done before the deadline; the manager grades each day A, B, C or D. The monthly score is the mean of the month's grade scores.",
    "intro.other": "Work log of {staff}.",
    "month": "Month",
    "month.hint": "This month or an earlier one.",
    "not_found": "No work log of {staff} to show: there is no such person, or you may not see theirs.",
    "not_support": "Your post is not a support post: no work log is kept for it.",
    "not_support.other": "{name} ({staff}) is not in a support post: no work log is kept.",
    "title": "{name} ({staff}): work log, {month}",
    "talk": "Your score has been below 60 for three months running: your manager will ask you for a talk, to see where you need help.",
    "talk.other": "{name}'s score has been below 60 for three months running: a talk is due.",
    "score.title": "Score",
    "score.month": "Score, {month}",
    "score.graded": "Days graded",
    "score.none": "—",
    "recent.title": "Recent months",
    "today.title": "Today's log ({day})",
    "today.due": "Due by {due}",
    "today.graded": "Today's log is graded {grade}: it can no longer change.",
    "plan": "Today's plan",
    "plan.hint": "Can change until the completion is recorded; up to 2,000 characters.",
    "plan.save": "Save the plan",
    "plan.saved": "Today's plan is saved.",
    "plan.locked.completed": "The completion is recorded: the plan can no longer change.",
    "plan.locked.deadline": "The deadline has passed: the plan can no longer change.",
    "plan.none": "No plan was written.",
    "completion": "Done today",
    "completion.hint": "Can be written and changed until the deadline; up to 2,000 characters.",
    "completion.save": "Save what was done",
    "completion.saved": "Today's completion is saved.",
    "completion.locked": "The deadline has passed: the completion can no longer be recorded.",
    "conflict.graded": "This day's log is graded: it can no longer change.",
    "conflict.completed": "The completion is recorded: the plan can no longer change.",
    "conflict.deadline_passed": "The deadline has passed: this can no longer change.",
    "caption": "Work logs, {month}",
    "empty": "No work logs this month yet.",
    "col.day": "Date",
    "col.plan": "Plan",
    "col.completion": "Done",
    "col.grade": "Grade",
    "col.score": "Score",
    "col.comment": "Manager's comment",
    "completed_at": "written {at}",
    "no_completion": "Not written",
    "not_graded": "Not graded yet",
    "graded_by": "graded by {by} at {at}",
    "grade_history": "Grades given: {list}",
    "grade_history.one": "{grade} ({by}, {at})",
  },
};

const GRADE_TONES = { A: "success", B: "info", C: "warn", D: "danger" };
const CONFLICTS = ["graded", "completed", "deadline_passed"];

export function gradeBadge(grade) {
  return h("span", {}, badge(grade, GRADE_TONES[grade] || "neutral"));
}

/** An API error with this page's sentence for the work-log conflicts (it still lands on its field). */
function explained(t, err) {
  if (err?.status !== 409 || !CONFLICTS.includes(err.code)) return err;
  const text = t(`conflict.${err.code}`);
  return { field: err.field, userMessage: () => text, fieldMessage: () => text };
}

export async function render(container, ctx) {
  const { api, params, user, t, navigate, signal } = ctx;
  const staff = STAFF_ID.test(params.staff || "") ? params.staff : user.personId;
  const own = staff === user.personId;
  const month = chosenMonth(params);
  const picker = monthPicker({ label: t("month"), hint: t("month.hint"), month,
    onPick: (next) => navigate("/worklog", { staff: own ? undefined : staff, month: next }) });
  const view = h("div", { class: "worklog" });
  container.append(h("p", { class: "lead" }, own ? t("intro") : t("intro.other", { staff })), picker, view);

  let data;
  try {
    data = await api.get(`/staff/${encodeURIComponent(staff)}/worklogs`, { query: { month }, signal });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    if (err?.status === 404) view.append(alertBox("error", t("not_found", { staff })));
    else if (err?.status === 403 && err.code === "not_support_staff") view.append(h("p", { class: "not-support" }, t("not_support")));
    else if (err?.field === "month") showFormError(picker, err);
    else view.append(errorBox(err));
    return;
  }
  if (!data.support_staff) {
    view.append(h("p", { class: "not-support" }, own ? t("not_support")
      : t("not_support.other", { name: data.name, staff: data.staff_id })));
    return;
  }
  showLogs(view, ctx, data, { own, withToday: own && data.month === campusMonth() });
}

function showLogs(view, ctx, data, { own, withToday }) {
  const { t, fmt } = ctx;
  const monthText = fmt.month(data.month);
  const logs = [...(data.logs || [])];
  const tableSlot = h("div", { class: "worklog-month" });
  const paintTable = () => tableSlot.replaceChildren(logs.length ? logTable(ctx, logs, monthText) : emptyState(t("empty")));
  const keep = (log) => { // the API's answer to a write: that day's row, in day order
    const index = logs.findIndex((l) => l.day === log.day);
    if (index >= 0) logs[index] = log;
    else {
      logs.push(log);
      logs.sort((a, b) => a.day.localeCompare(b.day));
    }
    paintTable();
  };
  const stat = (key, label, value) => h("div", { class: "roll-stat", dataset: { stat: key } }, h("dt", {}, label), h("dd", {}, value));
  const recent = data.recent_scores || [];
  view.replaceChildren(...[
    h("h2", { id: "worklog-title" }, t("title", { name: data.name, staff: data.staff_id, month: monthText })),
    data.needs_talk ? h("div", { class: "alert alert-info talk-notice", role: "status" },
      h("p", {}, h("strong", {}, own ? t("talk") : t("talk.other", { name: data.name })))) : null,
    h("section", { class: "worklog-score", "aria-labelledby": "worklog-score-title" },
      h("h3", { id: "worklog-score-title" }, t("score.title")),
      h("dl", { class: "roll-stats" },
        stat("score", t("score.month", { month: monthText }), data.score ?? t("score.none")),
        stat("graded_days", t("score.graded"), fmt.number(data.graded_days ?? 0))),
      recent.length ? h("div", { class: "worklog-recent" },
        h("h4", { id: "worklog-recent-title" }, t("recent.title")),
        h("dl", { class: "roll-stats" },
          recent.map((r) => stat(`recent-${r.month}`, fmt.month(r.month), r.score ?? t("score.none"))))) : null),
    withToday ? todaySection(ctx, logs, keep, data.today_due_at) : null,
    tableSlot].filter(Boolean));
  paintTable();
}

function logTable({ t, fmt }, logs, monthText) {
  return dataTable({
    caption: t("caption", { month: monthText }),
    rows: logs,
    columns: [
      { label: t("col.day"), render: (l) => h("span", { class: "day", dataset: { day: l.day } }, monthDay(l.day), " ",
        h("span", { class: "muted" }, weekday(l.day))) },
      { label: t("col.plan"), render: (l) => h("p", { class: "item-text" }, l.plan || "—") },
      { label: t("col.completion"), render: (l) => (l.completion ? h("div", {},
        h("p", { class: "item-text" }, l.completion),
        l.completed_at ? h("p", { class: "muted small" }, t("completed_at", { at: fmt.dateTime(l.completed_at) })) : null)
        : h("span", { class: "muted" }, t("no_completion"))) },
      { label: t("col.grade"), render: (l) => (l.grade ? gradeBadge(l.grade) : h("span", { class: "muted" }, t("not_graded"))) },
      { label: t("col.score"), class: "num", render: (l) => (l.grade_score ?? "—") },
      { label: t("col.comment"), render: (l) => (l.grade ? h("div", {},
        l.grade_comment ? h("p", { class: "item-text grade-comment" }, l.grade_comment) : null,
        h("p", { class: "muted small" }, t("graded_by", { by: l.graded_by || "—", at: fmt.dateTime(l.graded_at) })),
        (l.grade_history || []).length > 1 ? h("p", { class: "muted small" }, t("grade_history", {
          list: l.grade_history.map((g) => t("grade_history.one", { grade: g.grade, by: g.by, at: fmt.dateTime(g.at) }))
            .join(t("list.separator")) })) : null) : "—") },
    ],
  });
}

/** Today's plan and completion forms, due by `due` (the API's today_due_at); `keep(log)` takes the API's answer. */
function todaySection(ctx, logs, keep, due) {
  const { api, t, fmt, signal, user } = ctx;
  const today = campusToday();
  const path = `/staff/${encodeURIComponent(user.personId)}/worklogs/${today}`;
  const section = h("section", { class: "card worklog-today", "aria-labelledby": "worklog-today-title" });
  const status = h("div", { class: "worklog-status" });

  function paint() {
    const log = logs.find((l) => l.day === today) || null;
    const over = now().getTime() >= Date.parse(due);
    const planOpen = !log?.grade && !log?.completion && !over;
    const completionOpen = !log?.grade && !over;
    const parts = [
      h("h2", { id: "worklog-today-title" }, t("today.title", { day: `${fmt.date(today)} ${weekday(today)}` })),
      h("p", { class: "worklog-due" }, t("today.due", { due: fmt.dateTime(due) })),
      status,
    ];
    if (log?.grade) parts.push(alertBox("info", t("today.graded", { grade: log.grade })));
    parts.push(planOpen ? textForm("plan", log?.plan)
      : readOnly(t("plan"), log?.plan || t("plan.none"), log?.grade ? null
        : t(log?.completion ? "plan.locked.completed" : "plan.locked.deadline")));
    parts.push(completionOpen ? textForm("completion", log?.completion)
      : readOnly(t("completion"), log?.completion || t("no_completion"), log?.grade ? null : t("completion.locked")));
    section.replaceChildren(...parts);
  }

  function readOnly(label, text, why) {
    return h("div", { class: "worklog-readonly" }, h("h3", {}, label), h("p", { class: "item-text" }, text),
      why ? h("p", { class: "muted small" }, why) : null);
  }

  function textForm(name, value) {
    const button = h("button", { type: "submit", class: "btn" }, t(`${name}.save`));
    const form = h("form", { class: `worklog-form worklog-${name}`, novalidate: true },
      field({ name, label: t(name), kind: "textarea", hint: t(`${name}.hint`), value: value ?? undefined,
        attrs: { maxlength: "2000", rows: "4" } }),
      h("div", { class: "button-row" }, button));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      status.replaceChildren();
      button.disabled = true;
      try {
        const log = await api.put(path, { [name]: formValues(form)[name] ?? "" }, { signal });
        keep(log);
        paint();
        status.replaceChildren(alertBox("success", t(`${name}.saved`)));
        section.querySelector(`.worklog-${name} textarea, .worklog-${name === "plan" ? "completion" : "plan"} textarea`)?.focus();
      } catch (err) {
        if (err?.name === "AbortError") return;
        showFormError(form, explained(t, err));
        if (err?.status === 409) refresh();
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  /** After a conflict: the day as it is now (graded, completed, past its deadline), the error kept. */
  async function refresh() {
    try {
      const data = await api.get(`/staff/${encodeURIComponent(user.personId)}/worklogs`,
        { query: { month: today.slice(0, 7) }, signal });
      const log = (data.logs || []).find((l) => l.day === today);
      if (log) keep(log);
    } catch { /* the error shown already says what to do */ }
  }

  paint();
  return section;
}
