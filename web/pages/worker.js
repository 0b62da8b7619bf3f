// 维修任务: a repair worker's jobs (accept, start, hold, resume, complete with labour and materials,
// or say it cannot be done) and the tickets waiting at their repair point.
import { field, showFormError } from "../js/forms.js";
import { placeName, ticketCategory, ticketSeverity, ticketStateBadge } from "../js/labels.js";
import { liveSla } from "../js/repairs-common.js";
import { alertBox, badge, emptyState, errorBox, h, pager } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "派给你的维修单。接单后请尽快上门；暂停时写明原因，计时会暂停；完工时登记人工和材料。",
    "team": "所属维修点：{team}",
    "no_team": "你还没有分配到维修点，请联系总值班台。",
    "jobs.title": "我的任务",
    "jobs.empty": "目前没有派给你的维修单。",
    "queue.title": "维修点待接单",
    "queue.intro": "派到你所在维修点、还没有指定维修工的维修单，谁先接单谁负责。",
    "queue.empty": "维修点没有待接的维修单。",
    "room": "{place} {room} 室",
    "ticket": "维修单 {id}",
    "reported": "报修于 {at}",
    "phone": "联系电话：{phone}",
    "reason": "说明：{reason}",
    "fee": "收费：{amount}",
    "do.accept": "接单",
    "do.start": "开始维修",
    "do.hold": "暂停",
    "do.resume": "继续维修",
    "do.complete": "完工",
    "do.cannot_do": "无法维修",
    "do.cancel": "取消",
    "done.accept": "已接单：{id}。",
    "done.start": "已开始维修：{id}。",
    "done.hold": "已暂停：{id}，计时暂停。",
    "done.resume": "已继续维修：{id}。",
    "done.complete": "已完工：{id}，收费 {amount}。",
    "done.cannot_do": "已告知报修人无法维修：{id}。",
    "reason.hold": "暂停原因",
    "reason.hold_hint": "例如：等配件、宿舍无人。报修人能看到。",
    "reason.cannot_do": "无法维修的原因",
    "reason.cannot_do_hint": "报修人和总值班台能看到，总值班台会重新派单。",
    "reason.confirm_hold": "确认暂停",
    "reason.confirm_cannot_do": "确认无法维修",
    "complete.title": "完工登记",
    "complete.intro": "逐行登记人工和材料；没有收费可以不填。",
    "complete.add": "添加一行",
    "complete.remove": "删除第 {n} 行",
    "complete.line": "第 {n} 行",
    "complete.kind": "类型",
    "complete.kind.labour": "人工",
    "complete.kind.material": "材料",
    "complete.name": "名称",
    "complete.code": "编码",
    "complete.quantity": "数量",
    "complete.price": "单价（元）",
    "complete.reused": "旧料复用",
    "complete.total": "合计：{amount}",
    "complete.confirm": "确认完工",
    "stale": "这张维修单已经变了（现在是“{state}”），页面已更新，请再看一下。",
  },
  "en": {
    "intro": "Tickets dispatched to you. Go soon after accepting; a hold needs a reason and pauses the clock; record labour and materials when you complete.",
    "team": "Repair point: {team}",
    "no_team": "You are not in a repair point yet. Ask the duty desk.",
    "jobs.title": "My jobs",
    "jobs.empty": "No tickets are dispatched to you right now.",
    "queue.title": "Waiting at my repair point",
    "queue.intro": "Tickets dispatched to your repair point without a named worker: whoever accepts first owns it.",
    "queue.empty": "Nothing is waiting at your repair point.",
    "room": "{place}, room {room}",
    "ticket": "Ticket {id}",
    "reported": "reported {at}",
    "phone": "Phone: {phone}",
    "reason": "Note: {reason}",
    "fee": "Fee: {amount}",
    "do.accept": "Accept",
    "do.start": "Start work",
    "do.hold": "Put on hold",
    "do.resume": "Resume",
    "do.complete": "Complete",
    "do.cannot_do": "Cannot do",
    "do.cancel": "Cancel",
    "done.accept": "Accepted {id}.",
    "done.start": "Work started on {id}.",
    "done.hold": "{id} is on hold; its clock is paused.",
    "done.resume": "Work resumed on {id}.",
    "done.complete": "{id} completed, fee {amount}.",
    "done.cannot_do": "The requester was told {id} cannot be done.",
    "reason.hold": "Reason for the hold",
    "reason.hold_hint": "For example: waiting for parts, nobody in the room. The requester sees it.",
    "reason.cannot_do": "Why it cannot be done",
    "reason.cannot_do_hint": "The requester and the duty desk see it; the desk dispatches it again.",
    "reason.confirm_hold": "Put on hold",
    "reason.confirm_cannot_do": "Confirm: cannot do",
    "complete.title": "Completion",
    "complete.intro": "One line per labour item or material; leave it empty when nothing is charged.",
    "complete.add": "Add a line",
    "complete.remove": "Remove line {n}",
    "complete.line": "Line {n}",
    "complete.kind": "Kind",
    "complete.kind.labour": "Labour",
    "complete.kind.material": "Material",
    "complete.name": "Name",
    "complete.code": "Code",
    "complete.quantity": "Quantity",
    "complete.price": "Unit price (yuan)",
    "complete.reused": "Reused material",
    "complete.total": "Total: {amount}",
    "complete.confirm": "Confirm completion",
    "stale": "This ticket changed meanwhile (it is now “{state}”); the page shows the latest, please check it.",
  },
};

const ACTIONS = {
  dispatched: ["accept"],
  accepted: ["start", "cannot_do"],
  in_progress: ["complete", "hold", "cannot_do"],
  on_hold: ["resume", "cannot_do"],
};
const NEEDS_REASON = new Set(["hold", "cannot_do"]);

export async function render(container, { api, t, fmt, user, signal }) {
  const live = liveSla(signal);
  const status = h("div", { class: "worker-status", "aria-live": "polite" });
  const jobs = h("ul", { class: "item-list job-list", "aria-labelledby": "jobs-title" });
  const queue = h("ul", { class: "item-list job-list", "aria-labelledby": "queue-title" });
  const versions = new Map(); // ticket id -> the version last read (lists do not carry it)

  const profile = await api.get(`/staff/${encodeURIComponent(user.personId)}`, { signal }).catch(() => null);
  const teamId = profile?.team_id || null;
  const teams = teamId ? await api.get("/teams", { signal }).then((r) => r.items).catch(() => []) : [];
  const teamName = teams.find((team) => team.team_id === teamId)?.name || teamId;

  const more = pager({
    load: (cursor) => api.get("/tickets/jobs", { query: { cursor }, signal }),
    show: (items, first) => {
      if (first && !items.length) jobs.replaceChildren(h("li", { class: "empty" }, t("jobs.empty")));
      jobs.append(...items.map(card));
    },
  });
  container.append(h("p", { class: "lead" }, t("intro")),
    teamId ? h("p", { class: "team-name" }, t("team", { team: teamName })) : alertBox("info", t("no_team")),
    status);
  if (teamId) {
    container.append(h("section", { "aria-labelledby": "queue-title" },
      h("h2", { id: "queue-title" }, t("queue.title")), h("p", { class: "hint" }, t("queue.intro")), queue));
  }
  container.append(h("h2", { id: "jobs-title" }, t("jobs.title")), jobs, more);
  await Promise.all([more.ready, teamId ? loadQueue() : null]);

  async function loadQueue() {
    try {
      const items = await api.all(`/teams/${encodeURIComponent(teamId)}/tickets`,
        { query: { state: "dispatched" }, max: 100, signal });
      const waiting = items.filter((ticket) => !ticket.worker_id);
      queue.replaceChildren(...(waiting.length ? waiting.map(card) : [h("li", { class: "empty" }, t("queue.empty"))]));
    } catch (err) {
      if (err?.name === "AbortError") return;
      queue.replaceChildren(h("li", {}, errorBox(err)));
    }
  }

  function place(r) {
    if (r.room_no) return t("room", { place: placeName(r.campus_id, r.building_id), room: r.room_no });
    const area = placeName(r.campus_id, r.building_id);
    return r.place ? `${area} · ${r.place}` : area;
  }

  /** One ticket as a card with the actions its state allows. */
  function card(ticket) {
    if (ticket.version) versions.set(ticket.ticket_id, ticket.version);
    const panel = h("div", { class: "job-panel" });
    const mine = ticket.worker_id === user.personId;
    const actions = (ACTIONS[ticket.state] || []).filter((a) => a === "accept" || mine);
    const li = h("li", { class: "job", dataset: { ticketId: ticket.ticket_id, state: ticket.state } },
      h("div", { class: "item-meta" },
        h("strong", { class: "job-id" }, t("ticket", { id: ticket.ticket_id })),
        ticketStateBadge(ticket.state), live.clock(ticket),
        badge(ticketCategory(ticket.category), "neutral"), badge(ticketSeverity(ticket.severity), "neutral"),
        h("span", {}, t("reported", { at: fmt.dateTime(ticket.created_at) }))),
      h("p", { class: "job-place" }, place(ticket)),
      h("p", { class: "item-text" }, ticket.description),
      ticket.contact_phone ? h("p", { class: "muted" }, t("phone", { phone: ticket.contact_phone })) : null,
      ticket.reason ? h("p", { class: "muted" }, t("reason", { reason: ticket.reason })) : null,
      ticket.fee_fen ? h("p", {}, t("fee", { amount: fmt.money(ticket.fee_fen) })) : null,
      actions.length ? h("div", { class: "job-actions" }, actions.map((action) => h("button", {
        type: "button", class: action === actions[0] ? "btn" : "btn btn-secondary",
        onclick: () => choose(li, ticket, action, panel) }, t(`do.${action}`)))) : null,
      panel);
    return li;
  }

  function choose(li, ticket, action, panel) {
    if (action === "complete") return panel.replaceChildren(completeForm(li, ticket, panel));
    if (NEEDS_REASON.has(action)) return panel.replaceChildren(reasonForm(li, ticket, action, panel));
    return run(li, ticket, { action }, null);
  }

  function closeButton(panel) {
    return h("button", { type: "button", class: "btn btn-secondary", onclick: () => panel.replaceChildren() },
      t("do.cancel"));
  }

  function reasonForm(li, ticket, action, panel) {
    const form = h("form", { class: "job-form", novalidate: true },
      field({ name: "reason", label: t(`reason.${action}`), kind: "textarea", hint: t(`reason.${action}_hint`),
        attrs: { maxlength: "500", rows: "2" } }),
      h("div", { class: "job-actions" }, h("button", { type: "submit", class: "btn" }, t(`reason.confirm_${action}`)),
        closeButton(panel)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(li, ticket, { action, reason: form.elements.reason.value.trim() }, form);
    });
    queueMicrotask(() => form.elements.reason.focus());
    return form;
  }

  function completeForm(li, ticket, panel) {
    const rows = h("div", { class: "fee-rows" });
    const total = h("p", { class: "fee-total", "aria-live": "polite" });
    const lineOf = (row) => ({
      kind: row.querySelector("[data-part=kind]").value,
      code: row.querySelector("[data-part=code]").value.trim(),
      name: row.querySelector("[data-part=name]").value.trim(),
      quantity: row.querySelector("[data-part=quantity]").value.trim(),
      price: row.querySelector("[data-part=unit_price_fen]").value.trim(),
      reused: row.querySelector("[data-part=reused]").checked,
    });
    const fen = (yuan) => (/^\d+(\.\d{1,2})?$/.test(yuan) ? Math.round(Number(yuan) * 100) : yuan);
    function renumber() {
      [...rows.children].forEach((row, i) => {
        row.querySelector("legend").textContent = t("complete.line", { n: i + 1 });
        row.querySelectorAll("[data-part]").forEach((el) => { el.name = `lines[${i}].${el.dataset.part}`; });
        row.querySelector(".remove").textContent = t("complete.remove", { n: i + 1 });
      });
      const sum = [...rows.children].map(lineOf).reduce((acc, line) => {
        const amount = Number(line.quantity) * Number(fen(line.price));
        return acc + (Number.isFinite(amount) ? Math.round(amount) : 0);
      }, 0);
      total.textContent = t("complete.total", { amount: fmt.money(sum) });
    }
    function addLine(kind) {
      const part = (el) => { el.querySelector("input, select").dataset.part = el.querySelector("[name]").name; return el; };
      const row = h("fieldset", { class: "fee-row" }, h("legend", {}),
        part(field({ name: "kind", label: t("complete.kind"), kind: "select", value: kind,
          options: ["labour", "material"].map((value) => ({ value, label: t(`complete.kind.${value}`) })) })),
        part(field({ name: "name", label: t("complete.name"), attrs: { maxlength: "60" } })),
        part(field({ name: "code", label: t("complete.code"), attrs: { maxlength: "30" } })),
        part(field({ name: "quantity", label: t("complete.quantity"), value: "1", attrs: { inputmode: "decimal" } })),
        part(field({ name: "unit_price_fen", label: t("complete.price"), attrs: { inputmode: "decimal" } })),
        h("label", { class: "check" }, h("input", { type: "checkbox", dataset: { part: "reused" }, name: "reused" }),
          t("complete.reused")),
        h("button", { type: "button", class: "btn btn-secondary btn-small remove",
          onclick: () => { row.remove(); renumber(); } }));
      row.addEventListener("input", renumber);
      rows.append(row);
      renumber();
    }
    const form = h("form", { class: "job-form complete-form", novalidate: true, "aria-labelledby": null },
      h("h3", {}, t("complete.title")), h("p", { class: "hint" }, t("complete.intro")), rows,
      h("button", { type: "button", class: "btn btn-secondary", onclick: () => addLine("material") },
        t("complete.add")),
      total,
      h("div", { class: "job-actions" }, h("button", { type: "submit", class: "btn" }, t("complete.confirm")),
        closeButton(panel)));
    addLine("labour");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const lines = [...rows.children].map(lineOf).map((line) => ({ kind: line.kind, code: line.code,
        name: line.name, quantity: line.quantity, unit_price_fen: fen(line.price), reused: line.reused }));
      run(li, ticket, lines.length ? { action: "complete", lines } : { action: "complete" }, form);
    });
    return form;
  }

  /**
   * Take an action with the version the worker last read (If-Match). Lists do not carry the
   * version, so the first action on a card reads the ticket; if it moved on meanwhile, the card
   * shows the latest and nothing is changed.
   */
  async function run(li, ticket, body, form) {
    const buttons = li.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    li.querySelector(":scope > .alert")?.remove();
    try {
      let version = versions.get(ticket.ticket_id);
      if (!version) {
        const fresh = await api.get(`/tickets/${encodeURIComponent(ticket.ticket_id)}`, { signal });
        if (fresh.state !== ticket.state) {
          const updated = card(fresh);
          li.replaceWith(updated);
          updated.prepend(alertBox("error", t("stale", { state: ticketStateLabel(fresh.state) })));
          return;
        }
        version = fresh.version;
      }
      const changed = await api.post(`/tickets/${encodeURIComponent(ticket.ticket_id)}/transitions`, body,
        { signal, headers: { "If-Match": `"${version}"` } });
      const updated = card(changed);
      const inQueue = queue.contains(li);
      if (inQueue) {
        li.remove();
        jobs.querySelector(":scope > .empty")?.remove();
        jobs.prepend(updated);
      } else li.replaceWith(updated);
      status.replaceChildren(alertBox("success", t(`done.${body.action}`,
        { id: changed.ticket_id, amount: fmt.money(changed.fee_fen) })));
      if (teamId) loadQueue();
      updated.querySelector(".job-actions button")?.focus();
    } catch (err) {
      if (err?.name === "AbortError") return;
      if (err?.status === 409) versions.delete(ticket.ticket_id); // read it again next time
      if (form) showFormError(form, err); // on the field it names, or at the top of the form
      else li.prepend(errorBox(err));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function ticketStateLabel(state) {
    return ticketStateBadge(state).textContent;
  }
}
