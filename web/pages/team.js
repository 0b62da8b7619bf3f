// 团队考核: the manager's team. The work logs waiting for a grade (oldest first), graded in place; the
// team's month at a glance (attendance summary, score, graded days per member). `#/team?staff=<id>`
// opens a member's month, where the manager corrects a day (status and reason) and sees its history.
import { field, formValues, clearFormErrors, showFormError } from "../js/forms.js";
import { alertBox, badge, dataTable, emptyState, errorBox, h, pager } from "../js/ui.js";
import { STAFF_ID, chosenMonth, monthPicker, showMonth, weekday } from "./attendance.js";

export const strings = {
  "zh-CN": {
    "intro": "给团队成员的工作日志评定等级，查看团队本月的考勤和考核分；点击成员可以查看和更正他的考勤。",
    "waiting.title": "待评定的日志",
    "waiting.hint": "最早的在前。评定后从列表中移除；评语选填（最多 500 字），员工本人可以看到。",
    "waiting.empty": "没有待评定的日志。",
    "waiting.day": "{day} {weekday}",
    "waiting.plan": "计划",
    "waiting.completion": "完成情况",
    "waiting.completed_at": "填写于 {at}",
    "waiting.due": "截止 {at}",
    "waiting.overdue": "没有完成情况，已过截止时间",
    "waiting.pending": "还没有填写完成情况",
    "waiting.form": "评定 {name} {day} 的日志",
    "grade": "等级",
    "grade.choose": "请选择",
    "grade.A": "A",
    "grade.B": "B",
    "grade.C": "C",
    "grade.D": "D",
    "grade.scored": "{grade}（{score} 分）",
    "comment": "评语",
    "grade.submit": "评定",
    "grade.done": "已将 {name} {day} 的日志评为 {grade}。",
    "conflict.not_completed": "{name} 还没有填写这一天的完成情况：填写后或截止时间过后才能评定。",
    "month.title": "团队月度概览",
    "month": "月份",
    "month.hint": "只能查看本月及以前的月份。",
    "team.caption": "{month}团队考勤和考核",
    "team.empty": "你的团队里没有成员。",
    "col.member": "成员",
    "col.present": "出勤/工作日",
    "present_of": "{present}/{workdays}",
    "col.late": "迟到",
    "col.early": "早退",
    "col.absent": "缺勤",
    "col.leave": "请假",
    "col.score": "考核分",
    "graded_days": "（已评 {n} 天）",
    "member.open": "查看 {name} 的考勤",
    "member.name": "{name}（{staff}）",
    "member.support": "二线",
    "back": "返回团队",
    "member.intro": "成员的考勤。某天的状态不对（如指纹机故障、出差、请假），点“更正”，选择正确的状态并写明原因。",
  },
  "en": {
    "intro": "Grade your team's work logs and see the team's attendance and scores this month; open a member to see and correct their attendance.",
    "waiting.title": "Logs waiting for a grade",
    "waiting.hint": "Oldest first. A graded log leaves the list; the comment is optional (up to 500 characters) and the staff member sees it.",
    "waiting.empty": "No logs are waiting for a grade.",
    "waiting.day": "{day} {weekday}",
    "waiting.plan": "Plan",
    "waiting.completion": "Done",
    "waiting.completed_at": "written {at}",
    "waiting.due": "due {at}",
    "waiting.overdue": "No completion, deadline passed",
    "waiting.pending": "No completion written yet",
    "waiting.form": "Grade {name}'s log of {day}",
    "grade": "Grade",
    "grade.choose": "Choose",
    "grade.A": "A",
    "grade.B": "B",
    "grade.C": "C",
    "grade.D": "D",
    "grade.scored": "{grade} ({score} points)",
    "comment": "Comment",
    "grade.submit": "Grade",
    "grade.done": "{name}'s log of {day} is graded {grade}.",
    "conflict.not_completed": "{name} has not written what was done that day: grade it once they have, or after the deadline.",
    "month.title": "The team's month",
    "month": "Month",
    "month.hint": "This month or an earlier one.",
    "team.caption": "Team attendance and scores, {month}",
    "team.empty": "Your team has no members.",
    "col.member": "Member",
    "col.present": "Present / workdays",
    "present_of": "{present}/{workdays}",
    "col.late": "Late",
    "col.early": "Left early",
    "col.absent": "Absent",
    "col.leave": "On leave",
    "col.score": "Score",
    "graded_days": "({n} days graded)",
    "member.open": "Attendance of {name}",
    "member.name": "{name} ({staff})",
    "member.support": "support",
    "back": "Back to the team",
    "member.intro": "A member's attendance. When a day reads wrong (a broken reader, a business trip, leave), choose “Correct”, pick the right status and say why.",
  },
};

const GRADES = ["A", "B", "C", "D"];
const WAITING_PAGE = 10;

export async function render(container, ctx) {
  const { params } = ctx;
  if (STAFF_ID.test(params.staff || "")) return renderMember(container, ctx, params.staff);
  return renderTeam(container, ctx);
}

// ------------------------------------------------------------------ one member's month
async function renderMember(container, ctx, staff) {
  const { t, params, navigate } = ctx;
  const month = chosenMonth(params);
  const picker = monthPicker({ label: t("month"), hint: t("month.hint"), month,
    onPick: (next) => navigate("/team", { staff, month: next }) });
  const view = h("div", { class: "attendance-month" });
  container.append(h("p", {}, h("a", { href: `#/team?${new URLSearchParams({ month })}` }, `← ${t("back")}`)),
    h("p", { class: "lead" }, t("member.intro")), picker, view);
  await showMonth(view, ctx, { staff, month, picker, correct: true });
}

// ------------------------------------------------------------------ the team: waiting logs and the month
async function renderTeam(container, ctx) {
  const { t, params, navigate } = ctx;
  const month = chosenMonth(params);
  const teamSlot = h("div", { class: "team-month" });
  const picker = monthPicker({ label: t("month"), hint: t("month.hint"), month,
    onPick: (next) => navigate("/team", { month: next }) });
  const waiting = waitingSection(ctx, () => loadTeam(teamSlot, ctx, month, picker, { quiet: true }));
  container.append(h("p", { class: "lead" }, t("intro")), waiting.el,
    h("section", { class: "team-overview", "aria-labelledby": "team-month-title" },
      h("h2", { id: "team-month-title" }, t("month.title")), picker, teamSlot));
  await Promise.all([waiting.ready, loadTeam(teamSlot, ctx, month, picker)]);
}

async function loadTeam(slot, ctx, month, picker, { quiet = false } = {}) {
  const { api, t, fmt, signal, user } = ctx;
  let team;
  try {
    team = await api.get(`/managers/${encodeURIComponent(user.personId)}/team`, { query: { month }, signal });
  } catch (err) {
    if (err?.name === "AbortError" || quiet) return; // a refresh after a grade keeps what is shown
    if (err?.field === "month") showFormError(picker, err);
    else slot.replaceChildren(errorBox(err));
    return;
  }
  const members = team.members || [];
  const sum = (m, key) => (m.summary ? fmt.number(m.summary[key] ?? 0) : "—"); // no summary: hours unknown
  const memberHref = (m) => `#/team?${new URLSearchParams({ staff: m.staff_id, month: team.month })}`;
  slot.replaceChildren(members.length ? dataTable({
    caption: t("team.caption", { month: fmt.month(team.month) }),
    rows: members,
    columns: [
      { label: t("col.member"), render: (m) => h("div", { class: "team-member" },
        h("a", { href: memberHref(m), title: t("member.open", { name: m.name }) },
          t("member.name", { name: m.name, staff: m.staff_id })),
        h("p", { class: "muted small" }, m.post || m.department_id || "",
          m.support_staff ? [" ", badge(t("member.support"), "neutral")] : null)) },
      { label: t("col.present"), class: "num", render: (m) => (m.summary
        ? t("present_of", { present: sum(m, "present_days"), workdays: sum(m, "workdays") }) : "—") },
      { label: t("col.late"), class: "num", render: (m) => sum(m, "late_count") },
      { label: t("col.early"), class: "num", render: (m) => sum(m, "early_count") },
      { label: t("col.absent"), class: "num", render: (m) => sum(m, "absent_days") },
      { label: t("col.leave"), class: "num", render: (m) => sum(m, "leave_days") },
      { label: t("col.score"), class: "num", render: (m) => (m.support_staff ? [m.score ?? "—", " ",
        h("span", { class: "muted small" }, t("graded_days", { n: fmt.number(m.graded_days ?? 0) }))] : "—") },
    ],
  }) : emptyState(t("team.empty")));
}

/** The logs waiting for a grade, each graded in place; `graded()` runs after each grade. */
function waitingSection(ctx, graded) {
  const { api, t, fmt, signal, user } = ctx;
  const list = h("ul", { class: "item-list waiting-list" });
  const status = h("div", { class: "waiting-status" });
  const heading = h("h2", { id: "team-waiting-title", tabindex: "-1" }, t("waiting.title"));
  const empty = emptyState(t("waiting.empty"));
  empty.hidden = true;
  const showEmpty = () => { empty.hidden = list.children.length > 0 || !more.querySelector("button").hidden; };
  const more = pager({
    load: (cursor) => api.get(`/managers/${encodeURIComponent(user.personId)}/worklogs/waiting`,
      { query: { cursor, limit: WAITING_PAGE }, signal }),
    show: (items) => {
      list.append(...items.map(item));
      queueMicrotask(showEmpty); // after the pager knows whether there is more
    },
  });

  function item(log) {
    const day = t("waiting.day", { day: fmt.date(log.day), weekday: weekday(log.day) });
    const gradeField = field({ name: "grade", label: t("grade"), kind: "select",
      options: [{ value: "", label: t("grade.choose") }, ...GRADES.map((g) => ({ value: g,
        label: log.grade_scores?.[g] !== undefined ? t("grade.scored", { grade: g, score: log.grade_scores[g] })
          : t(`grade.${g}`) }))] });
    const button = h("button", { type: "submit", class: "btn" }, t("grade.submit"));
    const form = h("form", { class: "payroll-form grade-form", novalidate: true,
      "aria-label": t("waiting.form", { name: log.name, day }) },
    h("div", { class: "form-row" }, gradeField,
      field({ name: "comment", label: t("comment"), optional: true, attrs: { maxlength: "500", autocomplete: "off" } }),
      h("div", { class: "field field-button" }, button)));
    const li = h("li", { class: "waiting-item", dataset: { staff: log.staff_id, day: log.day } },
      h("p", { class: "item-meta" }, h("strong", {}, t("member.name", { name: log.name, staff: log.staff_id })), h("span", {}, day),
        log.due_at ? h("span", {}, t("waiting.due", { at: fmt.dateTime(log.due_at) })) : null,
        log.overdue && !log.completion ? h("span", {}, badge(t("waiting.overdue"), "danger")) : null),
      h("dl", { class: "facts" },
        h("dt", {}, t("waiting.plan")), h("dd", {}, h("p", { class: "item-text" }, log.plan || "—")),
        h("dt", {}, t("waiting.completion")), h("dd", {}, log.completion ? [h("p", { class: "item-text" }, log.completion),
          log.completed_at ? h("p", { class: "muted small" }, t("waiting.completed_at", { at: fmt.dateTime(log.completed_at) })) : null]
          : h("span", { class: "muted" }, t(log.overdue ? "waiting.overdue" : "waiting.pending")))),
      form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      status.replaceChildren();
      const values = formValues(form);
      button.disabled = true;
      try {
        const answer = await api.post(`/staff/${encodeURIComponent(log.staff_id)}/worklogs/${encodeURIComponent(log.day)}/grade`,
          { grade: values.grade ?? "", ...(values.comment ? { comment: values.comment } : {}) }, { signal });
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        status.replaceChildren(alertBox("success", t("grade.done", { name: log.name, day, grade: answer.grade })));
        showEmpty();
        (next?.querySelector("select") || heading).focus();
        graded();
      } catch (err) {
        if (err?.name === "AbortError") return;
        if (err?.status === 409 && err.code === "not_completed") {
          const text = t("conflict.not_completed", { name: log.name });
          showFormError(form, { field: "grade", userMessage: () => text, fieldMessage: () => text });
        } else showFormError(form, err);
      } finally {
        button.disabled = false;
      }
    });
    return li;
  }

  const el = h("section", { class: "team-waiting", "aria-labelledby": "team-waiting-title" },
    heading, h("p", { class: "muted" }, t("waiting.hint")), status, list, empty, more);
  return { el, ready: more.ready.then(showEmpty) };
}
