// 公众监督: the public supervision board of repairs, month by month; no sign-in.
import {
  FINISHED_STATES, OPEN_STATES, placeName, slaBadge, ticketCategory, ticketSeverity, ticketStateBadge,
} from "../js/labels.js";
import { dataTable, emptyState, h, pager } from "../js/ui.js";
import { field } from "../js/forms.js";
import { nowMs } from "../js/config.js";

export const strings = {
  "zh-CN": {
    "intro": "每一张维修单的进度、时限、收费和用户评价都向全校公开，不含任何个人信息。",
    "month": "月份",
    "previous_month": "上个月",
    "caption": "{month}维修单",
    "empty": "{month}还没有维修单。",
    "col.reported": "报修时间",
    "col.place": "地点",
    "col.category": "工种",
    "col.severity": "类别",
    "col.state": "状态",
    "col.sla": "时限",
    "col.fee": "收费",
    "col.rating": "评价",
    "rating": "{score} 分",
    "rating.title": "态度 {attitude} · 速度 {speed} · 质量 {quality} · 价格 {price}",
    "rework": "返修 {count} 次",
  },
  "en": {
    "intro": "Every repair's progress, time limit, fee and rating is open to the whole campus, with nothing personal.",
    "month": "Month",
    "previous_month": "Previous month",
    "caption": "Repairs in {month}",
    "empty": "No repairs in {month} yet.",
    "col.reported": "Reported",
    "col.place": "Place",
    "col.category": "Trade",
    "col.severity": "Size",
    "col.state": "State",
    "col.sla": "Time limit",
    "col.fee": "Fee",
    "col.rating": "Rating",
    "rating": "{score} / 5",
    "rating.title": "attitude {attitude} · speed {speed} · quality {quality} · price {price}",
    "rework": "reworked {count}×",
  },
};

export async function render(container, { api, t, fmt, params, navigate, signal }) {
  const month = /^\d{4}-\d{2}$/.test(params.month || "") ? params.month : null; // null: this month
  let shownMonth = month; // the month the API answered for
  const monthField = field({ name: "month", label: t("month"), type: "month", required: false, value: month || "" });
  const monthInput = monthField.querySelector("input");
  monthInput.addEventListener("change", () => {
    if (monthInput.value && monthInput.value !== shownMonth) navigate("/board", { month: monthInput.value });
  });
  const previous = h("button", { type: "button", class: "btn btn-secondary", disabled: true }, t("previous_month"));
  container.append(h("p", { class: "lead" }, t("intro")), h("div", { class: "toolbar" }, monthField, previous));

  const columns = [
    { label: t("col.reported"), render: (r) => fmt.dateTime(r.reported_at) },
    { label: t("col.place"), render: (r) => placeName(r.campus_id, r.building_id) },
    { label: t("col.category"), render: (r) => ticketCategory(r.category) },
    { label: t("col.severity"), render: (r) => ticketSeverity(r.severity) },
    { label: t("col.state"), render: (r) => [ticketStateBadge(r.state),
      r.rework_count ? h("span", { class: "muted" }, ` ${t("rework", { count: r.rework_count })}`) : null] },
    { label: t("col.sla"), render: (r) => sla(r) },
    { label: t("col.fee"), class: "num", render: (r) => (FINISHED_STATES.has(r.state) ? fmt.money(r.fee_fen) : "—") },
    { label: t("col.rating"), render: (r) => rating(r.rating) },
  ];
  let table = null;
  const list = h("div", { class: "board-list" });
  const more = pager({
    load: async (cursor) => {
      const page = await api.get("/public/tickets", { query: { month, cursor }, signal });
      showMonth(page);
      return page;
    },
    show: (items) => {
      if (!table) {
        table = dataTable({ caption: t("caption", { month: fmt.month(shownMonth) }), columns, rows: items });
        list.replaceChildren(items.length ? table : emptyState(t("empty", { month: fmt.month(shownMonth) })));
      } else table.addRows(items);
    },
  });
  container.append(list, more);

  function showMonth(page) {
    shownMonth = page.month;
    monthInput.value = page.month;
    previous.disabled = false;
    previous.onclick = () => navigate("/board", { month: page.previous_month });
  }

  function sla(r) {
    if (r.state === "on_hold") return slaBadge({ paused: true });
    if (OPEN_STATES.has(r.state) && r.deadline) {
      return slaBadge({ secondsLeft: Math.round((Date.parse(r.deadline) - nowMs()) / 1000) });
    }
    return r.sla_met === null || r.sla_met === undefined ? "—" : slaBadge({ met: r.sla_met });
  }

  function rating(scores) {
    if (!scores) return "—";
    const values = Object.values(scores);
    const score = fmt.number(values.reduce((a, b) => a + b, 0) / values.length, 1);
    return h("span", { title: t("rating.title", scores) }, t("rating", { score }));
  }

  await more.ready;
}
