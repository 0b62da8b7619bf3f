// 查寝和零报告: a building's night roll (the curfew roll and the morning final roll: expected, in, out,
// on leave, who is flagged, which readers had not uploaded everything) and the night's zero report
// (零报告制), which the building's dorm manager signs once; leaders see every report not signed yet.
import { field } from "../js/forms.js";
import { hasRole } from "../js/auth.js";
import { placeName } from "../js/labels.js";
import { alertBox, badge, dataTable, emptyState, errorBox, h, pager, progress } from "../js/ui.js";
import { now } from "../js/config.js";

export const strings = {
  "zh-CN": {
    "intro": "每晚到点名时间（门禁报警时间，默认 23:00）和次日早上 06:00 各点名一次：应到人数是本楼入住人数减去请假人数，未刷卡进楼的学生会被列出并报警。每晚都要出零报告，没有情况也要由公寓管理员签收。",
    "building": "楼宇",
    "night": "哪一晚",
    "show": "查看",
    "night_of": "{place}，{night}晚",
    "no_roll": "{place} {night}晚还没有点名（点名时间到了以后才会有结果）。",
    "roll.curfew": "归寝点名",
    "roll.morning": "早晨点名",
    "roll.not_yet": "还没到点名时间。",
    "roll.at": "点名时间 {at}，最近核对 {evaluated}（第 {n} 次）",
    "roll.provisional": "结果待定：以下读卡器的数据还没传完，补传后会重新核对。",
    "roll.final": "数据完整",
    "count.expected": "应到",
    "count.present": "在楼",
    "count.not_returned": "未归",
    "count.still_out": "仍未回",
    "count.on_leave": "请假",
    "count.late_returns": "晚归",
    "count.readers_behind": "数据未传完的读卡器",
    "flagged.title": "未按时归寝的学生",
    "flagged.none": "没有人未归。",
    "col.resident": "学生",
    "col.room": "房间",
    "col.last_exit": "最后出门",
    "col.nights": "连续未归",
    "col.returned": "回来时间",
    "nights": "{n} 晚",
    "not_back": "未回",
    "unknown": "不在本楼刷卡",
    "late.title": "晚归",
    "on_leave.title": "请假的学生",
    "readers.title": "数据未传完的读卡器",
    "reader.line": "{reader}：数据完整到 {at}",
    "reader.never": "{reader}：还没有收到数据",
    "zero.title": "零报告",
    "zero.none": "这一晚的零报告还没有生成（早晨点名后生成）。",
    "zero.nothing": "这一晚无情况可报。",
    "zero.provisional": "报告中有读卡器数据未传完。",
    "zero.produced": "生成于 {at}",
    "zero.signed": "已由 {who} 于 {at} 签收",
    "zero.unsigned": "未签收",
    "zero.sign": "签收零报告",
    "zero.signed_now": "已签收，这一晚的零报告不会再变动。",
    "zero.already_signed": "这份零报告已经签收过了，不能重复签收。",
    "zero.sign_hint": "签收前请核对上面的情况；签收后报告不再变动。",
    "row.late_return": "晚归",
    "row.not_returned": "夜不归宿",
    "row.provisional": "读卡器数据未传完",
    "col.kind": "情况",
    "col.time": "时间",
    "col.reader": "读卡器",
    "history.title": "本楼的零报告",
    "unsigned.title": "未签收的零报告",
    "unsigned.empty": "所有零报告都已签收。",
    "col.building": "楼宇",
    "col.night": "日期",
    "col.counts": "情况",
    "col.state": "签收",
    "counts.line": "应到 {expected}，晚归 {late_returns}，夜不归宿 {not_returned}",
    "open": "查看",
  },
  "en": {
    "intro": "Each night has two rolls: at the building's alarm time (curfew, 23:00 by default) and the final one at 06:00. Expected are the building's residents minus those on leave; anyone who has not swiped in is listed and raises an alarm. A zero report is filed every night, even with nothing to report, and the dorm manager signs it off.",
    "building": "Building",
    "night": "Night of",
    "show": "Show",
    "night_of": "{place}, night of {night}",
    "no_roll": "No roll of {place} for the night of {night} yet (the roll is taken at its time).",
    "roll.curfew": "Curfew roll",
    "roll.morning": "Morning roll",
    "roll.not_yet": "Not taken yet.",
    "roll.at": "Roll at {at}, last checked {evaluated} (check {n})",
    "roll.provisional": "Provisional: these readers had not uploaded everything; the roll is checked again when they do.",
    "roll.final": "Complete data",
    "count.expected": "Expected",
    "count.present": "In",
    "count.not_returned": "Out",
    "count.still_out": "Still out",
    "count.on_leave": "On leave",
    "count.late_returns": "Late",
    "count.readers_behind": "Readers behind",
    "flagged.title": "Residents not back",
    "flagged.none": "Everybody was in.",
    "col.resident": "Resident",
    "col.room": "Room",
    "col.last_exit": "Last exit",
    "col.nights": "Nights in a row",
    "col.returned": "Back at",
    "nights": "{n}",
    "not_back": "not back",
    "unknown": "last swipe elsewhere",
    "late.title": "Late returns",
    "on_leave.title": "On leave",
    "readers.title": "Readers behind",
    "reader.line": "{reader}: data complete up to {at}",
    "reader.never": "{reader}: nothing received yet",
    "zero.title": "Zero report",
    "zero.none": "No zero report for this night yet (it is made after the morning roll).",
    "zero.nothing": "Nothing to report this night.",
    "zero.provisional": "A reader had not uploaded everything for this report.",
    "zero.produced": "made {at}",
    "zero.signed": "Signed off by {who} at {at}",
    "zero.unsigned": "Not signed",
    "zero.sign": "Sign off the zero report",
    "zero.signed_now": "Signed off: this night's report will not change any more.",
    "zero.already_signed": "This zero report has already been signed off; it cannot be signed twice.",
    "zero.sign_hint": "Check the report above before signing; once signed it does not change.",
    "row.late_return": "Late return",
    "row.not_returned": "Out all night",
    "row.provisional": "Reader behind",
    "col.kind": "What",
    "col.time": "Time",
    "col.reader": "Reader",
    "history.title": "This building's zero reports",
    "unsigned.title": "Zero reports not signed off",
    "unsigned.empty": "Every zero report is signed off.",
    "col.building": "Building",
    "col.night": "Night",
    "col.counts": "Report",
    "col.state": "Sign-off",
    "counts.line": "expected {expected}, late {late_returns}, out all night {not_returned}",
    "open": "Open",
  },
};

const SEE_ALL = ["dispatcher", "leader", "admin"];

/** YYYY-MM-DD of a day in Asia/Shanghai, `days` from today. */
function campusDay(days = 0) {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(now()); // i18n-exempt
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export async function render(container, { api, t, fmt, params, navigate, signal, user }) {
  const today = campusDay(0);
  const night = /^\d{4}-\d{2}-\d{2}$/.test(params.night || "") && params.night <= today ? params.night : campusDay(-1);
  const intro = h("p", { class: "lead" }, t("intro"));
  const loading = progress();
  container.append(intro, loading);
  const buildings = (await api.get("/buildings", { signal })).items || [];
  loading.remove();
  const building = params.building || buildings[0]?.building_id || "";
  const place = (id) => {
    const found = buildings.find((b) => b.building_id === id);
    return placeName(found?.campus_id || id.slice(0, 2), id);
  };

  const buildingField = field({ name: "building", label: t("building"), kind: "select", required: false,
    options: buildings.map((b) => ({ value: b.building_id, label: placeName(b.campus_id, b.building_id) })),
    value: building });
  if (building && !buildings.some((b) => b.building_id === building)) {
    buildingField.querySelector("select").append(h("option", { value: building }, building));
    buildingField.querySelector("select").value = building;
  }
  const nightField = field({ name: "night", label: t("night"), type: "date", required: false, value: night,
    attrs: { max: today } });
  const picker = h("form", { class: "toolbar roll-picker" }, buildingField, nightField,
    h("button", { type: "submit", class: "btn btn-secondary" }, t("show")));
  picker.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(picker));
    navigate("/rolls", { building: values.building, night: values.night });
  });
  buildingField.querySelector("select").addEventListener("change", () => picker.requestSubmit());

  const unsigned = hasRole(user, ["leader", "admin"]) ? h("section", { class: "unsigned-reports" }) : null;
  const body = h("div", { class: "roll-body" });
  const history = h("section", { class: "zero-history" });
  container.append(...[unsigned, picker, body].filter(Boolean));

  const work = [];
  if (unsigned) work.push(showUnsigned());
  if (building) work.push(showNight());
  await Promise.all(work);

  function showUnsigned() {
    return showReports(unsigned, t("unsigned.title"), {}, true, t("unsigned.empty"));
  }

  /** A titled, paged table of zero reports (GET /zero-reports with `query`) in `box`. */
  async function showReports(box, title, query, withBuilding, empty) {
    box.replaceChildren();
    let table = null;
    const list = h("div");
    const more = pager({
      load: (cursor) => api.get("/zero-reports", { query: { ...query, cursor }, signal }),
      show: (items) => {
        if (table) return table.addRows(items);
        table = reportsTable(title, items, withBuilding);
        list.replaceChildren(items.length ? table : emptyState(empty));
      },
    });
    box.append(h("h2", {}, title), list, more);
    await more.ready;
  }

  function reportsTable(caption, rows, withBuilding) {
    return dataTable({ caption, rows, columns: [
      ...(withBuilding ? [{ label: t("col.building"), render: (r) => place(r.building_id) }] : []),
      { label: t("col.night"), render: (r) => fmt.date(r.night) },
      { label: t("col.counts"), render: (r) => (r.nothing_to_report ? t("zero.nothing")
        : t("counts.line", { expected: r.counts?.expected ?? 0, late_returns: r.counts?.late_returns ?? 0,
          not_returned: r.counts?.not_returned ?? 0 })) },
      { label: t("col.state"), render: (r) => (r.signed_by ? badge(t("zero.signed", { who: r.signed_by,
        at: fmt.dateTime(r.signed_at) }), "success") : badge(t("zero.unsigned"), "warn")) },
      { label: "", render: (r) => h("a", { href: `#/rolls?${new URLSearchParams({ building: r.building_id, night: r.night })}`,
        "aria-label": `${t("open")} ${place(r.building_id)} ${r.night}` }, t("open")) },
    ] });
  }

  async function showNight() {
    const title = h("h2", {}, t("night_of", { place: place(building), night: fmt.date(night) }));
    let roll;
    try {
      roll = await api.get(`/buildings/${encodeURIComponent(building)}/rolls/${night}`, { signal });
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      body.replaceChildren(title, err.status === 404 && buildings.some((b) => b.building_id === building)
        ? alertBox("info", t("no_roll", { place: place(building), night: fmt.date(night) })) : errorBox(err));
      return;
    }
    const names = await residentNames([roll.curfew, roll.morning]);
    const zero = h("section", { class: "card zero-report", "aria-labelledby": "zero-title" });
    body.replaceChildren(title,
      h("div", { class: "roll-grid" }, rollCard("curfew", roll.curfew, names), rollCard("morning", roll.morning, names)),
      zero);
    showZero(zero, roll.zero, names);
    body.append(history);
    await showHistory();
  }

  /** Names of the flagged residents (the roll stores ids): at most 30 look-ups, ids where not allowed. */
  async function residentNames(rolls) {
    const ids = [...new Set(rolls.filter(Boolean).flatMap((r) => [...r.not_returned.map((n) => n.resident_id),
      ...r.late_returns.map((n) => n.resident_id)]))].slice(0, 30);
    const found = await Promise.allSettled(ids.map((id) => api.get(`/residents/${encodeURIComponent(id)}`, { signal })));
    const names = new Map();
    found.forEach((result, i) => {
      if (result.status === "fulfilled") names.set(ids[i], result.value);
    });
    return names;
  }

  function residentLabel(id, names) {
    const person = names.get(id);
    return person?.name ? `${person.name} (${id})` : id;
  }

  function rollCard(kind, roll, names) {
    const card = h("section", { class: `card roll roll-${kind}`, "aria-labelledby": `roll-${kind}-title` },
      h("h3", { id: `roll-${kind}-title` }, t(`roll.${kind}`)));
    if (!roll) {
      card.append(emptyState(t("roll.not_yet")));
      return card;
    }
    const c = roll.counts;
    const stat = (key, value, tone) => h("div", { class: `roll-stat${tone ? ` roll-stat-${tone}` : ""}`, dataset: { count: key } },
      h("dt", {}, t(`count.${key}`)), h("dd", {}, fmt.number(value)));
    card.append(
      h("p", { class: "muted" }, t("roll.at", { at: fmt.dateTime(roll.at), evaluated: fmt.dateTime(roll.evaluated_at),
        n: roll.evaluations }), " ", roll.provisional ? badge(t("count.readers_behind"), "warn") : badge(t("roll.final"), "success")),
      h("dl", { class: "roll-stats" },
        stat("expected", c.expected), stat("present", c.present),
        stat("not_returned", c.not_returned, c.not_returned ? "danger" : null),
        stat("still_out", c.still_out, c.still_out ? "danger" : null),
        stat("on_leave", c.on_leave), stat("late_returns", c.late_returns, c.late_returns ? "warn" : null)));
    if (roll.provisional) {
      card.append(alertBox("info", t("roll.provisional"), h("ul", { class: "roll-readers" }, roll.readers_behind.map((r) =>
        h("li", {}, r.watermark ? t("reader.line", { reader: r.reader_id, at: fmt.dateTime(r.watermark) })
          : t("reader.never", { reader: r.reader_id }))))));
    }
    card.append(roll.not_returned.length ? dataTable({ caption: t("flagged.title"), rows: roll.not_returned, columns: [
      { label: t("col.resident"), render: (n) => residentLabel(n.resident_id, names) },
      { label: t("col.room"), render: (n) => names.get(n.resident_id)?.room_no || "—" },
      { label: t("col.last_exit"), render: (n) => (n.last_exit ? fmt.dateTime(n.last_exit) : t("unknown")) },
      { label: t("col.nights"), render: (n) => t("nights", { n: n.nights }) },
      { label: t("col.returned"), render: (n) => (n.returned_at ? fmt.dateTime(n.returned_at) : badge(t("not_back"), "danger")) },
    ] }) : emptyState(t("flagged.none")));
    if (roll.on_leave.length) {
      card.append(h("h4", {}, t("on_leave.title")),
        h("p", {}, roll.on_leave.map((id) => residentLabel(id, names)).join(t("list.separator"))));
    }
    return card;
  }

  function showZero(box, report, names) {
    box.replaceChildren(h("h3", { id: "zero-title" }, t("zero.title")));
    if (!report) {
      box.append(emptyState(t("zero.none")));
      return;
    }
    const status = h("div", { class: "zero-status" });
    box.append(h("p", { class: "item-meta" },
      report.signed_by ? badge(t("zero.signed", { who: report.signed_by, at: fmt.dateTime(report.signed_at) }), "success")
        : badge(t("zero.unsigned"), "warn"),
      h("span", {}, t("zero.produced", { at: fmt.dateTime(report.produced_at) })),
      h("span", {}, t("counts.line", { expected: report.counts.expected ?? 0, late_returns: report.counts.late_returns ?? 0,
        not_returned: report.counts.not_returned ?? 0 }))));
    if (report.provisional) box.append(alertBox("info", t("zero.provisional")));
    box.append(report.nothing_to_report ? h("p", { class: "zero-nothing" }, t("zero.nothing")) : dataTable({
      caption: t("zero.title"), rows: report.rows, columns: [
        { label: t("col.kind"), render: (r) => t(`row.${r.kind}`) },
        { label: t("col.resident"), render: (r) => (r.resident_id ? residentLabel(r.resident_id, names) : "—") },
        { label: t("col.time"), render: (r) => (r.time ? fmt.dateTime(r.time) : r.last_exit ? fmt.dateTime(r.last_exit) : "—") },
        { label: t("col.nights"), render: (r) => (r.nights ? t("nights", { n: r.nights }) : "—") },
        { label: t("col.reader"), render: (r) => (r.reader_id ? (r.watermark ? t("reader.line", { reader: r.reader_id,
          at: fmt.dateTime(r.watermark) }) : r.reader_id) : "—") },
      ] }));
    box.append(status);
    const mine = hasRole(user, ["dorm_manager"]) && !hasRole(user, SEE_ALL) && buildings.some((b) => b.building_id === building);
    if (mine && !report.signed_by) {
      const button = h("button", { type: "button", class: "btn", "aria-describedby": "zero-sign-hint" }, t("zero.sign"));
      button.addEventListener("click", async () => {
        button.disabled = true;
        status.replaceChildren();
        try {
          const signed = await api.post(`/buildings/${encodeURIComponent(building)}/zero-reports/${night}/sign`, {}, { signal });
          showZero(box, signed, names);
          box.querySelector(".zero-status").replaceChildren(alertBox("success", t("zero.signed_now")));
          showHistory().catch(() => {}); // the list below shows it signed too
        } catch (err) {
          if (err?.name === "AbortError") return;
          if (err?.code === "already_signed") {
            // signed meanwhile (another tab or colleague): say so in words, and show who signed
            const fresh = await api.get(`/buildings/${encodeURIComponent(building)}/rolls/${night}`, { signal }).catch(() => null);
            if (fresh?.zero) showZero(box, fresh.zero, names);
            box.querySelector(".zero-status").replaceChildren(alertBox("error", t("zero.already_signed")));
            return;
          }
          button.disabled = false;
          status.replaceChildren(errorBox(err));
        }
      });
      box.append(h("p", { class: "hint", id: "zero-sign-hint" }, t("zero.sign_hint")), button);
    }
  }

  function showHistory() {
    return showReports(history, t("history.title"), { building_id: building, limit: 10 }, false, t("zero.none"));
  }
}
