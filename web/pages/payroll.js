// 工资: finance enters a unit's income and named bonuses, starts a payroll run and watches it compute,
// submits it, downloads the report and (once approved) the bank transfer list; a leader approves or
// rejects a submitted run. `#/payroll?run=<id>` shows one run, `#/payroll?month=YYYY-MM` a month.
import { clearFormErrors, field, handleSubmit, showFormError } from "../js/forms.js";
import { alertBox, badge, dataTable, emptyState, errorBox, h, pager, saveFile } from "../js/ui.js";
import { now } from "../js/config.js";

export const strings = {
  "zh-CN": {
    "intro.finance": "录入各单位本月收入和奖励，发起工资核算，核对后提交集团领导审批。审批通过的月份即锁定。",
    "intro.leader": "审阅财务提交的工资核算：按部门核对合计后批准或退回。批准后该月工资锁定，不能再改。",
    "intro.reader": "查看各月的工资核算、合计和报表。",
    "month": "月份",
    "income.title": "单位收入",
    "income.caption": "{month}各单位收入",
    "income.col.department": "单位",
    "income.col.income": "收入",
    "income.col.entered": "录入时间",
    "income.col.action": "操作",
    "income.none": "未录入",
    "income.edit": "修改",
    "income.edit_label": "修改{name}的收入",
    "income.form": "录入收入",
    "income.department": "单位",
    "income.amount": "收入（元）",
    "income.amount_hint": "以元为单位，最多两位小数。",
    "income.note": "备注",
    "income.save": "保存收入",
    "income.saved": "已保存{name}{month}的收入：{amount}。",
    "locked": "已锁定",
    "department": "{name}（{id}）",
    "warning.line": "{department} · {staff}：{warning}",
    "bonus.title": "奖励",
    "bonus.staff": "工号",
    "bonus.kind": "奖励类别",
    "bonus.amount": "金额（元）",
    "bonus.note": "说明",
    "bonus.add": "添加奖励",
    "bonus.added": "已为 {staff} 添加{kind} {amount}，随{month}工资发放。",
    "bonus.caption": "{month}的奖励",
    "bonus.empty": "{month}还没有奖励。",
    "bonus.col.staff": "工号",
    "bonus.col.kind": "类别",
    "bonus.col.amount": "金额",
    "bonus.col.note": "说明",
    "bonus.kind.post": "岗位奖",
    "bonus.kind.suggestion": "建议奖",
    "bonus.kind.special_contribution": "特殊贡献奖",
    "bonus.kind.saving": "节约奖",
    "start.title": "发起工资核算",
    "start.departments": "核算部门",
    "start.hint": "核算在后台进行，几十人的部门不到一分钟，几百人的部门需要几分钟。同一月份同一组部门只会有一次核算。",
    "start.submit": "开始核算",
    "runs.title": "核算记录",
    "runs.caption": "工资核算",
    "runs.empty": "还没有工资核算。",
    "runs.col.month": "月份",
    "runs.col.departments": "部门",
    "runs.col.state": "状态",
    "runs.col.net": "实发合计",
    "runs.col.updated": "更新时间",
    "runs.open": "查看",
    "runs.open_label": "查看{month}核算 {id}",
    "state.queued": "排队中",
    "state.computing": "核算中",
    "state.draft": "草稿",
    "state.failed": "核算失败",
    "state.submitted": "待审批",
    "state.approved": "已批准",
    "state.rejected": "已退回",
    "run.back": "返回核算记录",
    "run.title": "{month}工资核算",
    "run.id": "编号 {id}",
    "run.departments": "部门：{list}",
    "run.created": "{by} 发起于 {at}",
    "run.submitted": "{by} 提交于 {at}",
    "run.decided": "{by} 处理于 {at}",
    "run.locked": "本月工资已审批通过并锁定：不能再修改、重算或再次审批。",
    "run.rejected": "已退回，理由：{reason}",
    "run.failed": "核算失败：{reason}",
    "run.queued": "排队等待核算…",
    "run.computing": "正在核算：已完成 {done} / {total} 人",
    "run.computing_start": "正在读取考勤、评分和维修单…",
    "run.poll_failed": "暂时无法获取核算进度，稍后自动重试。",
    "totals.title": "按部门合计",
    "totals.previous": "上次核算的合计（正在重新核算，结果出来后更新）",
    "totals.caption": "{month}各部门工资合计",
    "totals.col.department": "部门",
    "totals.col.staff": "人数",
    "totals.col.gross": "应发",
    "totals.col.deductions": "三险一金",
    "totals.col.tax": "个人所得税",
    "totals.col.net": "实发",
    "totals.col.income": "单位收入",
    "totals.col.pool": "奖金池",
    "totals.all": "合计",
    "totals.skipped": "{n} 人本月已由其他核算发放，未计入",
    "warnings.title": "提示（{n} 条）",
    "warnings.more": "只显示前 {shown} 条，完整内容见报表。",
    "warning.no bank account": "没有银行账户，无法代发",
    "warning.net below zero": "实发为负数，请核对",
    "actions.title": "操作",
    "action.submit": "提交审批",
    "action.recompute": "重新核算",
    "action.approve": "批准",
    "action.reject": "退回",
    "action.reason": "退回理由",
    "action.reason_hint": "财务会看到这条理由，修改后重新核算并提交。",
    "action.done.submit": "已提交，等待集团领导审批。",
    "action.done.recompute": "已开始重新核算。",
    "action.done.approve": "已批准，本月工资已锁定。",
    "action.done.reject": "已退回给财务。",
    "download.title": "下载",
    "download.csv": "工资报表（CSV）",
    "download.xlsx": "工资报表（Excel）",
    "download.transfers": "银行代发清单（CSV）",
    "download.failed": "下载失败：{message}",
    "transfers.title": "银行代发清单",
    "transfers.show": "显示银行代发清单",
    "transfers.caption": "代发 {count} 人，共 {total}",
    "transfers.col.staff": "工号",
    "transfers.col.name": "姓名",
    "transfers.col.department": "部门",
    "transfers.col.account": "银行账户",
    "transfers.col.amount": "金额",
    "transfers.not_paid": "未代发 {n} 人",
    "transfers.reason.no bank account": "没有银行账户",
    "transfers.reason.net pay is not above zero": "实发不大于零",
    "payslip.title": "查看工资单",
    "payslip.staff": "工号",
    "payslip.open": "查看",
    "history.title": "处理记录",
    "history.caption": "核算 {id} 的处理记录",
    "history.col.at": "时间",
    "history.col.by": "操作人",
    "history.col.action": "操作",
    "history.col.state": "状态变化",
    "history.col.reason": "理由",
    "history.action.create": "发起",
    "history.action.start": "开始核算",
    "history.action.finish": "核算完成",
    "history.action.fail": "核算失败",
    "history.action.recompute": "重新核算",
    "history.action.submit": "提交",
    "history.action.approve": "批准",
    "history.action.reject": "退回",
    "history.system": "系统",
    "error.month_locked": "该月已审批锁定，不能再修改或核算。",
    "error.not_computed": "这次核算还没有算完，暂时没有报表。",
    "error.not_approved": "银行代发清单只在审批通过后提供。",
  },
  "en": {
    "intro.finance": "Enter each unit's income and named bonuses for the month, start the payroll run, check it and submit it for a leader's approval. An approved month is locked.",
    "intro.leader": "Review the payroll runs finance submits: check the totals by department, then approve or send back. An approved month is locked for good.",
    "intro.reader": "Payroll runs by month, with their totals and reports.",
    "month": "Month",
    "income.title": "Unit income",
    "income.caption": "Income of each unit, {month}",
    "income.col.department": "Unit",
    "income.col.income": "Income",
    "income.col.entered": "Entered",
    "income.col.action": "Action",
    "income.none": "Not entered",
    "income.edit": "Edit",
    "income.edit_label": "Edit the income of {name}",
    "income.form": "Enter income",
    "income.department": "Unit",
    "income.amount": "Income (yuan)",
    "income.amount_hint": "In yuan, at most two decimals.",
    "income.note": "Note",
    "income.save": "Save income",
    "income.saved": "Saved the income of {name} for {month}: {amount}.",
    "locked": "Locked",
    "department": "{name} ({id})",
    "warning.line": "{department} · {staff}: {warning}",
    "bonus.title": "Named bonuses",
    "bonus.staff": "Staff id",
    "bonus.kind": "Kind",
    "bonus.amount": "Amount (yuan)",
    "bonus.note": "Note",
    "bonus.add": "Add bonus",
    "bonus.added": "Added a {kind} of {amount} for {staff}, paid with {month}.",
    "bonus.caption": "Bonuses of {month}",
    "bonus.empty": "No bonuses for {month} yet.",
    "bonus.col.staff": "Staff id",
    "bonus.col.kind": "Kind",
    "bonus.col.amount": "Amount",
    "bonus.col.note": "Note",
    "bonus.kind.post": "Post bonus",
    "bonus.kind.suggestion": "Suggestion bonus",
    "bonus.kind.special_contribution": "Special contribution bonus",
    "bonus.kind.saving": "Saving bonus",
    "start.title": "Start a payroll run",
    "start.departments": "Departments",
    "start.hint": "The run computes in the background: under a minute for a few dozen staff, a few minutes for hundreds. A month and set of departments is only ever one run.",
    "start.submit": "Start the run",
    "runs.title": "Payroll runs",
    "runs.caption": "Payroll runs",
    "runs.empty": "No payroll runs yet.",
    "runs.col.month": "Month",
    "runs.col.departments": "Departments",
    "runs.col.state": "State",
    "runs.col.net": "Net total",
    "runs.col.updated": "Updated",
    "runs.open": "Open",
    "runs.open_label": "Open the run of {month}, {id}",
    "state.queued": "Queued",
    "state.computing": "Computing",
    "state.draft": "Draft",
    "state.failed": "Failed",
    "state.submitted": "Awaiting approval",
    "state.approved": "Approved",
    "state.rejected": "Sent back",
    "run.back": "Back to the runs",
    "run.title": "Payroll of {month}",
    "run.id": "Run {id}",
    "run.departments": "Departments: {list}",
    "run.created": "started by {by} {at}",
    "run.submitted": "submitted by {by} {at}",
    "run.decided": "decided by {by} {at}",
    "run.locked": "This month's payroll is approved and locked: it can no longer change, be recomputed or be decided again.",
    "run.rejected": "Sent back: {reason}",
    "run.failed": "The run failed: {reason}",
    "run.queued": "Waiting to compute…",
    "run.computing": "Computing: {done} of {total} staff done",
    "run.computing_start": "Reading attendance, grades and repair tickets…",
    "run.poll_failed": "Could not get the run's progress just now; trying again shortly.",
    "totals.title": "Totals by department",
    "totals.previous": "The previous computation's totals (a recompute is under way; they update when it is done)",
    "totals.caption": "Payroll totals by department, {month}",
    "totals.col.department": "Department",
    "totals.col.staff": "Staff",
    "totals.col.gross": "Gross",
    "totals.col.deductions": "Insurance and fund",
    "totals.col.tax": "Income tax",
    "totals.col.net": "Net",
    "totals.col.income": "Unit income",
    "totals.col.pool": "Bonus pool",
    "totals.all": "Total",
    "totals.skipped": "{n} already paid for the month by another run, not included",
    "warnings.title": "Warnings ({n})",
    "warnings.more": "Only the first {shown} are shown; the report has them all.",
    "warning.no bank account": "No bank account: cannot be paid by transfer",
    "warning.net below zero": "Net pay below zero: please check",
    "actions.title": "Actions",
    "action.submit": "Submit for approval",
    "action.recompute": "Recompute",
    "action.approve": "Approve",
    "action.reject": "Send back",
    "action.reason": "Reason for sending back",
    "action.reason_hint": "Finance sees this reason, corrects the data, recomputes and submits again.",
    "action.done.submit": "Submitted; waiting for a leader's approval.",
    "action.done.recompute": "The recompute has started.",
    "action.done.approve": "Approved; this month's payroll is locked.",
    "action.done.reject": "Sent back to finance.",
    "download.title": "Downloads",
    "download.csv": "Payroll report (CSV)",
    "download.xlsx": "Payroll report (Excel)",
    "download.transfers": "Bank transfer list (CSV)",
    "download.failed": "The download failed: {message}",
    "transfers.title": "Bank transfer list",
    "transfers.show": "Show the bank transfer list",
    "transfers.caption": "{count} transfers, {total} in all",
    "transfers.col.staff": "Staff id",
    "transfers.col.name": "Name",
    "transfers.col.department": "Department",
    "transfers.col.account": "Bank account",
    "transfers.col.amount": "Amount",
    "transfers.not_paid": "Not paid by transfer: {n}",
    "transfers.reason.no bank account": "no bank account",
    "transfers.reason.net pay is not above zero": "net pay not above zero",
    "payslip.title": "Open a payslip",
    "payslip.staff": "Staff id",
    "payslip.open": "Open",
    "history.title": "History",
    "history.caption": "History of run {id}",
    "history.col.at": "When",
    "history.col.by": "By",
    "history.col.action": "Action",
    "history.col.state": "State",
    "history.col.reason": "Reason",
    "history.action.create": "Started",
    "history.action.start": "Computing began",
    "history.action.finish": "Computed",
    "history.action.fail": "Failed",
    "history.action.recompute": "Recompute",
    "history.action.submit": "Submitted",
    "history.action.approve": "Approved",
    "history.action.reject": "Sent back",
    "history.system": "System",
    "error.month_locked": "That month is approved and locked: it can no longer change or be run again.",
    "error.not_computed": "The run is not computed yet: there is no report to download.",
    "error.not_approved": "The bank transfer list is only there once the run is approved.",
  },
};

const STATE_TONES = { queued: "info", computing: "info", draft: "warn", failed: "danger", submitted: "warn",
  approved: "success", rejected: "danger" };
const BUSY = new Set(["queued", "computing"]);
const READABLE = new Set(["draft", "submitted", "approved", "rejected"]);
const BONUS_KINDS = ["post", "suggestion", "special_contribution", "saving"];
const KNOWN_WARNINGS = ["no bank account", "net below zero"];
const NOT_PAID_REASONS = ["no bank account", "net pay is not above zero"];
const HISTORY_ACTIONS = ["create", "start", "finish", "fail", "recompute", "submit", "approve", "reject"];
const POLL_MS = 1500;
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export async function render(container, ctx) {
  const { params } = ctx;
  if (params.run) return renderRun(container, ctx, params.run);
  return renderOverview(container, ctx);
}

// ------------------------------------------------------------------ helpers
/** Last calendar month on the campus clock, "YYYY-MM". */
function lastMonth() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .formatToParts(now());
  const year = Number(parts.find((p) => p.type === "year").value);
  const month = Number(parts.find((p) => p.type === "month").value);
  const date = new Date(Date.UTC(year, month - 2, 15));
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** Yuan as typed ("1234.5") -> whole fen; anything else goes to the API as typed, which names the problem. */
function toFen(text) {
  if (text === undefined) return undefined;
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.replace(/[,，\s]/g, ""));
  if (!match) return text;
  const fen = Number(match[2]) * 100 + Number((match[3] || "").padEnd(2, "0"));
  return match[1] ? -fen : fen;
}

const hasRole = (user, role) => Boolean(user?.roles?.includes(role));

function stateBadge(t, state) {
  return badge(t(`state.${state}`), STATE_TONES[state] || "neutral");
}

/** An error's sentence, with this page's words for the payroll conflicts. */
function sentence(t, error) {
  if (error?.status === 409 && ["month_locked", "not_computed", "not_approved"].includes(error.code)) {
    return t(`error.${error.code}`);
  }
  return typeof error?.userMessage === "function" ? error.userMessage() : t("error.server");
}

function problemBox(t, error) {
  const box = errorBox(error);
  box.querySelector("p").textContent = sentence(t, error);
  return box;
}

function csvCell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// ------------------------------------------------------------------ the overview: income, bonuses, runs
async function renderOverview(container, ctx) {
  const { api, t, fmt, params, navigate, signal, user } = ctx;
  const finance = hasRole(user, "finance");
  const month = /^\d{4}-\d{2}$/.test(params.month || "") ? params.month : lastMonth();
  const intro = finance ? "intro.finance" : hasRole(user, "leader") ? "intro.leader" : "intro.reader";
  container.append(h("p", { class: "lead" }, t(intro)));

  if (finance) {
    const monthField = field({ name: "month", label: t("month"), type: "month", required: false, value: month });
    const monthInput = monthField.querySelector("input");
    monthInput.addEventListener("change", () => {
      if (monthInput.value && monthInput.value !== month) navigate("/payroll", { month: monthInput.value });
    });
    container.append(h("div", { class: "toolbar" }, monthField));
    const income = await incomeSection(ctx, month);
    container.append(income.el, bonusSection(ctx, month), startSection(ctx, month, income.departments));
  }

  container.append(h("h2", { id: "payroll-runs-title" }, t("runs.title")));
  const list = h("div");
  let table = null;
  const columns = [
    { label: t("runs.col.month"), render: (r) => fmt.month(r.month) },
    { label: t("runs.col.departments"), render: (r) => r.departments.join(t("list.separator")) },
    { label: t("runs.col.state"), render: (r) => [stateBadge(t, r.state), r.locked ? " " : null,
      r.locked ? badge(t("locked"), "neutral") : null] },
    { label: t("runs.col.net"), class: "num", render: (r) => fmt.money(r.totals?.all?.net_fen) },
    { label: t("runs.col.updated"), render: (r) => fmt.dateTime(r.updated_at) },
    { label: "", render: (r) => h("a", { href: `#/payroll?run=${encodeURIComponent(r.run_id)}`, class: "btn btn-secondary",
      "aria-label": t("runs.open_label", { month: fmt.month(r.month), id: r.run_id }) }, t("runs.open")) },
  ];
  const more = pager({
    load: (cursor) => api.get("/payroll/runs", { query: { cursor }, signal }),
    show: (items) => {
      if (table) return table.addRows(items);
      table = dataTable({ caption: t("runs.caption"), columns, rows: items });
      list.replaceChildren(items.length ? table : emptyState(t("runs.empty")));
      return null;
    },
  });
  container.append(list, more);
  await more.ready;
}

async function incomeSection(ctx, month) {
  const { api, t, fmt, signal } = ctx;
  const el = h("section", { class: "card", "aria-labelledby": "payroll-income-title" },
    h("h2", { id: "payroll-income-title" }, t("income.title")));
  const tableSlot = h("div");
  const status = h("div");
  let departments = [];
  try {
    departments = (await api.get(`/payroll/income/${month}`, { signal })).items;
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    el.append(problemBox(t, err));
    return { el, departments };
  }
  const select = field({ name: "department_id", label: t("income.department"), kind: "select",
    options: departments.map((d) => ({ value: d.department_id, label: t("department", { name: d.name, id: d.department_id }) })) });
  const amount = field({ name: "income_fen", label: t("income.amount"), hint: t("income.amount_hint"),
    attrs: { inputmode: "decimal", autocomplete: "off" } });
  const form = h("form", { class: "payroll-form", novalidate: true, "aria-labelledby": "payroll-income-form" },
    h("h3", { id: "payroll-income-form" }, t("income.form")),
    h("div", { class: "form-row" }, select, amount),
    field({ name: "note", label: t("income.note"), optional: true, attrs: { maxlength: "500" } }),
    h("button", { type: "submit", class: "btn" }, t("income.save")));

  function showTable() {
    tableSlot.replaceChildren(dataTable({
      caption: t("income.caption", { month: fmt.month(month) }),
      rows: departments,
      columns: [
        { label: t("income.col.department"), render: (d) => t("department", { name: d.name, id: d.department_id }) },
        { label: t("income.col.income"), class: "num", render: (d) => [
          d.income_fen === null ? h("span", { class: "muted" }, t("income.none")) : fmt.money(d.income_fen),
          d.locked ? " " : null, d.locked ? badge(t("locked"), "neutral") : null] },
        { label: t("income.col.entered"), render: (d) => (d.entered_at ? fmt.dateTime(d.entered_at) : "—") },
        { label: t("income.col.action"), render: (d) => (d.locked ? "—" : h("button", {
          type: "button", class: "btn btn-secondary", "aria-label": t("income.edit_label", { name: d.name }),
          onclick: () => {
            select.querySelector("select").value = d.department_id;
            const input = amount.querySelector("input");
            input.value = d.income_fen === null ? "" : String(d.income_fen / 100);
            input.focus();
          } }, t("income.edit"))) },
      ],
    }));
  }
  showTable();
  handleSubmit(form, (values) => api.put(`/payroll/income/${month}/${encodeURIComponent(values.department_id)}`,
    { income_fen: toFen(values.income_fen), note: values.note }, { signal }), (saved) => {
    const index = departments.findIndex((d) => d.department_id === saved.department_id);
    if (index >= 0) departments[index] = { ...departments[index], ...saved };
    showTable();
    status.replaceChildren(alertBox("success", t("income.saved", {
      name: departments[index]?.name || saved.department_id, month: fmt.month(month), amount: fmt.money(saved.income_fen) })));
  });
  el.append(tableSlot, status, form);
  return { el, departments };
}

function bonusSection(ctx, month) {
  const { api, t, fmt, signal } = ctx;
  const status = h("div");
  const form = h("form", { class: "payroll-form", novalidate: true, "aria-labelledby": "payroll-bonus-title" },
    h("h2", { id: "payroll-bonus-title" }, t("bonus.title")),
    h("div", { class: "form-row" },
      field({ name: "staff_id", label: t("bonus.staff"), attrs: { maxlength: "40", autocomplete: "off" } }),
      field({ name: "kind", label: t("bonus.kind"), kind: "select",
        options: BONUS_KINDS.map((value) => ({ value, label: t(`bonus.kind.${value}`) })) }),
      field({ name: "amount_fen", label: t("bonus.amount"), attrs: { inputmode: "decimal", autocomplete: "off" } })),
    field({ name: "note", label: t("bonus.note"), optional: true, attrs: { maxlength: "500" } }),
    h("button", { type: "submit", class: "btn" }, t("bonus.add")));
  const list = h("div");
  const columns = [
    { label: t("bonus.col.staff"), render: (b) => b.staff_id },
    { label: t("bonus.col.kind"), render: (b) => t(`bonus.kind.${b.kind}`) },
    { label: t("bonus.col.amount"), class: "num", render: (b) => fmt.money(b.amount_fen) },
    { label: t("bonus.col.note"), render: (b) => b.note || "—" },
  ];
  let table = null;
  const show = (items) => {
    if (table) return table.addRows(items);
    if (!items.length) return list.replaceChildren(emptyState(t("bonus.empty", { month: fmt.month(month) })));
    table = dataTable({ caption: t("bonus.caption", { month: fmt.month(month) }), columns, rows: items });
    list.replaceChildren(table);
    return null;
  };
  const more = pager({ load: (cursor) => api.get("/payroll/bonuses", { query: { month, cursor }, signal }), show });
  handleSubmit(form, (values) => api.post("/payroll/bonuses",
    { ...values, month, amount_fen: toFen(values.amount_fen) }, { signal }), (bonus) => {
    form.reset();
    status.replaceChildren(alertBox("success", t("bonus.added", { staff: bonus.staff_id,
      kind: t(`bonus.kind.${bonus.kind}`), amount: fmt.money(bonus.amount_fen), month: fmt.month(month) })));
    show([bonus]);
  });
  return h("section", { class: "card" }, form, status, list, more);
}

function startSection(ctx, month, departments) {
  const { api, t, fmt, signal, navigate } = ctx;
  const legendId = "payroll-start-departments";
  const problem = h("p", { class: "field-error", id: `${legendId}-error`, hidden: true });
  const boxes = departments.map((d) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "department", value: d.department_id, disabled: d.locked || null }),
    ` ${t("department", { name: d.name, id: d.department_id })}`, d.locked ? [" ", badge(t("locked"), "neutral")] : null));
  const group = h("fieldset", { class: "check-group", "aria-describedby": `${legendId}-hint` },
    h("legend", { id: legendId }, t("start.departments")), h("div", { class: "check-list" }, boxes), problem,
    h("p", { class: "hint", id: `${legendId}-hint` }, t("start.hint")));
  const button = h("button", { type: "submit", class: "btn" }, t("start.submit"));
  const form = h("form", { class: "card payroll-form", novalidate: true, "aria-labelledby": "payroll-start-title" },
    h("h2", { id: "payroll-start-title" }, t("start.title")),
    h("p", {}, fmt.month(month)), group, button);
  form.addEventListener("change", () => { problem.hidden = true; group.removeAttribute("aria-invalid"); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormErrors(form);
    problem.hidden = true;
    group.removeAttribute("aria-invalid");
    button.disabled = true;
    const chosen = [...form.querySelectorAll("input[name=department]:checked")].map((box) => box.value);
    try {
      const run = await api.post("/payroll/runs", { month, departments: chosen }, { signal });
      navigate("/payroll", { run: run.run_id });
    } catch (err) {
      if (err?.name === "AbortError") return;
      if (err?.field === "departments") {
        form.querySelector(":scope > h2").after(h("div", { class: "form-error alert alert-error", role: "alert" },
          h("p", {}, err.status === 409 ? sentence(t, err) : err.userMessage(t("start.departments")))));
        if (err.status === 400) {
          problem.textContent = err.fieldMessage();
          problem.hidden = false;
          group.setAttribute("aria-invalid", "true");
        }
        form.querySelector("input[name=department]:not(:disabled)")?.focus();
      } else showFormError(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// ------------------------------------------------------------------ one run
async function renderRun(container, ctx, runId) {
  const { api, t, signal } = ctx;
  const back = h("p", {}, h("a", { href: "#/payroll" }, `← ${t("run.back")}`));
  const view = h("div", { class: "payroll-run" });
  container.append(back, view);
  let run;
  try {
    run = await api.get(`/payroll/runs/${encodeURIComponent(runId)}`, { signal });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    view.replaceChildren(problemBox(t, err));
    return;
  }
  showRun(view, ctx, run);
  if (BUSY.has(run.state)) watch(view, ctx, run); // not awaited: the page is shown meanwhile
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** Poll the run while it is queued or computing; stops when the page is left. */
async function watch(view, ctx, run) {
  const { api, t, signal } = ctx;
  let current = run;
  while (!signal.aborted && BUSY.has(current.state)) {
    await sleep(POLL_MS, signal);
    if (signal.aborted) return;
    try {
      const next = await api.get(`/payroll/runs/${encodeURIComponent(run.run_id)}`, { signal });
      view.querySelector(".poll-error")?.remove();
      if (next.state !== current.state || !BUSY.has(next.state)) showRun(view, ctx, next);
      else updateProgress(view, ctx, next);
      current = next;
    } catch (err) {
      if (err?.name === "AbortError" || signal.aborted) return;
      if (!view.querySelector(".poll-error")) {
        const box = alertBox("info", t("run.poll_failed"));
        box.classList.add("poll-error");
        view.prepend(box);
      }
      if (err?.status === 401 || err?.status === 403 || err?.status === 404) return;
    }
  }
}

function progressText(t, run) {
  const { staff_done: done, staff_total: total } = run.progress;
  if (run.state === "queued") return { text: t("run.queued"), percent: null };
  if (!total) return { text: t("run.computing_start"), percent: null };
  return { text: t("run.computing", { done, total }), percent: (100 * done) / total };
}

function updateProgress(view, { t }, run) {
  view.querySelector(".run-progress")?.update(progressText(t, run));
}

function showRun(view, ctx, run) {
  const { t, fmt, user } = ctx;
  const finance = hasRole(user, "finance");
  const leader = hasRole(user, "leader");
  const parts = [];
  const meta = [
    h("span", {}, t("run.id", { id: run.run_id })),
    h("span", {}, t("run.departments", { list: run.departments.join(t("list.separator")) })),
    h("span", {}, t("run.created", { by: run.created_by, at: fmt.dateTime(run.created_at) })),
    run.submitted_at ? h("span", {}, t("run.submitted", { by: run.submitted_by, at: fmt.dateTime(run.submitted_at) })) : null,
    run.decided_at ? h("span", {}, t("run.decided", { by: run.decided_by, at: fmt.dateTime(run.decided_at) })) : null,
  ];
  parts.push(h("div", { class: "run-head" },
    h("h2", { id: "payroll-run-title" }, t("run.title", { month: fmt.month(run.month) }), " ",
      h("span", { class: "run-state" }, stateBadge(t, run.state)),
      run.locked ? [" ", badge(t("locked"), "neutral")] : null),
    h("p", { class: "item-meta" }, meta)));

  const status = h("div", { class: "run-status" });
  parts.push(status);
  if (BUSY.has(run.state)) {
    const bar = ctx.progress(progressText(t, run));
    bar.classList.add("run-progress");
    parts.push(bar);
  }
  if (run.locked) parts.push(alertBox("info", t("run.locked")));
  if (run.state === "rejected" && run.reason) parts.push(alertBox("error", t("run.rejected", { reason: run.reason })));
  if (run.state === "failed") parts.push(alertBox("error", t("run.failed", { reason: run.failure_reason || "—" })));

  const hasTotals = Object.keys(run.totals?.departments || {}).length > 0;
  const previous = !hasTotals && Object.keys(run.previous_totals?.departments || {}).length > 0;
  if (hasTotals || previous) {
    parts.push(h("h2", {}, t("totals.title")));
    if (previous) parts.push(h("p", { class: "muted previous-totals" }, t("totals.previous")));
    parts.push(totalsTable(ctx, run, previous ? run.previous_totals : run.totals, previous));
  }
  if (run.warning_count) parts.push(warnings(ctx, run));

  const actions = actionsFor(ctx, run, { finance, leader, status });
  if (actions) parts.push(actions);
  if (READABLE.has(run.state)) parts.push(downloads(ctx, run, status));
  if (READABLE.has(run.state)) parts.push(payslipLookup(ctx, run));
  parts.push(history(ctx, run));
  view.replaceChildren(...parts);
}

function totalsTable({ t, fmt }, run, totals, previous) {
  const rows = Object.entries(totals.departments).map(([id, sums]) => ({ id, ...sums }));
  if (rows.length > 1 && totals.all) rows.push({ id: null, ...totals.all });
  const table = dataTable({
    caption: t("totals.caption", { month: fmt.month(run.month) }),
    rows,
    columns: [
      { label: t("totals.col.department"), render: (r) => (r.id === null ? h("strong", {}, t("totals.all")) : [r.id,
        r.skipped ? h("span", { class: "muted" }, ` ${t("totals.skipped", { n: r.skipped })}`) : null]) },
      { label: t("totals.col.staff"), class: "num", render: (r) => fmt.number(r.staff) },
      { label: t("totals.col.gross"), class: "num", render: (r) => fmt.money(r.gross_fen) },
      { label: t("totals.col.deductions"), class: "num", render: (r) => fmt.money(r.deductions_fen) },
      { label: t("totals.col.tax"), class: "num", render: (r) => fmt.money(r.tax_fen) },
      { label: t("totals.col.net"), class: "num", render: (r) => h("strong", {}, fmt.money(r.net_fen)) },
      { label: t("totals.col.income"), class: "num", render: (r) => fmt.money(r.income_fen) },
      { label: t("totals.col.pool"), class: "num", render: (r) => fmt.money(r.bonus_pool_fen) },
    ],
  });
  table.classList.add(previous ? "totals-previous" : "totals");
  return table;
}

function warnings({ t }, run) {
  const text = (w) => (KNOWN_WARNINGS.includes(w.warning) ? t(`warning.${w.warning}`) : w.warning);
  return h("details", { class: "card run-warnings" },
    h("summary", {}, t("warnings.title", { n: run.warning_count })),
    h("ul", {}, run.warnings.map((w) => h("li", {},
      t("warning.line", { department: w.department_id, staff: w.staff_id, warning: text(w) })))),
    run.warnings.length < run.warning_count ? h("p", { class: "muted" }, t("warnings.more", { shown: run.warnings.length })) : null);
}

function actionsFor(ctx, run, { finance, leader, status }) {
  const { api, t, signal, navigate } = ctx;
  if (run.locked) return null;
  const buttons = [];
  const act = async (action, body, button, form) => {
    status.replaceChildren();
    if (button) button.disabled = true;
    try {
      await api.post(`/payroll/runs/${encodeURIComponent(run.run_id)}/${action}`, body, { signal });
      sessionStorage.setItem("houqin.payroll.done", action);
      navigate("/payroll", { run: run.run_id }); // shows the run as it is now, polling if it computes
    } catch (err) {
      if (err?.name === "AbortError") return;
      if (form) showFormError(form, err);
      else status.replaceChildren(problemBox(t, err));
    } finally {
      if (button) button.disabled = false;
    }
  };
  if (finance && run.state === "draft") {
    const submit = h("button", { type: "button", class: "btn", onclick: () => act("submit", {}, submit) }, t("action.submit"));
    buttons.push(submit);
  }
  if (finance && ["draft", "failed", "rejected"].includes(run.state)) {
    const recompute = h("button", { type: "button", class: "btn btn-secondary",
      onclick: () => act("recompute", {}, recompute) }, t("action.recompute"));
    buttons.push(recompute);
  }
  let rejectForm = null;
  if (leader && run.state === "submitted") {
    const approve = h("button", { type: "button", class: "btn", onclick: () => act("approve", {}, approve) },
      t("action.approve"));
    buttons.push(approve);
    rejectForm = h("form", { class: "payroll-form reject-form", novalidate: true },
      field({ name: "reason", label: t("action.reason"), kind: "textarea", hint: t("action.reason_hint"),
        attrs: { maxlength: "500", rows: "3" } }),
      h("button", { type: "submit", class: "btn btn-secondary" }, t("action.reject")));
    rejectForm.addEventListener("submit", (event) => {
      event.preventDefault();
      clearFormErrors(rejectForm);
      const reason = rejectForm.querySelector("[name=reason]").value.trim();
      act("reject", reason ? { reason } : {}, rejectForm.querySelector("button"), rejectForm);
    });
  }
  const done = sessionStorage.getItem("houqin.payroll.done");
  if (done) {
    sessionStorage.removeItem("houqin.payroll.done");
    status.replaceChildren(alertBox("success", t(`action.done.${done}`)));
  }
  if (!buttons.length && !rejectForm) return null;
  return h("section", { class: "card run-actions", "aria-labelledby": "payroll-actions-title" },
    h("h2", { id: "payroll-actions-title" }, t("actions.title")),
    buttons.length ? h("div", { class: "button-row" }, buttons) : null, rejectForm);
}

function downloads(ctx, run, status) {
  const { api, t, signal } = ctx;
  const path = `/payroll/runs/${encodeURIComponent(run.run_id)}`;
  const fetchFile = async (button, format, accept) => {
    button.disabled = true;
    status.replaceChildren();
    try {
      saveFile(await api.file(`${path}/report`, { query: { format }, accept, signal,
        fallbackName: `payroll_${run.run_id}.${format}` }));
    } catch (err) {
      if (err?.name !== "AbortError") status.replaceChildren(problemBox(t, err));
    } finally {
      button.disabled = false;
    }
  };
  const csv = h("button", { type: "button", class: "btn btn-secondary",
    onclick: () => fetchFile(csv, "csv", "text/csv") }, t("download.csv"));
  const xlsx = h("button", { type: "button", class: "btn btn-secondary",
    onclick: () => fetchFile(xlsx, "xlsx", XLSX) }, t("download.xlsx"));
  const section = h("section", { class: "card run-downloads", "aria-labelledby": "payroll-downloads-title" },
    h("h2", { id: "payroll-downloads-title" }, t("download.title")), h("div", { class: "button-row" }, csv, xlsx));
  if (run.state !== "approved") return section;

  const transfersSlot = h("div");
  let transfers = null;
  const load = async () => {
    transfers ??= await api.get(`${path}/bank-transfers`, { signal });
    return transfers;
  };
  const show = h("button", { type: "button", class: "btn btn-secondary", "aria-expanded": "false" }, t("transfers.show"));
  show.addEventListener("click", async () => {
    show.disabled = true;
    try {
      const list = await load();
      transfersSlot.replaceChildren(transferTable(ctx, list));
      show.hidden = true;
    } catch (err) {
      if (err?.name !== "AbortError") transfersSlot.replaceChildren(problemBox(t, err));
    } finally {
      show.disabled = false;
    }
  });
  const csvTransfers = h("button", { type: "button", class: "btn btn-secondary" }, t("download.transfers"));
  csvTransfers.addEventListener("click", async () => {
    csvTransfers.disabled = true;
    try {
      const list = await load();
      const head = ["staff", "name", "department", "account", "amount"].map((c) => t(`transfers.col.${c}`));
      const lines = [head, ...list.items.map((i) => [i.staff_id, i.name, i.department_id, i.bank_account,
        (i.amount_fen / 100).toFixed(2)])].map((row) => row.map(csvCell).join(","));
      saveFile({ blob: new Blob([`\uFEFF${lines.join("\r\n")}\r\n`], { type: "text/csv;charset=utf-8" }),
        name: `bank_transfers_${run.run_id}.csv` });
    } catch (err) {
      if (err?.name !== "AbortError") transfersSlot.replaceChildren(problemBox(t, err));
    } finally {
      csvTransfers.disabled = false;
    }
  });
  section.querySelector(".button-row").append(csvTransfers, show);
  section.append(transfersSlot);
  return section;
}

function transferTable({ t, fmt }, list) {
  const reason = (r) => (NOT_PAID_REASONS.includes(r) ? t(`transfers.reason.${r}`) : r);
  return h("div", {}, h("h3", {}, t("transfers.title")),
    dataTable({
      caption: t("transfers.caption", { count: list.count, total: fmt.money(list.total_fen) }),
      rows: list.items,
      columns: [
        { label: t("transfers.col.staff"), render: (i) => i.staff_id },
        { label: t("transfers.col.name"), render: (i) => i.name },
        { label: t("transfers.col.department"), render: (i) => i.department_id },
        { label: t("transfers.col.account"), render: (i) => i.bank_account },
        { label: t("transfers.col.amount"), class: "num", render: (i) => fmt.money(i.amount_fen) },
      ],
    }),
    list.not_paid.length ? h("details", {}, h("summary", {}, t("transfers.not_paid", { n: list.not_paid.length })),
      h("ul", {}, list.not_paid.map((p) => h("li", {}, `${p.staff_id} ${p.name} · ${fmt.money(p.net_fen)} · `,
        reason(p.reason))))) : null);
}

function payslipLookup({ t, navigate }, run) {
  const form = h("form", { class: "card payroll-form payslip-lookup", novalidate: true,
    "aria-labelledby": "payroll-payslip-title" },
  h("h2", { id: "payroll-payslip-title" }, t("payslip.title")),
  h("div", { class: "form-row" },
    field({ name: "staff_id", label: t("payslip.staff"), attrs: { maxlength: "40", autocomplete: "off" } }),
    h("div", { class: "field field-button" }, h("button", { type: "submit", class: "btn" }, t("payslip.open")))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const staff = form.querySelector("[name=staff_id]").value.trim();
    if (staff) navigate("/payslips", { run: run.run_id, staff });
    else form.querySelector("[name=staff_id]").focus();
  });
  return form;
}

function history({ t, fmt }, run) {
  const action = (a) => (HISTORY_ACTIONS.includes(a) ? t(`history.action.${a}`) : a);
  const state = (s) => (s ? t(`state.${s}`) : "—");
  return h("section", { class: "run-history", "aria-labelledby": "payroll-history-title" },
    h("h2", { id: "payroll-history-title" }, t("history.title")),
    dataTable({
      caption: t("history.caption", { id: run.run_id }),
      rows: [...(run.history || [])].reverse(),
      columns: [
        { label: t("history.col.at"), render: (e) => fmt.dateTime(e.at) },
        { label: t("history.col.by"), render: (e) => (e.by === "system" ? t("history.system") : e.by) },
        { label: t("history.col.action"), render: (e) => action(e.action) },
        { label: t("history.col.state"), render: (e) => `${state(e.from_state)} → ${state(e.to_state)}` },
        { label: t("history.col.reason"), render: (e) => e.reason || "—" },
      ],
    }));
}
