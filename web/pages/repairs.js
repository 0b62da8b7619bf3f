// 我的报修: report a repair (with an optional photo), the repairs I reported with their live
// time-limit clock, a ticket's progress and history, and rating a finished job.
import { ApiError } from "../js/api.js";
import { field, handleSubmit, showFormError } from "../js/forms.js";
import { FINISHED_STATES, placeName, ticketCategory, ticketSeverity, ticketStateBadge } from "../js/labels.js";
import { liveSla } from "../js/repairs-common.js";
import { alertBox, dataTable, emptyState, errorBox, h, pager } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "你报修的维修单。小问题一小时内解决，大问题不过夜。",
    "empty": "你还没有报修过。",
    "caption": "我的维修单",
    "col.reported": "报修时间",
    "col.place": "地点",
    "col.category": "工种",
    "col.description": "问题",
    "col.state": "状态",
    "col.sla": "时限",
    "col.fee": "收费",
    "col.open": "详情",
    "room": "{place} {room} 室",
    "open": "查看",
    "open_label": "查看维修单 {id}",
    "form.title": "我要报修",
    "form.where": "维修地点",
    "form.where.room": "我的宿舍：{room}",
    "form.where.other": "其他地点",
    "form.campus": "校区",
    "form.place": "具体位置",
    "form.place_hint": "例如：一食堂二楼洗手间、第一教学楼 302。",
    "form.category": "维修工种",
    "form.severity": "问题大小",
    "form.severity.minor": "小问题（{time}内解决）",
    "form.severity.major": "大问题（当天解决）",
    "form.severity.major_minutes": "大问题（{time}内解决）",
    "form.description": "问题描述",
    "form.description_hint": "说清楚哪里坏了、什么现象，最多 1000 字。",
    "form.phone": "联系电话",
    "form.phone_hint": "维修工上门前可能会联系你。",
    "form.photo": "照片",
    "form.photo_hint": "JPG、PNG 或 WebP，最大 5 MB。",
    "form.submit": "提交报修",
    "form.created": "报修已提交，维修单号 {id}。",
    "form.photo_uploaded": "照片已上传。",
    "form.photo_failed": "报修已提交，但照片没有上传成功：{reason}",
    "form.photo_refused": "存储服务拒绝了上传（HTTP {status}）。",
    "form.photo_network": "无法连接存储服务。",
    "detail.title": "维修单 {id}",
    "detail.close": "关闭详情",
    "detail.progress": "进度",
    "detail.facts": "维修单信息",
    "detail.place": "地点",
    "detail.category": "工种",
    "detail.severity": "问题大小",
    "detail.description": "问题描述",
    "detail.reported": "报修时间",
    "detail.deadline": "限时",
    "detail.sla": "时限",
    "detail.worker": "维修工",
    "detail.reason": "说明",
    "detail.fee": "收费",
    "detail.fee_line": "{name} × {quantity}：{amount}",
    "detail.reused": "（旧料复用）",
    "detail.photos": "照片",
    "detail.photo_alt": "报修照片 {n}",
    "detail.history": "处理记录",
    "detail.by_you": "你",
    "detail.by_system": "系统",
    "detail.cancel": "撤销报修",
    "detail.cancelled": "已撤销。",
    "step.submitted": "已报修",
    "step.dispatched": "已派单",
    "step.accepted": "已接单",
    "step.in_progress": "维修中",
    "step.completed": "已完工",
    "step.confirmed": "已评价",
    "step.current": "（当前）",
    "action.submit": "提交报修",
    "action.dispatch": "派单",
    "action.accept": "接单",
    "action.start": "开始维修",
    "action.hold": "暂停",
    "action.resume": "继续维修",
    "action.complete": "完工",
    "action.cannot_do": "无法维修",
    "action.cancel": "撤销",
    "action.rate": "评价",
    "action.rework": "评价不满意，返修",
    "action.auto_confirm": "自动确认",
    "action.close": "关闭",
    "action.set_fee": "登记收费",
    "action.add_photo": "添加照片",
    "rate.title": "评价这次维修",
    "rate.intro": "每项 1 到 5 星；任何一项 2 星或以下，维修单会退回返修。",
    "rate.attitude": "服务态度",
    "rate.speed": "维修速度",
    "rate.quality": "维修质量",
    "rate.price": "收费价格",
    "rate.star": "{n} 星",
    "rate.comment": "评语",
    "rate.submit": "提交评价",
    "rate.done": "谢谢你的评价！",
    "rate.yours": "你的评价",
    "rate.score": "{dimension}：{stars}",
  },
  "en": {
    "intro": "The repairs you reported. Minor problems are fixed within an hour, major ones the same day.",
    "empty": "You have not reported any repairs yet.",
    "caption": "My repair tickets",
    "col.reported": "Reported",
    "col.place": "Place",
    "col.category": "Trade",
    "col.description": "Problem",
    "col.state": "State",
    "col.sla": "Time limit",
    "col.fee": "Fee",
    "col.open": "Details",
    "room": "{place}, room {room}",
    "open": "View",
    "open_label": "View ticket {id}",
    "form.title": "Report a repair",
    "form.where": "Where",
    "form.where.room": "My dorm room: {room}",
    "form.where.other": "Somewhere else",
    "form.campus": "Campus",
    "form.place": "Exact place",
    "form.place_hint": "For example: Canteen 1, 2nd floor washroom; Teaching Building 1, room 302.",
    "form.category": "Trade",
    "form.severity": "Size of the problem",
    "form.severity.minor": "Minor (fixed within {time})",
    "form.severity.major": "Major (fixed the same day)",
    "form.severity.major_minutes": "Major (fixed within {time})",
    "form.description": "What is wrong",
    "form.description_hint": "Say what is broken and what happens; at most 1,000 characters.",
    "form.phone": "Phone",
    "form.phone_hint": "The worker may call you before coming.",
    "form.photo": "Photo",
    "form.photo_hint": "JPG, PNG or WebP, at most 5 MB.",
    "form.submit": "Report",
    "form.created": "Reported: ticket {id}.",
    "form.photo_uploaded": "The photo was uploaded.",
    "form.photo_failed": "Reported, but the photo was not uploaded: {reason}",
    "form.photo_refused": "the storage service refused the upload (HTTP {status}).",
    "form.photo_network": "the storage service could not be reached.",
    "detail.title": "Ticket {id}",
    "detail.close": "Close details",
    "detail.progress": "Progress",
    "detail.facts": "Ticket details",
    "detail.place": "Place",
    "detail.category": "Trade",
    "detail.severity": "Size",
    "detail.description": "Problem",
    "detail.reported": "Reported",
    "detail.deadline": "Due",
    "detail.sla": "Time limit",
    "detail.worker": "Worker",
    "detail.reason": "Note",
    "detail.fee": "Fee",
    "detail.fee_line": "{name} × {quantity}: {amount}",
    "detail.reused": " (reused material)",
    "detail.photos": "Photos",
    "detail.photo_alt": "Photo {n} of the problem",
    "detail.history": "History",
    "detail.by_you": "you",
    "detail.by_system": "system",
    "detail.cancel": "Withdraw the report",
    "detail.cancelled": "Withdrawn.",
    "step.submitted": "Reported",
    "step.dispatched": "Dispatched",
    "step.accepted": "Accepted",
    "step.in_progress": "In progress",
    "step.completed": "Completed",
    "step.confirmed": "Rated",
    "step.current": " (now)",
    "action.submit": "Reported",
    "action.dispatch": "Dispatched",
    "action.accept": "Accepted",
    "action.start": "Work started",
    "action.hold": "Put on hold",
    "action.resume": "Work resumed",
    "action.complete": "Completed",
    "action.cannot_do": "Cannot be done",
    "action.cancel": "Withdrawn",
    "action.rate": "Rated",
    "action.rework": "Rated unsatisfactory, sent back",
    "action.auto_confirm": "Confirmed automatically",
    "action.close": "Closed",
    "action.set_fee": "Fee recorded",
    "action.add_photo": "Photo added",
    "rate.title": "Rate this repair",
    "rate.intro": "1 to 5 stars each; 2 stars or fewer on any of them sends the job back for rework.",
    "rate.attitude": "Attitude",
    "rate.speed": "Speed",
    "rate.quality": "Quality",
    "rate.price": "Price",
    "rate.star": "{n} stars",
    "rate.comment": "Comment",
    "rate.submit": "Send rating",
    "rate.done": "Thank you for your rating!",
    "rate.yours": "Your rating",
    "rate.score": "{dimension}: {stars}",
  },
};

const BEFORE_WORK = new Set(["submitted", "dispatched", "accepted"]);
const STEPS = ["submitted", "dispatched", "accepted", "in_progress", "completed", "confirmed"];
const DIMENSIONS = ["attitude", "speed", "quality", "price"];
const CATEGORIES = ["water", "electric", "carpentry", "masonry", "hvac", "doors_locks"];
const CAMPUSES = ["SB", "JN"];
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];

function ticketPlace(t, r) {
  if (r.room_no) return t("room", { place: placeName(r.campus_id, r.building_id), room: r.room_no });
  const area = placeName(r.campus_id, r.building_id);
  return r.place ? `${area} · ${r.place}` : area;
}

export async function render(container, { api, t, fmt, user, params, signal }) {
  const live = liveSla(signal);
  const status = h("div", { class: "repairs-status" });
  const detail = h("section", { class: "card ticket-detail", hidden: true, "aria-labelledby": "ticket-detail-title",
    tabindex: "-1" });

  // ------------------------------------------------------------ the list
  const columns = [
    { label: t("col.reported"), render: (r) => fmt.dateTime(r.created_at) },
    { label: t("col.place"), render: (r) => ticketPlace(t, r) },
    { label: t("col.category"), render: (r) => ticketCategory(r.category) },
    { label: t("col.description"), render: (r) => r.description },
    { label: t("col.state"), render: (r) => ticketStateBadge(r.state) },
    { label: t("col.sla"), render: (r) => live.clock(r) },
    { label: t("col.fee"), class: "num", render: (r) => (FINISHED_STATES.has(r.state) ? fmt.money(r.fee_fen) : "—") },
    { label: t("col.open"), render: (r) => h("button", { type: "button", class: "btn btn-secondary btn-small",
      "aria-label": t("open_label", { id: r.ticket_id }), onclick: () => openTicket(r.ticket_id) }, t("open")) },
  ];
  let table = null;
  const list = h("div", { class: "my-tickets" });
  /** Add rows to the table, each tagged with its ticket id; returns the new rows. */
  function addRows(items) {
    if (!table) {
      table = dataTable({ columns, rows: [] });
      table.setAttribute("aria-labelledby", "my-tickets-title");
      list.replaceChildren(table);
    }
    const body = table.querySelector("tbody");
    const before = body.rows.length;
    table.addRows(items);
    const added = [...body.rows].slice(before);
    added.forEach((tr, i) => { tr.dataset.ticketId = items[i].ticket_id; });
    return added;
  }
  /** Put a ticket (new or changed) at its place in the list. */
  function upsert(ticket) {
    const old = list.querySelector(`tr[data-ticket-id="${CSS.escape(ticket.ticket_id)}"]`);
    const [row] = addRows([ticket]);
    if (old) old.replaceWith(row);
    else row.parentElement.prepend(row);
  }
  const more = pager({
    load: (cursor) => api.get("/tickets/mine", { query: { cursor }, signal }),
    show: (items, first) => {
      if (first && !items.length) list.replaceChildren(emptyState(t("empty")));
      else addRows(items);
    },
  });

  // ------------------------------------------------------------ the form
  const [profile, slaRules] = await Promise.all([
    user.roles.includes("student")
      ? api.get(`/residents/${encodeURIComponent(user.personId)}`, { signal }).catch(() => null) : null,
    api.get("/sla-rules", { signal }).then((r) => r.items).catch(() => null),
  ]);
  const myRoom = profile?.building_id && profile?.room_no ? profile : null;
  const form = reportForm(myRoom, slaRules);

  container.append(h("p", { class: "lead" }, t("intro")), status, form, detail,
    h("h2", { id: "my-tickets-title" }, t("caption")), list, more);
  await more.ready;
  if (params.ticket) await openTicket(params.ticket);

  function reportForm(room, rules) {
    const ruleOf = Object.fromEntries((rules || []).map((r) => [r.category, r]));
    const categories = rules ? rules.map((r) => r.category) : CATEGORIES;
    const whereField = field({ name: "where", label: t("form.where"), kind: "select", options: [
      { value: "room", label: t("form.where.room", { room: room ? ticketPlace(t, room) : "" }) },
      { value: "other", label: t("form.where.other") }] });
    whereField.hidden = !room;
    const where = whereField.querySelector("select");
    if (!room) where.value = "other";
    const campusField = field({ name: "campus_id", label: t("form.campus"), kind: "select",
      options: CAMPUSES.map((value) => ({ value, label: t(`campus.${value}`) })) });
    const placeField = field({ name: "place", label: t("form.place"), hint: t("form.place_hint"),
      attrs: { maxlength: "100" } });
    const showPlace = () => {
      const other = where.value === "other";
      campusField.hidden = placeField.hidden = !other;
      campusField.querySelector("select").disabled = placeField.querySelector("input").disabled = !other;
    };
    where.addEventListener("change", showPlace);
    const categoryField = field({ name: "category", label: t("form.category"), kind: "select",
      options: categories.map((value) => ({ value,
        label: CATEGORIES.includes(value) ? ticketCategory(value) : ruleOf[value]?.name || value })) });
    const severitySelect = () => {
      const rule = ruleOf[categoryField.querySelector("select").value] || { minor_minutes: 60, major_minutes: null };
      return [{ value: "minor", label: t("form.severity.minor", { time: fmt.duration(rule.minor_minutes * 60) }) },
        { value: "major", label: rule.major_minutes ? t("form.severity.major_minutes",
          { time: fmt.duration(rule.major_minutes * 60) }) : t("form.severity.major") }];
    };
    const severityField = field({ name: "severity", label: t("form.severity"), kind: "select",
      options: severitySelect() });
    categoryField.querySelector("select").addEventListener("change", () => {
      const select = severityField.querySelector("select");
      const value = select.value;
      select.replaceChildren(...severitySelect().map((o) => h("option", { value: o.value }, o.label)));
      select.value = value;
    });
    const photoField = field({ name: "photo", label: t("form.photo"), type: "file", optional: true,
      hint: t("form.photo_hint"), attrs: { accept: PHOTO_TYPES.join(",") } });
    const form = h("form", { class: "card repair-form", novalidate: true, "aria-labelledby": "repair-form-title" },
      h("h2", { id: "repair-form-title" }, t("form.title")),
      whereField, campusField, placeField, categoryField, severityField,
      field({ name: "description", label: t("form.description"), kind: "textarea",
        hint: t("form.description_hint"), attrs: { maxlength: "1000" } }),
      field({ name: "contact_phone", label: t("form.phone"), type: "tel", optional: true, hint: t("form.phone_hint"),
        attrs: { maxlength: "20", autocomplete: "tel" } }),
      photoField,
      h("button", { type: "submit", class: "btn" }, t("form.submit")));
    if (profile?.campus_id) campusField.querySelector("select").value = profile.campus_id;
    showPlace();

    handleSubmit(form, (values) => {
      const body = { category: values.category, severity: values.severity, description: values.description ?? "",
        contact_phone: values.contact_phone };
      if (where.value === "room" && room) {
        Object.assign(body, { campus_id: room.campus_id, building_id: room.building_id, room_no: room.room_no });
      } else Object.assign(body, { campus_id: values.campus_id, place: values.place });
      return api.post("/tickets", body, { signal });
    }, async (ticket) => {
      const file = photoField.querySelector("input").files[0];
      form.reset();
      if (profile?.campus_id) campusField.querySelector("select").value = profile.campus_id;
      if (!room) where.value = "other";
      showPlace();
      status.replaceChildren(alertBox("success", t("form.created", { id: ticket.ticket_id })));
      upsert(ticket);
      if (file) await uploadPhoto(ticket, file);
    });
    return form;
  }

  /** The API gives a presigned POST; the browser sends the file straight to the bucket. */
  async function uploadPhoto(ticket, file) {
    let reason;
    try {
      const upload = await api.post(`/tickets/${encodeURIComponent(ticket.ticket_id)}/photos`,
        { content_type: file.type, size_bytes: file.size }, { signal });
      const body = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) body.append(name, value);
      body.append("file", file);
      const response = await fetch(upload.url, { method: "POST", body, signal });
      if (response.ok) {
        status.append(alertBox("success", t("form.photo_uploaded")));
        return;
      }
      reason = t("form.photo_refused", { status: response.status });
    } catch (err) {
      if (err?.name === "AbortError") return;
      reason = err instanceof ApiError ? err.userMessage(t("form.photo")) : t("form.photo_network");
    }
    status.append(alertBox("error", t("form.photo_failed", { reason })));
  }

  // ------------------------------------------------------------ one ticket
  async function openTicket(id) {
    detail.hidden = false;
    detail.replaceChildren(h("h2", { id: "ticket-detail-title" }, t("detail.title", { id })));
    let ticket;
    try {
      ticket = await api.get(`/tickets/${encodeURIComponent(id)}`, { signal });
    } catch (err) {
      if (err?.name === "AbortError") return;
      detail.append(errorBox(err));
      detail.focus();
      return;
    }
    showTicket(ticket);
    detail.focus();
  }

  function showTicket(ticket) {
    const who = (by) => (by === user.personId ? t("detail.by_you") : by === "system" ? t("detail.by_system") : by);
    const facts = [
      ["detail.place", ticketPlace(t, ticket)],
      ["detail.category", ticketCategory(ticket.category)],
      ["detail.severity", ticketSeverity(ticket.severity)],
      ["detail.description", ticket.description],
      ["detail.reported", fmt.dateTime(ticket.created_at)],
      ["detail.deadline", fmt.dateTime(ticket.deadline)],
      ["detail.sla", live.clock(ticket)],
      ["detail.worker", ticket.worker_id || "—"],
      ticket.reason ? ["detail.reason", ticket.reason] : null,
      ticket.lines?.length || FINISHED_STATES.has(ticket.state) ? ["detail.fee", feeOf(ticket)] : null,
    ].filter(Boolean);
    const close = h("button", { type: "button", class: "btn btn-secondary btn-small",
      onclick: () => { detail.hidden = true; detail.replaceChildren(); } }, t("detail.close"));
    const cancel = BEFORE_WORK.has(ticket.state) && ticket.requester_id === user.personId
      ? h("button", { type: "button", class: "btn btn-secondary", onclick: () => act(ticket, "cancel") },
        t("detail.cancel")) : null;
    detail.replaceChildren(...[
      h("div", { class: "detail-head" }, h("h2", { id: "ticket-detail-title" }, t("detail.title",
        { id: ticket.ticket_id })), ticketStateBadge(ticket.state), close),
      steps(ticket),
      h("dl", { class: "facts", "aria-label": t("detail.facts") },
        facts.map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)])),
      ticket.photo_urls?.length ? h("div", { class: "photos" }, h("h3", {}, t("detail.photos")),
        ticket.photo_urls.map((url, i) => h("a", { href: url, target: "_blank", rel: "noopener" },
          h("img", { src: url, alt: t("detail.photo_alt", { n: i + 1 }), loading: "lazy" })))) : null,
      ticket.rating ? ratingView(ticket.rating) : null,
      ticket.state === "completed" && ticket.requester_id === user.personId ? ratingForm(ticket) : null,
      cancel,
      h("h3", {}, t("detail.history")),
      h("ol", { class: "history" }, (ticket.audit_trail || []).map((e) => h("li", {},
        h("time", { datetime: e.at }, fmt.dateTime(e.at)), " ",
        h("strong", {}, t(`action.${e.action}`)), " · ", who(e.by),
        e.reason ? h("span", { class: "muted" }, ` — ${e.reason}`) : null))),
    ].filter(Boolean));
  }

  function feeOf(ticket) {
    return h("div", {}, h("strong", {}, fmt.money(ticket.fee_fen)),
      ticket.lines?.length ? h("ul", { class: "fee-lines" }, ticket.lines.map((line) => h("li", {},
        t("detail.fee_line", { name: line.name, quantity: fmt.number(Number(line.quantity)),
          amount: fmt.money(line.amount_fen) }), line.reused ? t("detail.reused") : null))) : null);
  }

  function steps(ticket) {
    const at = STEPS.indexOf(ticket.state === "on_hold" ? "in_progress" : ticket.state === "closed" &&
      ticket.confirmed_at ? "confirmed" : ticket.state);
    if (at < 0) return h("p", {}, ticketStateBadge(ticket.state)); // cancelled, cannot be done, closed
    return h("ol", { class: "steps", "aria-label": t("detail.progress") }, STEPS.map((step, i) => h("li", {
      class: i < at ? "done" : i === at ? "current" : null, "aria-current": i === at ? "step" : null },
    t(`step.${step}`), i === at ? h("span", { class: "visually-hidden" }, t("step.current")) : null)));
  }

  function ratingView(rating) {
    return h("div", { class: "rating-view" }, h("h3", {}, t("rate.yours")),
      h("ul", {}, DIMENSIONS.map((d) => h("li", {}, t("rate.score", { dimension: t(`rate.${d}`),
        stars: `${"★".repeat(rating[d])}${"☆".repeat(5 - rating[d])}` })))),
      rating.comment ? h("p", { class: "item-text" }, rating.comment) : null);
  }

  function ratingForm(ticket) {
    const groups = DIMENSIONS.map((d) => {
      const error = h("p", { class: "field-error", hidden: true, id: `rate-${d}-error` });
      return h("fieldset", { class: "stars", dataset: { dimension: d } },
        h("legend", {}, t(`rate.${d}`)),
        h("div", { class: "star-row" }, [5, 4, 3, 2, 1].map((n) => h("label", { title: t("rate.star", { n }) },
          h("input", { type: "radio", name: d, value: String(n), "aria-label": t("rate.star", { n }) }),
          h("span", { "aria-hidden": "true" }, "★")))),
        error);
    });
    const form = h("form", { class: "rating-form", novalidate: true, "aria-labelledby": "rate-title" },
      h("h3", { id: "rate-title" }, t("rate.title")),
      h("p", { class: "hint" }, t("rate.intro")),
      groups,
      field({ name: "comment", label: t("rate.comment"), kind: "textarea", optional: true,
        attrs: { maxlength: "500" } }),
      h("button", { type: "submit", class: "btn" }, t("rate.submit")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = Object.fromEntries(DIMENSIONS.filter((d) => data.get(d)).map((d) => [d, Number(data.get(d))]));
      const comment = String(data.get("comment") || "").trim();
      if (comment) body.comment = comment;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      groups.forEach((g) => { g.removeAttribute("aria-invalid"); g.querySelector(".field-error").hidden = true; });
      try {
        await change(ticket, "rating", body, t("rate.done"));
      } catch (err) {
        if (err?.name === "AbortError") return;
        const group = groups.find((g) => g.dataset.dimension === err.field);
        showFormError(form, err);
        if (group) {
          // a star group has no single labelled control: name it by its legend
          form.querySelector(":scope > .form-error p").textContent = err.userMessage(t(`rate.${err.field}`));
          const slot = group.querySelector(".field-error");
          slot.textContent = err.fieldMessage();
          slot.hidden = false;
          group.setAttribute("aria-invalid", "true");
          group.querySelector("input").focus();
        }
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  /** POST to the ticket's `path` on the version shown (If-Match), then show it changed and say `done`. */
  async function change(ticket, path, body, done) {
    const changed = await api.post(`/tickets/${encodeURIComponent(ticket.ticket_id)}/${path}`, body,
      { signal, headers: { "If-Match": `"${ticket.version}"` } });
    upsert(changed);
    await openTicket(ticket.ticket_id);
    status.replaceChildren(alertBox("success", done));
  }

  async function act(ticket, action) {
    try {
      await change(ticket, "transitions", { action }, t("detail.cancelled"));
    } catch (err) {
      if (err?.name === "AbortError") return;
      detail.querySelector(":scope > .page-error")?.remove();
      const box = errorBox(err);
      box.classList.add("page-error");
      detail.prepend(box);
    }
  }
}
