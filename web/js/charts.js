// A tiny accessible bar chart in SVG (no library): one horizontal bar per item, the value written
// at its end, and a table with the same figures for screen readers (the SVG itself is hidden from them).
import { h } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(name, value);
  for (const child of children) el.append(child);
  return el;
}

/**
 * barChart({title, labelHeader, valueHeader, items: [{label, value, text}], max})
 * value: a number (null = no data: no bar, `text` shows "—"); text: the value as the reader sees it;
 * max: the full-width value (default: the largest value). Returns a <figure>.
 */
export function barChart({ title, labelHeader, valueHeader, items, max }) {
  const top = max ?? Math.max(0, ...items.map((item) => item.value ?? 0));
  // Each item: its label on one line, the bar and its value below (narrow enough for a phone).
  const rowHeight = 46, valueWidth = 90, width = 420;
  const barSpace = width - valueWidth;
  const svg = s("svg", { viewBox: `0 0 ${width} ${items.length * rowHeight}`, class: "bar-chart",
    "aria-hidden": "true", focusable: "false" });
  items.forEach((item, index) => {
    const y = index * rowHeight;
    const known = item.value !== null && item.value !== undefined;
    const length = top > 0 && known ? Math.max(2, (item.value / top) * barSpace) : 0;
    svg.append(
      s("text", { x: 0, y: y + 15, class: "bar-label" }, item.label),
      s("rect", { x: 0, y: y + 21, width: barSpace, height: 18, class: "bar-track", rx: 3 }),
      length ? s("rect", { x: 0, y: y + 21, width: length, height: 18, class: "bar", rx: 3 }) : "",
      s("text", { x: length + 6, y: y + 35, class: "bar-value" }, item.text));
  });
  const table = h("table", { class: "visually-hidden" },
    h("caption", {}, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, labelHeader), h("th", { scope: "col" }, valueHeader))),
    h("tbody", {}, items.map((item) => h("tr", {}, h("th", { scope: "row" }, item.label), h("td", {}, item.text)))));
  return h("figure", { class: "chart" }, h("figcaption", {}, title), svg, table);
}
