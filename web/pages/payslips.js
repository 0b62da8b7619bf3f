// 我的工资单: a person's payslips (of approved runs), each line with what went into it in words, so
// anyone can check it by hand. `#/payslips?run=<id>&staff=<id>` opens one payslip; finance, leaders
// and admins may also open `#/payslips?staff=<id>` for anyone.
import { language } from "../js/i18n.js";
import { alertBox, badge, dataTable, emptyState, errorBox, h, pager } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "你的每月工资单。每一项都写明了计算依据（天数、评分、维修单、收入分成、费率），可以自己核对。",
    "intro.other": "{staff} 的工资单。",
    "caption": "工资单",
    "empty": "还没有工资单：工资审批通过后会出现在这里。",
    "col.month": "月份",
    "col.department": "部门",
    "col.gross": "应发",
    "col.deductions": "三险一金",
    "col.tax": "个人所得税",
    "col.net": "实发",
    "col.state": "状态",
    "open": "查看明细",
    "open_label": "查看{month}工资单明细",
    "back": "返回工资单列表",
    "back.run": "返回这次核算",
    "not_found": "找不到这张工资单：它不存在、还没有审批，或者不是你的。",
    "title": "{month}工资单",
    "who": "{name}（{staff}）",
    "department": "部门：{id}",
    "post": "岗位：{post}",
    "post.support": "二线岗位",
    "account": "工资卡：{account}",
    "account.none": "工资卡：未登记",
    "score": "月度考核分：{score}",
    "rules": "按第 {version} 版工资规则计算",
    "state.draft": "草稿",
    "state.submitted": "待审批",
    "state.approved": "已批准",
    "state.rejected": "已退回",
    "lines.caption": "{month}工资明细",
    "lines.col.item": "项目",
    "lines.col.how": "计算依据",
    "lines.col.amount": "金额",
    "sum.gross": "应发合计",
    "sum.deductions": "三险一金",
    "sum.tax": "个人所得税",
    "sum.net": "实发",
    "sum.check": "实发 = 应发 {gross} − 三险一金 {deductions} − 个人所得税 {tax} = {net}",
    "warnings": "提示：{list}",
    "warning.no bank account": "没有登记工资卡，无法代发",
    "warning.net below zero": "实发为负数",
    "how.post_salary": "岗位月薪 {salary}",
    "how.performance": "绩效基数 {base} × 月度考核分 {score} ÷ 100",
    "how.performance.grades": "本月评分 {days} 天：{grades}（{scores}）",
    "how.performance.none": "本月没有评分，不发绩效工资",
    "how.grade": "{grade} {n} 天",
    "how.grade_score": "{grade}={score}分",
    "how.piece_rate": "计件 {count} 单",
    "how.piece_rate.class": "{class} {n} 单 × {rate}",
    "how.piece_rate.tickets": "维修单：{list}",
    "how.piece_rate.skipped": "未计：{list}",
    "how.piece_rate.skipped_one": "{ticket}（{reason}）",
    "how.skip.already paid": "已经计过",
    "how.skip.rework": "返修 {ticket}，只计一次",
    "how.bonus_pool": "单位本月收入 {income} × 分成 {share} = 奖金池 {pool}",
    "how.bonus_pool.points": "按积分分配：你的积分 {points} ÷ 全部积分 {total}",
    "how.bonus_pool.unpaid": "无人得分的 {unpaid} 未分配",
    "how.award": "财务录入的奖励",
    "how.award.note": "财务录入的奖励：{note}",
    "how.late": "迟到 {n} 次 × {per}",
    "how.early_leave": "早退 {n} 次 × {per}",
    "how.absent": "缺勤 {n} 天 × 日薪 {per}（岗位工资 {salary} ÷ 本月 {workdays} 个工作日）",
    "how.contribution": "缴费基数 {base} × {rate}",
    "how.contribution.clamped": "申报基数 {declared}，按下限 {floor}、上限 {cap} 取 {base}",
    "how.tax.taxable": "累计收入 {income} − 累计减除费用 {basic}（5000 元 × {months} 个月）− 累计专项扣除 {insurance} − 累计专项附加扣除 {additional} − 累计其他扣除 {other} = 累计应纳税所得额 {taxable}",
    "how.tax.rate": "{taxable} × 税率 {rate} − 速算扣除数 {quick} = 累计应纳税额 {cumulative}",
    "how.tax.month": "减去今年已预扣 {withheld}，本月预扣 {tax}",
    "class.minor": "小问题",
    "class.major": "大问题",
  },
  "en": {
    "intro": "Your monthly payslips. Every line says what went into it (days, grades, repair tickets, income share, rates), so you can check it yourself.",
    "intro.other": "Payslips of {staff}.",
    "caption": "Payslips",
    "empty": "No payslips yet: they appear here once the payroll is approved.",
    "col.month": "Month",
    "col.department": "Department",
    "col.gross": "Gross",
    "col.deductions": "Insurance and fund",
    "col.tax": "Income tax",
    "col.net": "Net",
    "col.state": "State",
    "open": "Details",
    "open_label": "Details of the payslip for {month}",
    "back": "Back to the payslips",
    "back.run": "Back to the run",
    "not_found": "No such payslip: it does not exist, is not approved yet, or is not yours.",
    "title": "Payslip for {month}",
    "who": "{name} ({staff})",
    "department": "Department: {id}",
    "post": "Post: {post}",
    "post.support": "support staff",
    "account": "Paid to: {account}",
    "account.none": "Paid to: no bank account on file",
    "score": "Monthly score: {score}",
    "rules": "Computed with version {version} of the pay rules",
    "state.draft": "Draft",
    "state.submitted": "Awaiting approval",
    "state.approved": "Approved",
    "state.rejected": "Sent back",
    "lines.caption": "Pay lines, {month}",
    "lines.col.item": "Item",
    "lines.col.how": "How it is computed",
    "lines.col.amount": "Amount",
    "sum.gross": "Gross",
    "sum.deductions": "Insurance and fund",
    "sum.tax": "Income tax",
    "sum.net": "Net",
    "sum.check": "Net = gross {gross} − insurance and fund {deductions} − income tax {tax} = {net}",
    "warnings": "Note: {list}",
    "warning.no bank account": "no bank account on file: cannot be paid by transfer",
    "warning.net below zero": "net pay below zero",
    "how.post_salary": "Monthly post salary {salary}",
    "how.performance": "Performance base {base} × monthly score {score} ÷ 100",
    "how.performance.grades": "{days} days graded: {grades} ({scores})",
    "how.performance.none": "No grades this month: no performance pay",
    "how.grade": "{grade} × {n}",
    "how.grade_score": "{grade}={score}",
    "how.piece_rate": "{count} tickets paid",
    "how.piece_rate.class": "{n} {class} × {rate}",
    "how.piece_rate.tickets": "Tickets: {list}",
    "how.piece_rate.skipped": "Not paid: {list}",
    "how.piece_rate.skipped_one": "{ticket} ({reason})",
    "how.skip.already paid": "already paid",
    "how.skip.rework": "rework of {ticket}, paid once",
    "how.bonus_pool": "Unit income this month {income} × share {share} = bonus pool {pool}",
    "how.bonus_pool.points": "Split by points: your {points} of {total} points",
    "how.bonus_pool.unpaid": "{unpaid} nobody earned points for is not paid out",
    "how.award": "Bonus entered by finance",
    "how.award.note": "Bonus entered by finance: {note}",
    "how.late": "Late {n} times × {per}",
    "how.early_leave": "Left early {n} times × {per}",
    "how.absent": "Absent {n} days × day rate {per} (post salary {salary} ÷ {workdays} workdays this month)",
    "how.contribution": "Base {base} × {rate}",
    "how.contribution.clamped": "declared base {declared}, kept between {floor} and {cap}: {base}",
    "how.tax.taxable": "Income so far {income} − basic deduction {basic} (5,000 yuan × {months} months) − insurance and fund so far {insurance} − special additional deductions {additional} − other deductions {other} = taxable so far {taxable}",
    "how.tax.rate": "{taxable} × rate {rate} − quick deduction {quick} = tax so far {cumulative}",
    "how.tax.month": "less {withheld} withheld earlier this year: {tax} this month",
    "class.minor": "minor",
    "class.major": "major",
  },
};

const STATE_TONES = { draft: "warn", submitted: "warn", approved: "success", rejected: "danger" };
const CONTRIBUTIONS = new Set(["pension", "medical", "unemployment", "housing_fund"]);

export async function render(container, ctx) {
  const { params, user } = ctx;
  const staff = /^[A-Za-z0-9_-]{1,40}$/.test(params.staff || "") ? params.staff : user.personId;
  if (params.run) return renderPayslip(container, ctx, params.run, staff);
  return renderList(container, ctx, staff);
}

/** "0.08" -> "8%", "0.005" -> "0.5%" (rates come as exact decimal text). */
function percent(rate) {
  const value = Number(rate) * 100;
  return `${Number(value.toFixed(4))}%`;
}

function stateBadge(t, state) {
  return badge(t(`state.${state}`), STATE_TONES[state] || "neutral");
}

async function renderList(container, ctx, staff) {
  const { api, t, fmt, signal, user } = ctx;
  const own = staff === user.personId;
  container.append(h("p", { class: "lead" }, own ? t("intro") : t("intro.other", { staff })));
  const columns = [
    { label: t("col.month"), render: (p) => fmt.month(p.month) },
    { label: t("col.department"), render: (p) => p.department_id },
    { label: t("col.gross"), class: "num", render: (p) => fmt.money(p.gross_fen) },
    { label: t("col.deductions"), class: "num", render: (p) => fmt.money(p.deductions_fen) },
    { label: t("col.tax"), class: "num", render: (p) => fmt.money(p.tax_fen) },
    { label: t("col.net"), class: "num", render: (p) => h("strong", {}, fmt.money(p.net_fen)) },
    { label: t("col.state"), render: (p) => stateBadge(t, p.run_state) },
    { label: "", render: (p) => h("a", {
      class: "btn btn-secondary", "aria-label": t("open_label", { month: fmt.month(p.month) }),
      href: `#/payslips?${new URLSearchParams({ run: p.run_id, staff })}` }, t("open")) },
  ];
  const list = h("div");
  let table = null;
  const more = pager({
    load: (cursor) => api.get(`/staff/${encodeURIComponent(staff)}/payslips`, { query: { cursor }, signal }),
    show: (items, first) => {
      if (table) return table.addRows(items);
      if (!items.length) {
        if (first) list.replaceChildren(emptyState(t("empty")));
        return null;
      }
      table = dataTable({ caption: t("caption"), columns, rows: items });
      list.replaceChildren(table);
      return null;
    },
  });
  container.append(list, more);
  await more.ready;
}

async function renderPayslip(container, ctx, runId, staff) {
  const { api, t, fmt, signal, user } = ctx;
  const seeAll = user.roles.some((role) => ["finance", "leader", "admin"].includes(role));
  const backTo = seeAll && staff !== user.personId ? `#/payroll?run=${encodeURIComponent(runId)}` : "#/payslips";
  container.append(h("p", {}, h("a", { href: backTo }, `← ${t(backTo === "#/payslips" ? "back" : "back.run")}`)));
  let slip;
  try {
    slip = await api.get(`/payroll/runs/${encodeURIComponent(runId)}/payslips/${encodeURIComponent(staff)}`,
      { signal });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    if (err?.status === 404) container.append(alertBox("error", t("not_found")));
    else container.append(errorBox(err));
    return;
  }
  const month = fmt.month(slip.month);
  container.append(h("section", { class: "card payslip", "aria-labelledby": "payslip-title" },
    h("h2", { id: "payslip-title" }, t("title", { month }), " ", stateBadge(t, slip.run_state)),
    h("p", { class: "payslip-who" }, h("strong", {}, t("who", { name: slip.name, staff: slip.staff_id }))),
    h("ul", { class: "payslip-facts" },
      h("li", {}, t("department", { id: slip.department_id })),
      h("li", {}, t("post", { post: slip.post || "—" }), slip.support_staff ? [" ", badge(t("post.support"), "neutral")] : null),
      slip.score !== null && slip.score !== undefined ? h("li", {}, t("score", { score: slip.score })) : null,
      h("li", {}, slip.bank_account ? t("account", { account: slip.bank_account }) : t("account.none")),
      h("li", { class: "muted" }, t("rules", { version: slip.rules_version }))),
    slip.warnings?.length ? alertBox("info", t("warnings", {
      list: slip.warnings.map((w) => (["no bank account", "net below zero"].includes(w) ? t(`warning.${w}`) : w))
        .join(t("list.separator")) })) : null,
    dataTable({
      caption: t("lines.caption", { month }),
      rows: slip.lines,
      columns: [
        { label: t("lines.col.item"), render: (line) => (language() === "en" ? line.label_en : line.label_zh) },
        { label: t("lines.col.how"), class: "payslip-how", render: (line) => how(ctx, line) },
        { label: t("lines.col.amount"), class: "num", render: (line) => fmt.money(line.amount_fen) },
      ],
    }),
    h("dl", { class: "payslip-sums" },
      h("dt", {}, t("sum.gross")), h("dd", {}, fmt.money(slip.gross_fen)),
      h("dt", {}, t("sum.deductions")), h("dd", {}, fmt.money(slip.deductions_fen ? -slip.deductions_fen : 0)),
      h("dt", {}, t("sum.tax")), h("dd", {}, fmt.money(slip.tax_fen ? -slip.tax_fen : 0)),
      h("dt", { class: "net" }, t("sum.net")), h("dd", { class: "net" }, fmt.money(slip.net_fen))),
    h("p", { class: "muted" }, t("sum.check", { gross: fmt.money(slip.gross_fen),
      deductions: fmt.money(slip.deductions_fen), tax: fmt.money(slip.tax_fen), net: fmt.money(slip.net_fen) }))));
}

/** A line's inputs in words: one sentence per step, so the amount can be redone by hand. */
function how({ t, fmt }, line) {
  const i = line.inputs || {};
  const m = (fen) => fmt.money(fen);
  const said = [];
  const code = line.code;
  if (code === "post_salary") said.push(t("how.post_salary", { salary: m(i.post_salary_fen) }));
  else if (code === "performance") {
    if (i.score === null || i.score === undefined) said.push(t("how.performance.none"));
    else {
      said.push(t("how.performance", { base: m(i.performance_base_fen), score: i.score }));
      said.push(t("how.performance.grades", {
        days: i.days_graded,
        grades: Object.entries(i.grades || {}).map(([grade, n]) => t("how.grade", { grade, n })).join(t("list.separator")),
        scores: Object.entries(i.grade_scores || {}).map(([grade, score]) => t("how.grade_score", { grade, score }))
          .join(t("list.separator")),
      }));
    }
  } else if (code === "piece_rate") {
    const paid = i.paid || [];
    const byClass = new Map();
    for (const p of paid) {
      const key = `${p.ticket_class}|${p.rate_fen}`;
      byClass.set(key, { ...p, n: (byClass.get(key)?.n || 0) + 1 });
    }
    said.push([t("how.piece_rate", { count: paid.length }), ...[...byClass.values()].map((c) => t("how.piece_rate.class", {
      n: c.n, class: ["minor", "major"].includes(c.ticket_class) ? t(`class.${c.ticket_class}`) : c.ticket_class,
      rate: m(c.rate_fen) }))].join(t("list.separator")));
    if (paid.length) said.push(t("how.piece_rate.tickets", { list: paid.map((p) => p.ticket_id).join(t("list.separator")) }));
    if (i.skipped?.length) {
      said.push(t("how.piece_rate.skipped", { list: i.skipped.map((s) => t("how.piece_rate.skipped_one", {
        ticket: s.ticket_id, reason: skipReason(t, s.reason) })).join(t("list.separator")) }));
    }
  } else if (code === "bonus_pool") {
    said.push(t("how.bonus_pool", { income: m(i.income_fen), share: percent(i.share), pool: m(i.pool_fen) }));
    said.push(t("how.bonus_pool.points", { points: i.points, total: i.total_points }));
    if (i.unpaid_fen) said.push(t("how.bonus_pool.unpaid", { unpaid: m(i.unpaid_fen) }));
  } else if (code.startsWith("award_")) said.push(i.note ? t("how.award.note", { note: i.note }) : t("how.award"));
  else if (code === "late") said.push(t("how.late", { n: i.late_count, per: m(i.per_late_fen) }));
  else if (code === "early_leave") said.push(t("how.early_leave", { n: i.early_count, per: m(i.per_early_leave_fen) }));
  else if (code === "absent") {
    said.push(t("how.absent", { n: i.absent_days, per: m(i.per_day_fen), salary: m(i.post_salary_fen),
      workdays: i.workdays }));
  } else if (CONTRIBUTIONS.has(code)) {
    said.push(t("how.contribution", { base: m(i.base_fen), rate: percent(i.rate) }));
    if (i.declared_base_fen !== i.base_fen) {
      said.push(t("how.contribution.clamped", { declared: m(i.declared_base_fen), floor: m(i.base_floor_fen),
        cap: m(i.base_cap_fen), base: m(i.base_fen) }));
    }
  } else if (code === "income_tax") {
    said.push(t("how.tax.taxable", { income: m(i.cumulative_income_fen), basic: m(i.basic_deduction_fen),
      months: i.months_in_year, insurance: m(i.cumulative_insurance_fen), additional: m(i.cumulative_additional_fen),
      other: m(i.cumulative_other_fen), taxable: m(i.taxable_fen) }));
    said.push(t("how.tax.rate", { taxable: m(i.taxable_fen), rate: percent(i.rate), quick: m(i.quick_deduction_fen),
      cumulative: m(i.cumulative_tax_fen) }));
    said.push(t("how.tax.month", { withheld: m(i.withheld_before_fen), tax: m(line.amount_fen ? -line.amount_fen : 0) }));
  } else {
    said.push(Object.entries(i).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", "));
  }
  return h("div", { class: "how" }, said.map((text) => h("span", { class: "how-step" }, text)));
}

function skipReason(t, reason) {
  if (reason === "already paid") return t("how.skip.already paid");
  const rework = /^rework of (\S+), paid once$/.exec(reason || "");
  return rework ? t("how.skip.rework", { ticket: rework[1] }) : reason;
}
