// 维修考核: each repair point's time-limit rate, repair time and satisfaction over a period, as
// figures and bar charts; a repair point's workers one by one.
import { barChart } from "../js/charts.js";
import { field, showFormError } from "../js/forms.js";
import { hasRole } from "../js/auth.js";
import { campusName, ticketCategory } from "../js/labels.js";
import { alertBox, dataTable, emptyState, h } from "../js/ui.js";
import { nowMs } from "../js/config.js";

export const strings = {
  "zh-CN": {
    "intro": "各维修点在所选期间内报修的维修单：按时完成率、平均维修用时和用户满意度。",
    "from": "开始日期",
    "to": "结束日期",
    "show": "查看",
    "period": "{from} 至 {to}",
    "caption": "各维修点考核（{period}）",
    "team.label": "{campus}{trade}维修点",
    "col.team": "维修点",
    "col.worker": "维修工工号",
    "col.count": "报修",
    "col.completed": "完工",
    "col.open": "未完成",
    "col.sla": "按时完成率",
    "col.minutes": "平均维修用时",
    "col.rating": "平均评分",
    "col.satisfaction": "满意率",
    "col.first_fix": "一次修好率",
    "col.fee": "收费",
    "rating": "{score} 分",
    "chart.sla": "按时完成率",
    "chart.minutes": "平均维修用时（报修到完工）",
    "chart.rating": "平均评分（满分 5 分）",
    "chart.value": "数值",
    "charts": "图表",
    "open_team": "查看 {team} 的维修工",
    "workers.title": "{team}的维修工",
    "workers.intro": "列出该维修点手上有活的维修工；其他维修工可按工号查询。",
    "workers.caption": "{team}维修工考核（{period}）",
    "workers.none": "该维修点现在没有进行中的工作。",
    "workers.lookup": "维修工工号",
    "workers.lookup_submit": "查询",
    "workers.back": "返回全部维修点",
    "mine.title": "我的考核",
    "mine.caption": "我的考核（{period}）",
    "no_teams": "没有可以查看的维修点。",
  },
  "en": {
    "intro": "Tickets reported to each repair point in the period: share finished in time, mean repair time and user satisfaction.",
    "from": "From",
    "to": "To",
    "show": "Show",
    "period": "{from} to {to}",
    "caption": "Repair points ({period})",
    "team.label": "{campus} {trade} team",
    "col.team": "Repair point",
    "col.worker": "Worker's staff ID",
    "col.count": "Reported",
    "col.completed": "Completed",
    "col.open": "Open",
    "col.sla": "On time",
    "col.minutes": "Mean repair time",
    "col.rating": "Mean rating",
    "col.satisfaction": "Satisfied",
    "col.first_fix": "Fixed first time",
    "col.fee": "Fees",
    "rating": "{score} / 5",
    "chart.sla": "Share finished on time",
    "chart.minutes": "Mean repair time (report to completion)",
    "chart.rating": "Mean rating (out of 5)",
    "chart.value": "Value",
    "charts": "Charts",
    "open_team": "Show the workers of {team}",
    "workers.title": "Workers of the {team}",
    "workers.intro": "The workers with jobs at this repair point now; look up any other worker by staff ID.",
    "workers.caption": "Workers of the {team} ({period})",
    "workers.none": "This repair point has no jobs under way now.",
    "workers.lookup": "Worker's staff ID",
    "workers.lookup_submit": "Look up",
    "workers.back": "Back to all repair points",
    "mine.title": "My figures",
    "mine.caption": "My figures ({period})",
    "no_teams": "There is no repair point you may see.",
  },
};

const DAY = 86400000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The campus date (Asia/Shanghai) of an instant, as YYYY-MM-DD. */
function campusDate(ms) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date(ms)); // i18n-exempt
}

/** `work(item)` for every item, at most `limit` at a time (each repair point is its own request). */
async function eachLimited(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export async function render(container, { api, t, fmt, user, params, navigate, signal, showError, progress }) {
  const to = DATE.test(params.to || "") ? params.to : campusDate(nowMs());
  const from = DATE.test(params.from || "") ? params.from : campusDate(Date.parse(`${to}T12:00:00+08:00`) - 29 * DAY);
  const period = t("period", { from: fmt.date(from), to: fmt.date(to) });
  const seeAll = hasRole(user, ["dispatcher", "leader"]);

  // ---------------------------------------------------------------- the period
  const periodForm = h("form", { class: "toolbar kpi-period", novalidate: true },
    field({ name: "from", label: t("from"), type: "date", value: from }),
    field({ name: "to", label: t("to"), type: "date", value: to }),
    h("button", { type: "submit", class: "btn" }, t("show")));
  periodForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(periodForm));
    navigate("/kpis", { ...values, ...(params.team ? { team: params.team } : {}) });
  });
  const loading = progress();
  container.append(h("p", { class: "lead" }, t("intro")), periodForm, loading);
  const query = { from, to };

  // ---------------------------------------------------------------- repair points
  const [teams, slaRules, me] = await Promise.all([
    api.get("/teams", { signal }).then((r) => r.items),
    api.get("/sla-rules", { signal }).then((r) => r.items),
    seeAll ? null : api.get(`/staff/${encodeURIComponent(user.personId)}`, { signal }).catch(() => null),
  ]);
  const categoryOfTrade = Object.fromEntries(slaRules.map((rule) => [rule.name, rule.category]));
  const teamName = (team) => {
    const category = categoryOfTrade[team.trade];
    return category ? t("team.label", { campus: campusName(team.campus_id), trade: ticketCategory(category) })
      : team.name;
  };
  const visible = seeAll ? teams : teams.filter((team) => team.team_id === me?.team_id);

  let figures;
  try {
    figures = await eachLimited(visible, 4, (team) =>
      api.get(`/kpis/teams/${encodeURIComponent(team.team_id)}`, { query, signal }).then((k) => ({ ...k, team })));
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    if (!(err?.field && showFormError(periodForm, err))) showError(err);
    return;
  } finally {
    loading.remove();
  }

  const meanRating = (k) => {
    const values = Object.values(k.average_rating || {}).filter((v) => v !== null && v !== undefined);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  };
  const percent = (rate) => (rate === null || rate === undefined ? "—" : `${fmt.number(rate * 100, 1)}%`);
  const minutes = (m) => (m === null || m === undefined ? "—" : fmt.duration(m * 60));
  const rating = (k) => {
    const score = meanRating(k);
    return score === null ? "—" : t("rating", { score: fmt.number(score, 2) });
  };
  const figureColumns = [
    { label: t("col.count"), class: "num", render: (k) => fmt.number(k.count) },
    { label: t("col.completed"), class: "num", render: (k) => fmt.number(k.completed) },
    { label: t("col.open"), class: "num", render: (k) => fmt.number(k.open) },
    { label: t("col.sla"), class: "num kpi-sla", render: (k) => percent(k.sla_met_rate) },
    { label: t("col.minutes"), class: "num kpi-minutes", render: (k) => minutes(k.mean_minutes_to_complete) },
    { label: t("col.rating"), class: "num kpi-rating", render: rating },
    { label: t("col.satisfaction"), class: "num", render: (k) => percent(k.satisfaction_rate) },
    { label: t("col.first_fix"), class: "num", render: (k) => percent(k.first_time_fix_rate) },
    { label: t("col.fee"), class: "num", render: (k) => fmt.money(k.fee_fen) },
  ];

  function charts(rows, label) {
    const common = { labelHeader: label.header };
    const longest = Math.max(0, ...rows.map((k) => k.mean_minutes_to_complete ?? 0));
    return h("div", { class: "chart-grid", role: "group", "aria-label": t("charts") },
      barChart({ ...common, title: t("chart.sla"), valueHeader: t("col.sla"), max: 1,
        items: rows.map((k) => ({ label: label.of(k), value: k.sla_met_rate, text: percent(k.sla_met_rate) })) }),
      barChart({ ...common, title: t("chart.minutes"), valueHeader: t("col.minutes"), max: longest,
        items: rows.map((k) => ({ label: label.of(k), value: k.mean_minutes_to_complete,
          text: minutes(k.mean_minutes_to_complete) })) }),
      barChart({ ...common, title: t("chart.rating"), valueHeader: t("col.rating"), max: 5,
        items: rows.map((k) => ({ label: label.of(k), value: meanRating(k), text: rating(k) })) }));
  }

  const selected = figures.find((k) => k.team.team_id === params.team) || (!seeAll ? figures[0] : null);
  if (!figures.length) {
    container.append(emptyState(t("no_teams")));
  } else if (seeAll || !selected) {
    const teamColumn = { label: t("col.team"), render: (k) => h("a", {
      href: `#/kpis?${new URLSearchParams({ from, to, team: k.team.team_id })}`,
      "aria-label": t("open_team", { team: teamName(k.team) }), class: "team-link", dataset: { teamId: k.team.team_id },
    }, teamName(k.team)) };
    const table = dataTable({ caption: t("caption", { period }), columns: [teamColumn, ...figureColumns], rows: figures });
    table.querySelectorAll("tbody tr").forEach((row, index) => { row.dataset.teamId = figures[index].team.team_id; });
    container.append(table, charts(figures, { header: t("col.team"), of: (k) => teamName(k.team) }));
  }

  // ---------------------------------------------------------------- one repair point's workers
  if (selected) await showWorkers(selected);

  async function showWorkers(teamFigures) {
    const team = teamFigures.team;
    const name = teamName(team);
    const section = h("section", { class: "kpi-workers", "aria-labelledby": "workers-title" });
    container.append(section);
    if (!seeAll) {
      // A worker: their own figures (GET /kpis/workers/{me}), then their repair point's.
      const mine = await api.get(`/kpis/workers/${encodeURIComponent(user.personId)}`, { query, signal });
      section.append(h("h2", { id: "workers-title" }, t("mine.title")),
        dataTable({ caption: t("mine.caption", { period }), columns: figureColumns, rows: [mine] }),
        dataTable({ caption: t("caption", { period }), columns: [{ label: t("col.team"), render: () => name },
          ...figureColumns], rows: [teamFigures] }));
      return;
    }
    const queue = await api.all(`/teams/${encodeURIComponent(team.team_id)}/tickets`, { max: 300, signal });
    const ids = [...new Set(queue.map((ticket) => ticket.worker_id).filter(Boolean))].sort();
    const workerColumn = { label: t("col.worker"), render: (k) => k.worker };
    const lookupForm = h("form", { class: "toolbar", novalidate: true },
      field({ name: "staff_id", label: t("workers.lookup"), attrs: { maxlength: "20", autocomplete: "off" } }),
      h("button", { type: "submit", class: "btn btn-secondary" }, t("workers.lookup_submit")));
    const workers = await eachLimited(ids, 4, (id) =>
      api.get(`/kpis/workers/${encodeURIComponent(id)}`, { query, signal }));
    const table = dataTable({ caption: t("workers.caption", { team: name, period }),
      columns: [workerColumn, ...figureColumns], rows: workers });
    const list = h("div", {}, workers.length ? table : emptyState(t("workers.none")));
    const status = h("div");
    lookupForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = new FormData(lookupForm).get("staff_id").trim();
      status.replaceChildren();
      try {
        const k = await api.get(`/kpis/workers/${encodeURIComponent(id)}`, { query, signal });
        if (!workers.length) list.replaceChildren(table);
        table.addRows([k]);
        lookupForm.reset();
      } catch (err) {
        if (err?.name === "AbortError") return;
        status.replaceChildren(alertBox("error", err.message));
      }
    });
    section.append(h("h2", { id: "workers-title" }, t("workers.title", { team: name })),
      h("p", {}, h("a", { href: `#/kpis?${new URLSearchParams({ from, to })}` }, t("workers.back"))),
      h("p", { class: "muted" }, t("workers.intro")),
      list, lookupForm, status,
      workers.length ? charts(workers, { header: t("col.worker"), of: (k) => k.worker }) : null);
    if (params.team) section.querySelector("h2").scrollIntoView?.({ block: "start" });
  }
}
