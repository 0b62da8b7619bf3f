// 考勤终端: the administrator's fingerprint terminals. The registered terminals with the departments whose
// staff punch on them; registering a terminal or re-binding it (same form: the device id names it); the
// punches terminals sent and the API refused, for a day (default today) and optionally one terminal, paged.
import { clearFormErrors, field, showFormError } from "../js/forms.js";
import { alertBox, dataTable, emptyState, errorBox, h, pager } from "../js/ui.js";
import { campusToday } from "./attendance.js";

export const strings = {
  "zh-CN": {
    "intro": "登记指纹考勤终端并绑定部门，查看终端发来但被拒绝的打卡记录（数据不合格、不是绑定部门的员工、补传太晚、序号冲突等）。",
    "list.title": "已登记的终端",
    "list.caption": "考勤终端",
    "list.empty": "还没有登记终端。",
    "list.hint": "点“修改”可以改终端的名称和绑定的部门。",
    "col.device": "终端编号",
    "col.name": "名称",
    "col.departments": "部门",
    "col.registered": "登记",
    "col.action": "操作",
    "registered": "{by}，{at}",
    "department": "{name}（{id}）",
    "edit": "修改",
    "edit.label": "修改终端 {device}",
    "form.title": "登记或重新绑定终端",
    "form.hint": "终端编号已登记时，保存会更新它的名称和部门。",
    "device_id": "终端编号",
    "device_id.hint": "如 FP-WY：字母、数字、- 和 _。",
    "name": "名称",
    "name.hint": "如 物业管理中心一楼大厅。",
    "departments": "部门",
    "departments.hint": "这台终端上打卡的员工所在的部门，可多选。",
    "departments.text": "部门编号",
    "departments.text_hint": "多个部门用逗号分隔，如 WY,HY。",
    "save": "保存终端",
    "saved": "已保存终端 {device}：{name}。",
    "rejected.title": "被拒绝的打卡",
    "rejected.hint": "按终端发送的日期（校园时间）查看。",
    "date": "日期",
    "device": "终端",
    "device.all": "全部终端",
    "show": "查看",
    "rejected.caption": "{date}被拒绝的打卡",
    "rejected.empty": "这一天没有被拒绝的打卡。",
    "col.received": "接收时间",
    "col.seq": "序号",
    "col.staff": "工号",
    "col.at": "打卡时间",
    "col.reason": "原因",
    "col.code": "代码",
    "code.invalid": "数据不合格",
    "code.unknown_staff": "没有这个员工",
    "code.conflict": "序号已用于另一次打卡",
    "code.too_old": "打卡时间太早，超过了补传期限",
    "code.wrong_department": "员工不属于这台终端绑定的部门",
    "code.month_locked": "该月工资已审批锁定",
    "field.staff_id": "工号",
    "field.seq": "序号",
    "field.at": "打卡时间",
    "field.punch": "打卡记录",
    "field.line": "问题字段：{field}",
  },
  "en": {
    "intro": "Register fingerprint terminals and bind them to departments; see the punches terminals sent that were refused (bad data, staff of another department, sent too late, a seq used twice and so on).",
    "list.title": "Registered terminals",
    "list.caption": "Attendance terminals",
    "list.empty": "No terminals are registered yet.",
    "list.hint": "Choose “Edit” to change a terminal's name or departments.",
    "col.device": "Device id",
    "col.name": "Name",
    "col.departments": "Departments",
    "col.registered": "Registered",
    "col.action": "Action",
    "registered": "{by}, {at}",
    "department": "{name} ({id})",
    "edit": "Edit",
    "edit.label": "Edit terminal {device}",
    "form.title": "Register or re-bind a terminal",
    "form.hint": "A device id registered already gets the new name and departments.",
    "device_id": "Device id",
    "device_id.hint": "Such as FP-WY: letters, digits, - and _.",
    "name": "Name",
    "name.hint": "Such as: property centre, ground floor hall.",
    "departments": "Departments",
    "departments.hint": "The departments whose staff punch on this terminal; choose one or more.",
    "departments.text": "Department ids",
    "departments.text_hint": "Separate several with commas: WY,HY.",
    "save": "Save the terminal",
    "saved": "Terminal {device} saved: {name}.",
    "rejected.title": "Refused punches",
    "rejected.hint": "By the day (campus time) the terminal sent them.",
    "date": "Date",
    "device": "Terminal",
    "device.all": "All terminals",
    "show": "Show",
    "rejected.caption": "Punches refused on {date}",
    "rejected.empty": "No punches were refused that day.",
    "col.received": "Received",
    "col.seq": "Seq",
    "col.staff": "Staff id",
    "col.at": "Punch time",
    "col.reason": "Reason",
    "col.code": "Code",
    "code.invalid": "Bad data",
    "code.unknown_staff": "No such staff member",
    "code.conflict": "Seq already used for another punch",
    "code.too_old": "Punch too old to be sent now",
    "code.wrong_department": "Staff member outside the terminal's departments",
    "code.month_locked": "The month's pay is approved and locked",
    "field.staff_id": "staff id",
    "field.seq": "seq",
    "field.at": "punch time",
    "field.punch": "the punch",
    "field.line": "Field: {field}",
  },
};

const CODES = ["invalid", "unknown_staff", "conflict", "too_old", "wrong_department", "month_locked"];
const FIELDS = ["staff_id", "seq", "at", "punch"];
const REJECTED_PAGE = 50;
const DEVICE_ID = /^[A-Za-z0-9_-]{1,40}$/;

export async function render(container, ctx) {
  const { api, t, signal } = ctx;
  const [terminals, departments] = await Promise.all([
    api.get("/attendance/terminals", { signal }).then((r) => r.items || []),
    // The group's departments (GET /departments); should that fail, ids are typed instead.
    api.get("/departments", { signal }).then((r) => r.items || [], (err) => {
      if (err?.name === "AbortError") throw err;
      return null;
    }),
  ]);
  const status = h("div", { class: "terminals-status" });
  const listSlot = h("div", { class: "terminal-list" });
  const departmentName = (d) => t("department", { name: d.name || d.department_id, id: d.department_id });
  const rejected = rejectedSection(ctx, terminals);

  function paintList() {
    listSlot.replaceChildren(terminals.length ? dataTable({
      caption: t("list.caption"),
      rows: terminals,
      columns: [
        { label: t("col.device"), render: (d) => h("span", { class: "ticket-id" }, d.device_id) },
        { label: t("col.name"), render: (d) => d.name || "—" },
        { label: t("col.departments"), render: (d) => (d.departments || []).map(departmentName).join(t("list.separator")) || "—" },
        { label: t("col.registered"), render: (d) => (d.registered_at
          ? t("registered", { by: d.registered_by || "—", at: ctx.fmt.dateTime(d.registered_at) }) : "—") },
        { label: t("col.action"), render: (d) => h("span", {}, h("button", { type: "button", class: "btn btn-secondary btn-small",
          "aria-label": t("edit.label", { device: d.device_id }), onclick: () => edit(d) }, t("edit"))) },
      ],
    }) : emptyState(t("list.empty")));
    rejected.setDevices(terminals);
  }

  const form = terminalForm(ctx, departments, (terminal) => {
    const index = terminals.findIndex((d) => d.device_id === terminal.device_id);
    if (index >= 0) terminals[index] = terminal;
    else terminals.push(terminal);
    terminals.sort((a, b) => a.device_id.localeCompare(b.device_id));
    paintList();
    status.replaceChildren(alertBox("success", t("saved", { device: terminal.device_id, name: terminal.name })));
    listSlot.querySelector(`[aria-label="${CSS.escape(t("edit.label", { device: terminal.device_id }))}"]`)
      ?.closest("tr")?.classList.add("just-changed");
  });

  function edit(terminal) {
    form.fill(terminal);
    form.scrollIntoView({ block: "start" });
    form.querySelector("[name=name]").focus();
  }

  paintList();
  container.append(h("p", { class: "lead" }, t("intro")),
    h("section", { "aria-labelledby": "terminals-list-title" },
      h("h2", { id: "terminals-list-title" }, t("list.title")), status, listSlot,
      h("p", { class: "muted small terminal-list-hint" }, t("list.hint"))),
    form, rejected.el);
  await rejected.ready;
}

/** Register or re-bind: PUT /attendance/terminals/{device_id} {name, departments}; `saved(terminal)` after. */
function terminalForm(ctx, departments, saved) {
  const { api, t, signal } = ctx;
  const groupId = "terminal-departments";
  const problem = h("p", { class: "field-error", id: `${groupId}-error`, hidden: true });
  const group = departments ? h("fieldset", { class: "check-group", "aria-describedby": `${groupId}-hint` },
    h("legend", { id: groupId }, t("departments")),
    h("div", { class: "check-list" }, departments.map((d) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "departments", value: d.department_id }),
      ` ${t("department", { name: d.name, id: d.department_id })}`))),
    problem, h("p", { class: "hint", id: `${groupId}-hint` }, t("departments.hint")))
    : field({ name: "departments", label: t("departments.text"), hint: t("departments.text_hint"),
      attrs: { maxlength: "400", autocomplete: "off" } });
  const button = h("button", { type: "submit", class: "btn" }, t("save"));
  const form = h("form", { class: "card payroll-form terminal-form", novalidate: true, "aria-labelledby": "terminal-form-title" },
    h("h2", { id: "terminal-form-title" }, t("form.title")),
    h("p", { class: "muted" }, t("form.hint")),
    h("div", { class: "form-row" },
      field({ name: "device_id", label: t("device_id"), hint: t("device_id.hint"),
        attrs: { maxlength: "40", autocomplete: "off", spellcheck: "false" } }),
      field({ name: "name", label: t("name"), hint: t("name.hint"), attrs: { maxlength: "100", autocomplete: "off" } })),
    group, button);
  const input = (name) => form.querySelector(`[name="${name}"]`);
  const chosen = () => (departments
    ? [...form.querySelectorAll("input[name=departments]:checked")].map((box) => box.value)
    : input("departments").value.split(/[,，\s]+/).filter(Boolean));
  const clearGroup = () => {
    problem.hidden = true;
    if (!departments) return;
    group.removeAttribute("aria-invalid");
    if (!form.querySelector("[aria-invalid]")) form.querySelector(":scope > .form-error")?.remove();
  };
  form.addEventListener("change", clearGroup);

  form.fill = (terminal) => {
    clearFormErrors(form);
    clearGroup();
    input("device_id").value = terminal.device_id;
    input("name").value = terminal.name || "";
    const ids = (terminal.departments || []).map((d) => d.department_id);
    if (departments) form.querySelectorAll("input[name=departments]").forEach((box) => { box.checked = ids.includes(box.value); });
    else input("departments").value = ids.join(",");
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormErrors(form);
    clearGroup();
    const deviceId = input("device_id").value.trim();
    const body = { name: input("name").value.trim(), departments: chosen() };
    button.disabled = true;
    try {
      if (!DEVICE_ID.test(deviceId)) { // it names the address: checked here, in the API's words
        const text = deviceId ? t("error.field.format") : t("error.field.required");
        showFormError(form, { field: "device_id", fieldMessage: () => text,
          userMessage: (label) => t("error.check_field", { field: label, problem: text }) });
        return;
      }
      saved(await api.put(`/attendance/terminals/${encodeURIComponent(deviceId)}`, body, { signal }));
    } catch (err) {
      if (err?.name === "AbortError") return;
      if (err?.field === "departments" && departments && err.status === 400) {
        // a group of boxes, not one control: the sentence on top, the problem under the group
        form.querySelector(":scope > h2").after(h("div", { class: "form-error alert alert-error", role: "alert" },
          h("p", {}, err.userMessage(t("departments")))));
        problem.textContent = err.fieldMessage();
        problem.hidden = false;
        group.setAttribute("aria-invalid", "true");
        form.querySelector("input[name=departments]")?.focus();
      } else showFormError(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** The refused punches of a day (and one terminal), paged; `setDevices(list)` refreshes the terminal choice. */
function rejectedSection(ctx, terminals) {
  const { api, t, fmt, signal } = ctx;
  const today = campusToday();
  const deviceOptions = (list) => [{ value: "", label: t("device.all") },
    ...list.map((d) => ({ value: d.device_id, label: d.name ? `${d.device_id} · ${d.name}` : d.device_id }))];
  const deviceField = field({ name: "device", label: t("device"), kind: "select", required: false,
    options: deviceOptions(terminals) });
  const form = h("form", { class: "toolbar rejected-form", novalidate: true, "aria-labelledby": "rejected-title" },
    field({ name: "date", label: t("date"), type: "date", required: false, value: today, attrs: { max: today } }),
    deviceField,
    h("div", { class: "field" }, h("button", { type: "submit", class: "btn" }, t("show"))));
  const results = h("div", { class: "rejected-results" });
  const el = h("section", { class: "rejected", "aria-labelledby": "rejected-title" },
    h("h2", { id: "rejected-title" }, t("rejected.title")),
    h("p", { class: "muted" }, t("rejected.hint")), form, results);

  const text = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));
  const when = (value) => (typeof value === "string" && !Number.isNaN(Date.parse(value)) ? fmt.dateTime(value) : text(value));
  const columns = [
    { label: t("col.received"), render: (r) => when(r.received_at) },
    { label: t("col.device"), render: (r) => text(r.device_id) },
    { label: t("col.seq"), class: "num", render: (r) => text(r.seq) },
    { label: t("col.staff"), render: (r) => text(r.staff_id) },
    { label: t("col.at"), render: (r) => when(r.at) },
    { label: t("col.reason"), render: (r) => h("div", {},
      h("p", {}, CODES.includes(r.code) ? t(`code.${r.code}`) : text(r.code)),
      r.field ? h("p", { class: "muted small" }, t("field.line", { field: FIELDS.includes(r.field) ? t(`field.${r.field}`) : r.field })) : null,
      r.reason ? h("p", { class: "muted small item-text", lang: "en" }, r.reason) : null) },
    { label: t("col.code"), render: (r) => h("code", {}, text(r.code)) },
  ];

  function load(date, device) {
    const list = h("div");
    let table = null, failed = false;
    const more = pager({
      load: (cursor) => api.get("/attendance/rejected", { query: { date, device, cursor, limit: REJECTED_PAGE }, signal })
        .catch((err) => {
          if (!["date", "device"].includes(err?.field)) throw err;
          showFormError(form, err); // a date or terminal the API refuses: said at that field
          failed = true;
          return { items: [], cursor: null };
        }),
      show: (items, first) => {
        if (table) return table.addRows(items);
        if (!items.length) {
          if (first && !failed) list.replaceChildren(emptyState(t("rejected.empty")));
          return null;
        }
        table = dataTable({ caption: t("rejected.caption", { date: fmt.date(date) }), columns, rows: items });
        list.replaceChildren(table);
        return null;
      },
    });
    results.replaceChildren(list, more);
    return more.ready;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFormErrors(form);
    const date = form.querySelector("[name=date]").value || today;
    load(date, form.querySelector("[name=device]").value || undefined);
  });

  return {
    el,
    ready: load(today),
    setDevices(list) {
      const select = deviceField.querySelector("select");
      const kept = select.value;
      select.replaceChildren(...deviceOptions(list).map((o) => h("option", { value: o.value }, o.label)));
      select.value = list.some((d) => d.device_id === kept) ? kept : "";
    },
  };
}
