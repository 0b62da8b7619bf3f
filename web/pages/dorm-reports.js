// 公寓报表: a dorm report for a building, campus or department over a date range, on screen and as CSV / XLSX.
import { ApiError } from "../js/api.js";
import { campusName, placeName } from "../js/labels.js";
import { field, formValues, handleSubmit, showFormError } from "../js/forms.js";
import { language } from "../js/i18n.js";
import { addDays, campusToday, visibleBuildings } from "../js/dorms.js";
import { alertBox, dataTable, emptyState, h, saveFile } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "选择报表、范围和日期（最多 31 天），在页面上查看，或下载 CSV / Excel 文件。",
    "report": "报表",
    "report.entries": "公寓出入记录",
    "report.individuals": "个人出入统计",
    "report.nights-out": "夜不归宿",
    "report.early-late": "早出晚归",
    "report.visitors": "外来客人与未知卡",
    "report.check-outs": "退房",
    "report.violations": "各院系违禁情况评比表",
    "report.gate-duty": "门岗值班统计",
    "scope": "范围",
    "scope.campus": "{campus}校区全部楼宇",
    "department": "院系",
    "department.hint": "只看这个院系的学生，例如“材料学院”。",
    "from": "开始日期",
    "to": "结束日期",
    "show": "显示报表",
    "csv": "下载 CSV",
    "xlsx": "下载 Excel",
    "downloading": "正在准备文件…",
    "downloaded": "已下载 {file}。",
    "caption": "{title}：{from} 至 {to}，共 {count} 行",
    "empty": "{from} 至 {to} 没有记录。",
    "more": "再显示 {n} 行（共 {total} 行）",
    "yes": "是",
    "no": "否",
    "range.reversed": "开始日期不能晚于结束日期。",
    "range.too_long": "最多 {max} 天。",
  },
  "en": {
    "intro": "Pick a report, a scope and dates (31 days at most), read it here or download it as CSV or Excel.",
    "report": "Report",
    "report.entries": "Entries and exits",
    "report.individuals": "Entries and exits per resident",
    "report.nights-out": "Nights not returned",
    "report.early-late": "Early out and late return",
    "report.visitors": "Visitors and unknown cards",
    "report.check-outs": "Check-outs",
    "report.violations": "Violations by department",
    "report.gate-duty": "Gate duty statistics",
    "scope": "Scope",
    "scope.campus": "All buildings of {campus} campus",
    "department": "Department",
    "department.hint": "Only this department's students, e.g. “材料学院”.",
    "from": "From",
    "to": "To",
    "show": "Show report",
    "csv": "Download CSV",
    "xlsx": "Download Excel",
    "downloading": "Preparing the file…",
    "downloaded": "Downloaded {file}.",
    "caption": "{title}: {from} to {to}, {count} rows",
    "empty": "Nothing from {from} to {to}.",
    "more": "Show {n} more rows (of {total})",
    "yes": "Yes",
    "no": "No",
    "range.reversed": "The start must not be after the end.",
    "range.too_long": "At most {max} days.",
  },
};

const REPORTS = ["entries", "individuals", "nights-out", "early-late", "visitors", "check-outs", "violations",
  "gate-duty"];
const CAMPUSES = ["SB", "JN"];
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CHUNK = 100; // rows put on the page at a time

export async function render(container, ctx) {
  const { api, t, fmt, params, signal } = ctx;
  // Buildings the caller may see (a counsellor may see none: then campuses and departments only).
  // The buildings the caller may see come with a request of their own: the form is usable meanwhile with the
  // campuses, the buildings join the scope list when they arrive. A counsellor sees no buildings (403).
  const listed = visibleBuildings(api, ctx.user).catch((err) => {
    if (err?.status === 403) return [];
    throw err;
  });
  const scopeOptions = (buildings) => [
    ...buildings.map((b) => ({ value: `building_id:${b.building_id}`, label: placeName(b.campus_id, b.building_id) })),
    ...CAMPUSES.filter((c) => !buildings.length || buildings.some((b) => b.campus_id === c))
      .map((c) => ({ value: `campus_id:${c}`, label: t("scope.campus", { campus: campusName(c) }) })),
  ];
  const scopes = scopeOptions([]);
  const today = campusToday();
  const form = h("form", { class: "card report-form", novalidate: true },
    h("div", { class: "form-grid" },
      field({ name: "report", label: t("report"), kind: "select", value: REPORTS.includes(params.report) ? params.report
        : "entries", options: REPORTS.map((r) => ({ value: r, label: t(`report.${r}`) })) }),
      field({ name: "scope", label: t("scope"), kind: "select", options: scopes,
        value: scopes.some((s) => s.value === params.scope) ? params.scope : scopes[0]?.value }),
      field({ name: "department", label: t("department"), optional: true, hint: t("department.hint") }),
      field({ name: "from", label: t("from"), type: "date", value: params.from || addDays(today, -6) }),
      field({ name: "to", label: t("to"), type: "date", value: params.to || today })),
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "btn" }, t("show")),
      h("button", { type: "button", class: "btn btn-secondary", dataset: { format: "csv" } }, t("csv")),
      h("button", { type: "button", class: "btn btn-secondary", dataset: { format: "xlsx" } }, t("xlsx"))));
  const status = h("div", { class: "download-status" });
  const result = h("div", { class: "report-result" });
  container.append(h("p", { class: "lead" }, t("intro")), form, status, result);
  const scopeSelect = form.elements.scope;
  const scopesReady = listed.then((buildings) => {
    const options = scopeOptions(buildings);
    const keep = scopeSelect.value !== scopes[0]?.value ? scopeSelect.value : null; // chosen while waiting
    scopeSelect.replaceChildren(...options.map((o) => h("option", { value: o.value }, o.label)));
    const wanted = [keep, params.scope, options[0]?.value].find((v) => v && options.some((o) => o.value === v));
    scopeSelect.value = wanted || "";
  });

  /** The report id and the API's query from the form's values. */
  function request(values) {
    const [scopeName, scopeValue] = (values.scope || "").split(":");
    const query = { from: values.from || "", to: values.to || "", department: values.department };
    if (scopeName) query[scopeName] = scopeValue;
    return { report: values.report, query };
  }

  /** The API names building_id / campus_id; the form shows them as one "scope" field. Range problems in words. */
  function explain(err) {
    if (!(err instanceof ApiError)) return err;
    if (["building_id", "campus_id"].includes(err.field)) err.field = "scope";
    const tooLong = /at most (\d+) days/.exec(err.detail || "");
    if (err.field && tooLong) err.fieldMessage = () => t("range.too_long", { max: tooLong[1] });
    else if (err.field && /must not be after/.test(err.detail || "")) err.fieldMessage = () => t("range.reversed");
    err.message = err.userMessage();
    return err;
  }

  handleSubmit(form, async (values) => {
    const { report, query } = request(values);
    status.replaceChildren();
    try {
      return await api.get(`/dorm-reports/${encodeURIComponent(report)}`, { query, signal });
    } catch (err) {
      throw explain(err);
    }
  }, (answer) => showTable(answer));

  for (const button of form.querySelectorAll("button[data-format]")) {
    button.addEventListener("click", async () => {
      const { report, query } = request(formValues(form));
      button.disabled = true;
      status.replaceChildren(ctx.progress({ text: t("downloading") }));
      try {
        const file = saveFile(await ctx.api.file(`/dorm-reports/${encodeURIComponent(report)}`, {
          query: { ...query, format: button.dataset.format }, signal: ctx.signal,
          accept: button.dataset.format === "xlsx" ? XLSX : "text/csv" }));
        status.replaceChildren(alertBox("success", t("downloaded", { file })));
      } catch (err) {
        if (err?.name === "AbortError") return;
        status.replaceChildren();
        showFormError(form, explain(err));
      } finally {
        button.disabled = false;
      }
    });
  }

  function showTable(answer) {
    const lang = language() === "zh-CN" ? "zh" : "en";
    const range = { from: fmt.date(answer.from), to: fmt.date(answer.to) };
    if (!answer.items.length) {
      result.replaceChildren(emptyState(t("empty", range)));
      return;
    }
    const title = t(`report.${answer.report}`);
    const columns = answer.columns.map((c) => ({ label: c[lang] || c.key, render: (row) => cell(row[c.key]),
      class: answer.items.some((row) => typeof row[c.key] === "number") ? "num" : null }));
    const table = dataTable({ caption: t("caption", { title, ...range, count: fmt.number(answer.count) }), columns,
      rows: answer.items.slice(0, CHUNK) });
    let shown = CHUNK;
    const more = h("button", { type: "button", class: "btn btn-secondary" });
    const label = () => {
      more.hidden = shown >= answer.items.length;
      more.textContent = t("more", { n: Math.min(CHUNK, answer.items.length - shown), total: answer.items.length });
    };
    more.addEventListener("click", () => {
      table.addRows(answer.items.slice(shown, shown + CHUNK));
      shown += CHUNK;
      label();
    });
    label();
    result.replaceChildren(table, h("div", { class: "pager" }, more));
  }

  function cell(value) {
    if (value === null || value === undefined || value === "") return "—";
    if (value === true) return t("yes");
    if (value === false) return t("no");
    if (typeof value === "number") return fmt.number(value);
    return String(value);
  }

  await scopesReady;
  if (params.report) form.requestSubmit();
}

