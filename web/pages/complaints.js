// 投诉处理: the complaint desk. A leader assigns each new complaint to a quality monitor (质量监督员) and
// archives it once fixed; the monitor refers it to the responsible unit and records the fix; the duty desk
// and leaders answer in public. Each complaint offers exactly the steps the API says the user may take now
// (its `actions`). `#/complaints?state=<state>` lists complaints in a state (a monitor sees only those
// assigned to them), `#/complaints?id=<opinion id>` shows one with its replies and history.
import { field, handleSubmit } from "../js/forms.js";
import { hasRole } from "../js/auth.js";
import { opinionCategory, opinionState, opinionStateBadge, opinionType } from "../js/labels.js";
import { alertBox, dataTable, emptyState, errorBox, h, pager } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro.leader": "新投诉先指派给质量监督员；监督员调查后转责任单位，整改后记录整改情况，再由集团领导归档。每一步都记录在案，答复会公开显示。",
    "intro.desk": "全部投诉和处理进度。你可以公开答复投诉人。",
    "intro.monitor": "指派给你的投诉：调查核实后转给责任单位，整改完成后记录整改情况。",
    "filter.label": "按状态筛选",
    "filter.all": "全部",
    "caption.desk": "投诉：{filter}",
    "caption.mine": "指派给我的投诉：{filter}",
    "empty.desk": "这里没有投诉。",
    "empty.mine": "这里没有指派给你的投诉。",
    "col.complaint": "投诉",
    "col.category": "事由",
    "col.text": "内容",
    "col.state": "状态",
    "col.monitor": "质量监督员",
    "col.unit": "责任单位",
    "open_label": "查看投诉 {id}",
    "person": "{name}（{id}）",
    "not_assigned": "未指派",
    "not_referred": "未转办",
    "no_contact": "未留联系方式",
    "back": "返回投诉列表",
    "detail.title": "投诉 {id}",
    "detail.progress": "处理进度",
    "detail.current": "（当前）",
    "detail.facts": "投诉信息",
    "detail.type": "类型",
    "detail.category": "事由",
    "detail.posted": "发表时间",
    "detail.text": "内容",
    "detail.contact": "联系方式",
    "detail.monitor": "质量监督员",
    "detail.unit": "责任单位",
    "detail.updated": "最后更新",
    "actions.title": "处理",
    "actions.none": "这条投诉现在没有需要你处理的事项。",
    "assign.title": "指派质量监督员",
    "assign.monitor_id": "质量监督员工号",
    "assign.monitor_hint": "填写员工工号，如 E1604；指派后显示其姓名。",
    "assign.note": "说明",
    "assign.note_hint": "写给质量监督员的话，记入处理记录。",
    "assign.submit": "指派",
    "refer.title": "转责任单位",
    "refer.department_id": "责任单位",
    "refer.unit": "{name}（{id}）",
    "refer.choose": "请选择责任单位",
    "refer.note": "说明",
    "refer.note_hint": "调查核实的情况，记入处理记录。",
    "refer.submit": "转办",
    "refer.no_units": "无法读取责任单位列表。",
    "fix.title": "记录整改",
    "fix.note": "整改情况",
    "fix.note_hint": "责任单位做了什么、何时完成，记入处理记录。",
    "fix.submit": "记录整改",
    "archive.title": "归档",
    "archive.note": "说明",
    "archive.note_hint": "归档后不能再改动或答复。",
    "archive.submit": "归档",
    "reply.title": "公开答复",
    "reply.text": "答复内容",
    "reply.hint": "答复署你的姓名，公开显示在“后勤意见”页上。",
    "reply.submit": "发布答复",
    "done.assign": "已指派给 {name}（{id}）。",
    "done.refer": "已转 {unit} 处理。",
    "done.fix": "已记录整改情况。",
    "done.archive": "已归档。",
    "done.reply": "答复已发布，公开页上可以看到。",
    "replies.title": "公开答复",
    "replies.empty": "还没有答复。",
    "reply_by": "{name} 答复于 {at}",
    "reply_anonymous": "工作人员",
    "history.title": "处理记录",
    "history.caption": "投诉 {id} 的处理记录",
    "history.col.at": "时间",
    "history.col.by": "操作人",
    "history.col.action": "操作",
    "history.col.state": "状态变化",
    "history.col.detail": "说明",
    "history.poster": "投诉人",
    "history.monitor": "质量监督员：{who}",
    "history.unit": "责任单位：{unit}",
    "action.posted": "发表",
    "action.reply": "答复",
    "action.assign": "指派",
    "action.refer": "转办",
    "action.fix": "整改",
    "action.archive": "归档",
    "error.unknown.monitor_id": "没有这个工号的员工。",
    "error.unknown.department_id": "没有这个责任单位。",
  },
  "en": {
    "intro.leader": "Assign each new complaint to a quality monitor; the monitor investigates, refers it to the unit responsible and records the fix, then a leader archives it. Every step is on record; replies are public.",
    "intro.desk": "Every complaint and how far it has got. You can answer the complainant in public.",
    "intro.monitor": "The complaints assigned to you: check them, refer each to the unit responsible and record the fix once it is done.",
    "filter.label": "Filter by state",
    "filter.all": "All",
    "caption.desk": "Complaints: {filter}",
    "caption.mine": "Complaints assigned to me: {filter}",
    "empty.desk": "No complaints here.",
    "empty.mine": "No complaints assigned to you here.",
    "col.complaint": "Complaint",
    "col.category": "About",
    "col.text": "Text",
    "col.state": "State",
    "col.monitor": "Quality monitor",
    "col.unit": "Unit responsible",
    "open_label": "Open complaint {id}",
    "person": "{name} ({id})",
    "not_assigned": "Not assigned",
    "not_referred": "Not referred",
    "no_contact": "No contact left",
    "back": "Back to the complaints",
    "detail.title": "Complaint {id}",
    "detail.progress": "Progress",
    "detail.current": " (now)",
    "detail.facts": "Complaint details",
    "detail.type": "Type",
    "detail.category": "About",
    "detail.posted": "Posted",
    "detail.text": "Text",
    "detail.contact": "Contact",
    "detail.monitor": "Quality monitor",
    "detail.unit": "Unit responsible",
    "detail.updated": "Last change",
    "actions.title": "Handle it",
    "actions.none": "There is nothing for you to do on this complaint now.",
    "assign.title": "Assign a quality monitor",
    "assign.monitor_id": "Quality monitor's staff ID",
    "assign.monitor_hint": "A staff ID such as E1604; their name shows once assigned.",
    "assign.note": "Note",
    "assign.note_hint": "For the quality monitor; it goes into the history.",
    "assign.submit": "Assign",
    "refer.title": "Refer to the unit responsible",
    "refer.department_id": "Unit responsible",
    "refer.unit": "{name} ({id})",
    "refer.choose": "Choose the unit",
    "refer.note": "Note",
    "refer.note_hint": "What the investigation found; it goes into the history.",
    "refer.submit": "Refer",
    "refer.no_units": "Could not read the list of units.",
    "fix.title": "Record the fix",
    "fix.note": "What was fixed",
    "fix.note_hint": "What the unit did and when; it goes into the history.",
    "fix.submit": "Record the fix",
    "archive.title": "Archive",
    "archive.note": "Note",
    "archive.note_hint": "An archived complaint takes no more changes or replies.",
    "archive.submit": "Archive",
    "reply.title": "Public reply",
    "reply.text": "Reply",
    "reply.hint": "Signed with your name and shown on the public opinions page.",
    "reply.submit": "Publish the reply",
    "done.assign": "Assigned to {name} ({id}).",
    "done.refer": "Referred to {unit}.",
    "done.fix": "The fix is recorded.",
    "done.archive": "Archived.",
    "done.reply": "Reply published; it shows on the public page.",
    "replies.title": "Public replies",
    "replies.empty": "No replies yet.",
    "reply_by": "{name} replied {at}",
    "reply_anonymous": "Staff",
    "history.title": "History",
    "history.caption": "History of complaint {id}",
    "history.col.at": "When",
    "history.col.by": "By",
    "history.col.action": "Action",
    "history.col.state": "State",
    "history.col.detail": "Note",
    "history.poster": "Complainant",
    "history.monitor": "Quality monitor: {who}",
    "history.unit": "Unit responsible: {unit}",
    "action.posted": "Posted",
    "action.reply": "Reply",
    "action.assign": "Assigned",
    "action.refer": "Referred",
    "action.fix": "Fixed",
    "action.archive": "Archived",
    "error.unknown.monitor_id": "No staff member has this ID.",
    "error.unknown.department_id": "There is no such unit.",
  },
};

const STATES = ["intake", "investigating", "with_unit", "fixed", "archived"]; // the complaint workflow, in order
const FILTERS = ["all", ...STATES];
const DESK_ROLES = ["dispatcher", "leader", "admin"]; // read every complaint (LIST_ROLES in houqin/domain/opinions.py)
const ACTIONS = ["assign", "refer", "fix", "archive", "reply"]; // the order the forms appear in
const PREVIEW = 60; // characters of a complaint's text in the list

export async function render(container, ctx) {
  if (ctx.params.id) return renderComplaint(container, ctx, ctx.params.id);
  return renderList(container, ctx);
}

// ------------------------------------------------------------------ helpers
function stateBadge(t, state) {
  return opinionStateBadge(state);
}

/** "Name (ID)", the ID alone when there is no name, `none` when there is neither. */
function person(t, name, id, none = "—") {
  if (!id) return none;
  return name ? t("person", { name, id }) : id;
}

function preview(text) {
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

function filterOf(value, fallback) {
  return FILTERS.includes(value) ? value : fallback;
}

/** An unknown monitor or unit ("... does not exist"): this page's words for it, on the field. */
function explained(t, error) {
  const unknown = error?.status === 400 && ["monitor_id", "department_id"].includes(error.field)
    && /does not exist/.test(error.detail || "");
  if (!unknown) return error;
  const problem = t(`error.unknown.${error.field}`);
  return Object.assign(Object.create(Object.getPrototypeOf(error)), error, {
    fieldMessage: () => problem,
    userMessage: (label) => t("error.check_field", { field: label || error.field, problem }),
  });
}

// ------------------------------------------------------------------ the list
async function renderList(container, ctx) {
  const { api, t, fmt, params, signal, user } = ctx;
  const desk = hasRole(user, DESK_ROLES);
  const filter = filterOf(params.state, desk ? "intake" : "all");
  const intro = hasRole(user, ["leader", "admin"]) ? "intro.leader" : desk ? "intro.desk" : "intro.monitor";
  const label = (value) => (value === "all" ? t("filter.all") : opinionState(value));
  const filters = h("nav", { class: "button-row complaint-filters", "aria-label": t("filter.label") },
    FILTERS.map((value) => h("a", {
      href: `#/complaints?state=${value}`, class: value === filter ? "btn" : "btn btn-secondary",
      "aria-current": value === filter ? "true" : null,
    }, label(value))));
  container.append(h("p", { class: "lead" }, t(intro)), filters);

  const state = filter === "all" ? undefined : filter;
  const query = desk ? { type: "complaint", state } : { assigned: "me", state };
  const open = (o) => `#/complaints?${new URLSearchParams({ id: o.opinion_id, state: filter })}`;
  const columns = [
    { label: t("col.complaint"), render: (o) => [
      h("a", { href: open(o), class: "ticket-id", "aria-label": t("open_label", { id: o.opinion_id }) }, o.opinion_id),
      h("br"), h("span", { class: "muted small" }, fmt.dateTime(o.created_at))] },
    { label: t("col.category"), render: (o) => (o.category ? opinionCategory(o.category) : "—") },
    { label: t("col.text"), render: (o) => h("span", { class: "item-text" }, preview(o.text)) },
    { label: t("col.state"), render: (o) => h("span", {}, stateBadge(t, o.state)) }, // not stretched on a phone
    { label: t("col.monitor"), render: (o) => person(t, o.monitor_name, o.monitor_id, t("not_assigned")) },
    { label: t("col.unit"), render: (o) => person(t, o.department_name, o.department_id) },
  ];
  const list = h("div", { class: "complaint-list" });
  let table = null;
  const more = pager({
    load: (cursor) => api.get("/opinions", { query: { ...query, cursor }, signal }),
    show: (items) => {
      if (table) return table.addRows(items);
      if (!items.length) return list.replaceChildren(emptyState(t(desk ? "empty.desk" : "empty.mine")));
      table = dataTable({ caption: t(desk ? "caption.desk" : "caption.mine", { filter: label(filter) }), columns,
        rows: items });
      list.replaceChildren(table);
      return null;
    },
  });
  container.append(list, more);
  await more.ready;
}

// ------------------------------------------------------------------ one complaint
async function renderComplaint(container, ctx, id) {
  const { api, t, params, signal } = ctx;
  const back = params.state && FILTERS.includes(params.state) ? `#/complaints?state=${params.state}` : "#/complaints";
  const view = h("div", { class: "complaint-detail" });
  container.append(h("p", {}, h("a", { href: back }, `← ${t("back")}`)), view);
  let complaint;
  try {
    complaint = await api.get(`/opinions/${encodeURIComponent(id)}`, { signal });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    view.replaceChildren(errorBox(err));
    return;
  }
  let units = null; // the responsible units, read once when a refer form first needs them
  const unitList = async () => {
    units ??= api.get("/departments", { signal }).then((r) => r.items).catch((err) => {
      units = null;
      throw err;
    });
    return units;
  };
  await showComplaint(view, ctx, complaint, { unitList });
}

async function showComplaint(view, ctx, complaint, { unitList, notice = null }) {
  const { t, fmt } = ctx;
  const isComplaint = complaint.type === "complaint";
  const facts = [
    isComplaint ? null : ["detail.type", opinionType(complaint.type)],
    isComplaint ? ["detail.category", complaint.category ? opinionCategory(complaint.category) : "—"] : null,
    ["detail.posted", fmt.dateTime(complaint.created_at)],
    ["detail.text", h("span", { class: "item-text" }, complaint.text)],
    ["detail.contact", complaint.contact || h("span", { class: "muted" }, t("no_contact"))],
    isComplaint ? ["detail.monitor", person(t, complaint.monitor_name, complaint.monitor_id, t("not_assigned"))] : null,
    isComplaint ? ["detail.unit", person(t, complaint.department_name, complaint.department_id, t("not_referred"))]
      : null,
    ["detail.updated", fmt.dateTime(complaint.updated_at)],
  ].filter(Boolean);
  const heading = h("h2", { id: "complaint-title", tabindex: "-1" }, t("detail.title", { id: complaint.opinion_id }));
  const at = STATES.indexOf(complaint.state);
  view.replaceChildren(...[
    h("div", { class: "detail-head" }, heading, stateBadge(t, complaint.state)),
    notice ? alertBox("success", notice) : null,
    isComplaint && at >= 0 ? h("ol", { class: "steps", "aria-label": t("detail.progress") }, STATES.map((step, i) =>
      h("li", { class: i < at ? "done" : i === at ? "current" : null, "aria-current": i === at ? "step" : null },
        opinionState(step), i === at ? h("span", { class: "visually-hidden" }, t("detail.current")) : null))) : null,
    h("dl", { class: "facts", "aria-label": t("detail.facts") },
      facts.map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)])),
    await actionsSection(view, ctx, complaint, unitList),
    replies(ctx, complaint),
    history(ctx, complaint),
  ].filter(Boolean));
  if (notice) heading.focus();
}

async function actionsSection(view, ctx, complaint, unitList) {
  const { t } = ctx;
  const allowed = ACTIONS.filter((action) => (complaint.actions || []).includes(action));
  const section = h("section", { class: "card complaint-actions", "aria-labelledby": "complaint-actions-title" },
    h("h2", { id: "complaint-actions-title" }, t("actions.title")));
  if (!allowed.length) {
    section.append(h("p", { class: "muted" }, t("actions.none")));
    return section;
  }
  for (const [index, action] of allowed.entries()) {
    const form = await actionForm(view, ctx, complaint, action, unitList);
    if (index > 0) form.classList.add("job-form"); // a rule between two forms (app.css)
    section.append(form);
  }
  return section;
}

/** The form of one step (or the reply): sent with If-Match, the answer shown in place of the old copy. */
async function actionForm(view, ctx, complaint, action, unitList) {
  const { api, t, signal } = ctx;
  const titleId = `complaint-${action}-title`;
  const note = (required = false) => field({ name: "note", label: t(`${action}.note`), kind: "textarea",
    optional: !required, hint: t(`${action}.note_hint`), attrs: { maxlength: "1000", rows: "3" } });
  let fields;
  if (action === "assign") {
    fields = [field({ name: "monitor_id", label: t("assign.monitor_id"), hint: t("assign.monitor_hint"),
      attrs: { maxlength: "64", autocomplete: "off", spellcheck: "false" } }), note()];
  } else if (action === "refer") {
    let units;
    try {
      units = await unitList();
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      return h("div", {}, h("h3", { id: titleId }, t("refer.title")), alertBox("error", t("refer.no_units")),
        errorBox(err));
    }
    const options = [{ value: "", label: t("refer.choose") }, ...units.map((u) => ({ value: u.department_id,
      label: t("refer.unit", { name: u.name, id: u.department_id }) }))];
    fields = [field({ name: "department_id", label: t("refer.department_id"), kind: "select", options }), note()];
  } else if (action === "fix") {
    fields = [note(true)];
  } else if (action === "archive") {
    fields = [note()];
  } else {
    fields = [field({ name: "text", label: t("reply.text"), kind: "textarea", hint: t("reply.hint"),
      attrs: { maxlength: "1000", rows: "4" } })];
  }
  const form = h("form", { class: `complaint-form complaint-${action}`, novalidate: true, "aria-labelledby": titleId },
    h("h3", { id: titleId }, t(`${action}.title`)), ...fields,
    h("button", { type: "submit", class: "btn" }, t(`${action}.submit`)));
  const path = `/opinions/${encodeURIComponent(complaint.opinion_id)}`;
  const request = { headers: { "If-Match": `"${complaint.version}"` }, signal };
  handleSubmit(form, async (values) => {
    try {
      return action === "reply" ? await api.post(`${path}/replies`, values, request)
        : await api.post(`${path}/transitions`, { ...values, action }, request);
    } catch (err) {
      throw explained(t, err);
    }
  }, (updated) => showComplaint(view, ctx, updated, { unitList, notice: t(`done.${action}`, {
    name: updated.monitor_name || updated.monitor_id, id: updated.monitor_id,
    unit: person(t, updated.department_name, updated.department_id) }) }));
  return form;
}

function replies({ t, fmt }, complaint) {
  const items = complaint.replies || [];
  return h("section", { class: "complaint-replies", "aria-labelledby": "complaint-replies-title" },
    h("h2", { id: "complaint-replies-title" }, t("replies.title")),
    items.length ? h("ul", { class: "replies" }, items.map((reply) => h("li", {},
      h("div", { class: "item-meta" }, t("reply_by", { name: reply.by_name || t("reply_anonymous"),
        at: fmt.dateTime(reply.at) })),
      h("p", { class: "item-text" }, reply.text)))) : emptyState(t("replies.empty")));
}

function history({ t, fmt }, complaint) {
  const state = (s) => (s ? opinionState(s) : "—");
  const detail = (e) => {
    const parts = [];
    if (e.monitor_id) {
      const name = e.monitor_id === complaint.monitor_id ? complaint.monitor_name : null;
      parts.push(h("span", {}, t("history.monitor", { who: person(t, name, e.monitor_id) })));
    }
    if (e.department_id) {
      const name = e.department_id === complaint.department_id ? complaint.department_name : null;
      parts.push(h("span", {}, t("history.unit", { unit: person(t, name, e.department_id) })));
    }
    if (e.text) parts.push(h("span", { class: "item-text" }, e.text));
    return parts.length ? parts.flatMap((part, i) => (i ? [h("br"), part] : [part])) : "—";
  };
  return h("section", { class: "complaint-history", "aria-labelledby": "complaint-history-title" },
    h("h2", { id: "complaint-history-title" }, t("history.title")),
    dataTable({
      caption: t("history.caption", { id: complaint.opinion_id }),
      rows: complaint.history || [],
      columns: [
        { label: t("history.col.at"), render: (e) => fmt.dateTime(e.at) },
        { label: t("history.col.by"), render: (e) => (e.by_id ? person(t, e.by_name, e.by_id) : t("history.poster")) },
        { label: t("history.col.action"), render: (e) => t(`action.${e.action}`) },
        { label: t("history.col.state"), render: (e) => `${state(e.from_state)} → ${state(e.to_state)}` },
        { label: t("history.col.detail"), render: detail },
      ],
    }));
}
