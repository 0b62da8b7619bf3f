// Small DOM helpers every page uses: an element builder, alerts, a progress/status line,
// tables that become cards on a phone, and a "load more" pager for cursor lists.
import { t } from "./i18n.js";

/**
 * h("a", {href: "#/x", class: "btn", onclick: fn}, "text", child, [more]) -> Element.
 * Strings become text nodes (never HTML), null/false children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value" && "value" in el) el.value = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An alert box; kind is "error", "info" or "success". Errors are announced at once. */
export function alertBox(kind, message, ...extra) {
  return h("div", { class: `alert alert-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", {}, message), ...extra);
}

/** The sign-in address that comes back to the page shown now. */
export function signInHref() {
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/home";
  return `#/signin?${new URLSearchParams({ next: path === "/signin" ? "/home" : path })}`;
}

/** The box a failed request shows: the user's message, a way forward, the API's detail folded. */
export function errorBox(error) {
  const message = typeof error?.userMessage === "function" ? error.userMessage() : t("error.server");
  const detail = error?.detail || (error?.name === "ApiError" ? "" : String(error?.message || error || ""));
  return alertBox("error", message,
    error?.status === 401 ? h("p", {}, h("a", { href: signInHref() }, t("common.sign_in_again"))) : null,
    detail ? h("details", {}, h("summary", {}, t("error.details")), h("code", {}, detail)) : null);
}

export function emptyState(text = t("common.empty")) {
  return h("p", { class: "empty" }, text);
}

export function badge(text, tone = "neutral") {
  return h("span", { class: `badge badge-${tone}` }, text);
}

/**
 * A status line for long work: spinner, text and an optional percentage.
 * `const p = progress({text}); box.append(p); p.update({text, percent: 40}); p.remove();`
 */
export function progress({ text = t("app.loading"), percent = null } = {}) {
  const label = h("span", { class: "progress-text" });
  const bar = h("progress", { max: "100" });
  const number = h("span", { class: "progress-percent" });
  const el = h("div", { class: "progress", role: "status", "aria-live": "polite" },
    h("span", { class: "spinner", "aria-hidden": "true" }), label, bar, number);
  el.update = ({ text: nextText, percent: nextPercent } = {}) => {
    if (nextText !== undefined) label.textContent = nextText;
    const known = nextPercent !== null && nextPercent !== undefined;
    bar.hidden = number.hidden = !known;
    if (known) {
      const clamped = Math.max(0, Math.min(100, Math.round(nextPercent)));
      bar.value = clamped;
      number.textContent = `${clamped}%`;
    }
    return el;
  };
  return el.update({ text, percent });
}

/**
 * A table that scrolls sideways on a phone or, with `cards: true` (the default), turns each row
 * into a card whose cells are labelled by their column.
 * columns: [{label, render: (row) => node | text, class?}]
 */
export function dataTable({ caption, columns, rows, cards = true }) {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class }, c.label)));
  const table = h("table", { class: cards ? "data-table stack-on-phone" : "data-table" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, head),
    h("tbody", {}));
  appendRows(table, columns, rows);
  const wrap = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || null }, table);
  wrap.addRows = (more) => appendRows(table, columns, more);
  return wrap;
}

function appendRows(table, columns, rows) {
  const body = table.tBodies[0];
  for (const row of rows) {
    body.append(h("tr", {}, columns.map((c) => h("td", { "data-label": c.label, class: c.class }, c.render(row)))));
  }
}

/**
 * Cursor paging with a "load more" button. `load(cursor)` resolves to `{items, cursor}`;
 * `show(items, first)` puts them on the page. Errors appear above the button, which retries.
 * Returns the element to place below the list; `await pager.ready` waits for the first page.
 */
export function pager({ load, show }) {
  const status = h("div", { class: "pager-status" });
  const button = h("button", { type: "button", class: "btn", hidden: true }, t("common.load_more"));
  const el = h("div", { class: "pager" }, status, button);
  let cursor = null, first = true;
  async function next() {
    button.hidden = true;
    const working = progress();
    status.replaceChildren(working);
    try {
      const page = await load(cursor);
      status.replaceChildren();
      show(page.items || [], first);
      first = false;
      cursor = page.cursor || null;
      button.hidden = !cursor;
    } catch (err) {
      if (err?.name === "AbortError") return;
      status.replaceChildren(errorBox(err));
      button.textContent = t("common.retry");
      button.hidden = err?.status === 401 || err?.status === 403; // trying again would not help
      return;
    }
    button.textContent = t("common.load_more");
  }
  button.addEventListener("click", next);
  el.ready = next();
  return el;
}

/** Hand a file to the browser as a download (`api.file()` gives {blob, name}). */
export function saveFile({ blob, name }) {
  const href = URL.createObjectURL(blob);
  const link = h("a", { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
