// 房态图: a building's rooms floor by floor, every bed a star coloured (and shaped) by in / out / empty / alarm;
// a bed opens its resident with their last entry or exit and their swipe history.
import { placeName } from "../js/labels.js";
import { field } from "../js/forms.js";
import { addDays, campusToday, presenceBadge, presenceText, swipeTable, visibleBuildings } from "../js/dorms.js";
import { alertBox, emptyState, errorBox, h, pager } from "../js/ui.js";
import { now } from "../js/config.js";

export const strings = {
  "zh-CN": {
    "intro": "每个床位是一颗星：实心为在楼内，空心为外出，圆点为空床，带“!”为有未处理的告警。点击床位查看学生和最后一次进出。",
    "building": "楼宇",
    "building.option": "{name}（{free} 个空床）",
    "no_buildings": "你还没有负责的楼宇。",
    "building.not_found": "没有楼宇 {id}，或者你无权查看它：公寓管理员只能看自己负责的楼宇。",
    "legend": "图例与统计",
    "state.in": "在楼内",
    "state.out": "外出",
    "state.empty": "空床",
    "state.alarm": "告警",
    "state.unknown": "未刷卡",
    "count": "{n}",
    "summary": "共 {rooms} 间房、{beds} 个床位，入住 {occupied} 人，空床 {free} 个。",
    "floor": "{floor} 层",
    "room": "{room} 室",
    "room.label": "{room} 室（{gender}），{occupied}/{capacity} 人",
    "gender.M": "男",
    "gender.F": "女",
    "bed.label": "{room} 室 {bed} 号床：{who}，{state}",
    "bed.empty": "{room} 室 {bed} 号床：空床",
    "close": "关闭",
    "resident.title": "{name}（{id}）",
    "resident.loading": "正在读取学生信息…",
    "resident.where": "住处",
    "resident.where.value": "{place} {room} 室 {bed} 号床",
    "resident.class": "院系班级",
    "resident.class.value": "{department} · {major} · {class_name}（{grade} 级）",
    "resident.position": "职务",
    "resident.gender.M": "男",
    "resident.gender.F": "女",
    "resident.gender": "性别",
    "resident.hometown": "家庭所在地",
    "resident.parent_phone": "家长电话",
    "resident.last": "最后一次进出",
    "resident.alarm": "有未处理的告警：{checks}",
    "swipes": "刷卡记录",
    "swipes.caption": "{from} 至 {to} 的刷卡",
    "swipes.empty": "{from} 至 {to} 没有刷卡。",
    "refresh": "刷新",
    "updated": "更新于 {time}",
  },
  "en": {
    "intro": "Every bed is a star: filled when the resident is in, hollow when out, a dot when empty, with “!” when an alarm is open. Pick a bed to see the student and their last entry or exit.",
    "building": "Building",
    "building.option": "{name} ({free} free beds)",
    "no_buildings": "No building is assigned to you yet.",
    "building.not_found": "There is no building {id}, or you may not see it: dorm managers see only the buildings they run.",
    "legend": "Legend and counts",
    "state.in": "In",
    "state.out": "Out",
    "state.empty": "Empty",
    "state.alarm": "Alarm",
    "state.unknown": "No swipe yet",
    "count": "{n}",
    "summary": "{rooms} rooms, {beds} beds, {occupied} residents, {free} free beds.",
    "floor": "Floor {floor}",
    "room": "Room {room}",
    "room.label": "Room {room} ({gender}), {occupied} of {capacity}",
    "gender.M": "men",
    "gender.F": "women",
    "bed.label": "Room {room} bed {bed}: {who}, {state}",
    "bed.empty": "Room {room} bed {bed}: empty",
    "close": "Close",
    "resident.title": "{name} ({id})",
    "resident.loading": "Reading the student's record…",
    "resident.where": "Bed",
    "resident.where.value": "{place}, room {room}, bed {bed}",
    "resident.class": "Department and class",
    "resident.class.value": "{department} · {major} · {class_name} (class of {grade})",
    "resident.position": "Position",
    "resident.gender.M": "Male",
    "resident.gender.F": "Female",
    "resident.gender": "Gender",
    "resident.hometown": "Home town",
    "resident.parent_phone": "Parent's phone",
    "resident.last": "Last entry or exit",
    "resident.alarm": "Open alarm: {checks}",
    "swipes": "Swipes",
    "swipes.caption": "Swipes {from} to {to}",
    "swipes.empty": "No swipes from {from} to {to}.",
    "refresh": "Refresh",
    "updated": "Updated at {time}",
  },
};

const STATES = ["in", "out", "unknown", "alarm", "empty"];
const SYMBOL = { in: "★", out: "☆", unknown: "✧", alarm: "!", empty: "·" }; // shapes, not words (i18n-exempt)
const WEEK = 7; // days of swipes per request
const HISTORY_WEEKS = 8; // how far back "earlier" goes

export async function render(container, ctx) {
  const { api, t, fmt, params, navigate, signal } = ctx;
  const toolbar = h("div", { class: "toolbar" });
  const body = h("div", { class: "dorm-map-body" });
  const dialog = residentDialog(ctx);
  container.append(h("p", { class: "lead" }, t("intro")), toolbar, body, dialog);
  body.append(ctx.progress());
  // The list of buildings is a request of its own: a building named in the address is drawn meanwhile.
  const listed = visibleBuildings(api, ctx.user);
  let current = params.building;
  if (!current) {
    const buildings = await listed;
    if (!buildings.length) {
      body.replaceChildren(emptyState(t("no_buildings")));
      return;
    }
    current = buildings[0].building_id;
  }
  const refresh = h("button", { type: "button", class: "btn btn-secondary", onclick: () => show() }, t("refresh"));
  const updated = h("span", { class: "muted", "aria-live": "polite" });
  await Promise.all([show(), listed.then((buildings) => toolbar.replaceChildren(picker(buildings), refresh, updated))]);

  function picker(buildings) {
    const box = field({
      name: "building", label: t("building"), kind: "select",
      options: buildings.map((b) => ({
        value: b.building_id,
        label: t("building.option", { name: placeName(b.campus_id, b.building_id), free: b.free }),
      })),
    });
    const select = box.querySelector("select");
    select.value = buildings.some((b) => b.building_id === current) ? current : ""; // "": one they may not see
    select.addEventListener("change", () => navigate("/dorm-map", { building: select.value }));
    return box;
  }

  /** Draw the map of the current building; a building the caller may not see is a 404, said in words. */
  async function show() {
    refresh.disabled = true;
    body.prepend(ctx.progress());
    try {
      const [map, alarms] = await Promise.all([
        api.get(`/buildings/${encodeURIComponent(current)}/map`, { signal }),
        openAlarms(api, current, signal),
      ]);
      body.replaceChildren(...drawMap(map, alarms, ctx, dialog));
      updated.textContent = t("updated", { time: fmt.time(now().toISOString()) });
    } catch (err) {
      if (err?.name === "AbortError") return;
      body.replaceChildren(err?.status === 404
        ? alertBox("error", t("building.not_found", { id: current })) : errorBox(err));
    } finally {
      refresh.disabled = false;
    }
  }
}

/** The open and acknowledged alarms of the building, by resident (the night roll's subject). */
async function openAlarms(api, buildingId, signal) {
  const byResident = new Map();
  try {
    for (const state of ["open", "acknowledged"]) {
      const items = await api.all("/alarms", { query: { building_id: buildingId, state }, max: 500, signal });
      for (const alarm of items) {
        if (!byResident.has(alarm.subject)) byResident.set(alarm.subject, []);
        byResident.get(alarm.subject).push(alarm);
      }
    }
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    console.warn("alarms unavailable for the map", err); // the map still shows in / out / empty
  }
  return byResident;
}

function bedState(bed, alarms) {
  if (bed.empty) return "empty";
  if (alarms.has(bed.resident.resident_id)) return "alarm";
  if (!bed.presence) return "unknown";
  return bed.presence.state === "in" ? "in" : "out";
}

function drawMap(map, alarms, ctx, dialog) {
  const { t } = ctx;
  const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const room of map.rooms) for (const bed of room.beds) counts[bedState(bed, alarms)] += 1;
  const legend = h("section", { class: "dorm-legend", "aria-labelledby": "dorm-legend-title" },
    h("h2", { id: "dorm-legend-title" }, t("legend")),
    h("ul", {}, STATES.map((state) => h("li", { class: `legend-${state}`, dataset: { state } },
      h("span", { class: `bed bed-${state}`, "aria-hidden": "true" }, SYMBOL[state]),
      h("span", { class: "legend-label" }, t(`state.${state}`)),
      h("strong", { class: "legend-count" }, t("count", { n: counts[state] }))))),
    h("p", { class: "muted" }, t("summary", map.counts)));

  const floors = new Map();
  for (const room of map.rooms) {
    if (!floors.has(room.floor)) floors.set(room.floor, []);
    floors.get(room.floor).push(room);
  }
  const sections = [...floors].sort(([a], [b]) => b - a).map(([floor, rooms]) =>
    h("section", { class: "dorm-floor", "aria-label": t("floor", { floor }) },
      h("h3", {}, t("floor", { floor })),
      h("ul", { class: "room-grid" }, rooms.map((room) => drawRoom(room, alarms, ctx, dialog)))));
  return [legend, h("div", { class: "star-map" }, sections)];
}

function drawRoom(room, alarms, ctx, dialog) {
  const { t } = ctx;
  const label = t("room.label", { room: room.room_no, gender: t(`gender.${room.gender}`), occupied: room.occupied,
    capacity: room.capacity });
  return h("li", { class: `room room-${room.gender}`, dataset: { room: room.room_no } },
    h("span", { class: "room-no", title: label }, room.room_no),
    h("span", { class: "visually-hidden" }, label),
    h("span", { class: "beds" }, room.beds.map((bed) => {
      const state = bedState(bed, alarms);
      if (state === "empty") {
        const text = t("bed.empty", { room: room.room_no, bed: bed.bed_no });
        return h("span", { class: "bed bed-empty", role: "img", "aria-label": text, title: text,
          dataset: { state, bed: bed.bed_no } }, SYMBOL.empty);
      }
      const who = bed.resident.name || bed.resident.resident_id;
      const text = t("bed.label", { room: room.room_no, bed: bed.bed_no, who, state: t(`state.${state}`) });
      return h("button", {
        type: "button", class: `bed bed-${state}`, "aria-label": text, title: text,
        dataset: { state, bed: bed.bed_no, resident: bed.resident.resident_id },
        onclick: (event) => dialog.showResident(bed.resident.resident_id, alarms.get(bed.resident.resident_id), event.currentTarget),
      }, SYMBOL[state]);
    })));
}

/** The resident's card in a modal dialog: record, last entry or exit, swipes week by week. */
function residentDialog({ api, t, fmt, signal }) {
  const heading = h("h2", { id: "resident-dialog-title" });
  const content = h("div", { class: "resident-body" });
  const close = h("button", { type: "button", class: "btn btn-secondary dialog-close" }, t("close"));
  const dialog = h("dialog", { class: "resident-dialog", "aria-labelledby": "resident-dialog-title" },
    h("div", { class: "dialog-head" }, heading, close), content);
  let opener = null;
  let requests = null;
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
  dialog.addEventListener("close", () => {
    requests?.abort();
    opener?.focus();
  });
  signal.addEventListener("abort", () => { if (dialog.open) dialog.close(); });

  dialog.showResident = async (residentId, alarms, from) => {
    opener = from;
    requests?.abort();
    requests = new AbortController();
    const mine = AbortSignal.any ? AbortSignal.any([signal, requests.signal]) : requests.signal;
    heading.textContent = residentId;
    content.replaceChildren(ctxProgress(t("resident.loading")));
    if (!dialog.open) dialog.showModal();
    close.focus();
    try {
      const person = await api.get(`/residents/${encodeURIComponent(residentId)}`, { signal: mine });
      heading.textContent = t("resident.title", { name: person.name, id: person.resident_id });
      content.replaceChildren(record(person, alarms), ...history(person.resident_id, mine));
    } catch (err) {
      if (err?.name === "AbortError") return;
      content.replaceChildren(errorBox(err));
    }
  };

  function ctxProgress(text) {
    return h("p", { class: "muted", role: "status" }, text);
  }

  function record(p, alarms) {
    const rows = [
      ["resident.last", [presenceBadge(p.presence), " ", presenceText(p.presence)]],
      ["resident.where", p.building_id ? t("resident.where.value", {
        place: placeName(p.campus_id, p.building_id), room: p.room_no, bed: p.bed_no }) : "—"],
      ["resident.class", t("resident.class.value", p)],
      ["resident.gender", t(`resident.gender.${p.gender}`)],
      ["resident.position", p.position || "—"],
      ["resident.hometown", p.hometown || "—"],
      ["resident.parent_phone", p.parent_phone || "—"],
    ];
    return h("div", {},
      alarms?.length ? h("p", { class: "alert alert-error" },
        t("resident.alarm", { checks: [...new Set(alarms.map((a) => a.check))].join(", ") })) : null,
      h("dl", { class: "record" }, rows.map(([key, value]) =>
        h("div", { class: `record-${key.split(".")[1]}` }, h("dt", {}, t(key)), h("dd", {}, value)))));
  }

  function history(residentId, mine) {
    const list = h("div", { class: "swipe-history" });
    const today = campusToday();
    const more = pager({
      load: async (cursor) => {
        const to = cursor || today;
        const from = addDays(to, -(WEEK - 1));
        const found = await api.get(`/residents/${encodeURIComponent(residentId)}/swipes`,
          { query: { from, to }, signal: mine });
        const next = addDays(from, -1);
        return { items: [{ from, to, swipes: found.items }], cursor: next >= addDays(today, -WEEK * HISTORY_WEEKS) ? next : null };
      },
      show: ([week]) => {
        const range = { from: fmt.date(week.from), to: fmt.date(week.to) };
        list.append(week.swipes.length ? swipeTable(t("swipes.caption", range), week.swipes, { reader: true })
          : h("p", { class: "empty" }, t("swipes.empty", range)));
      },
    });
    return [h("h3", {}, t("swipes")), list, more];
  }

  return dialog;
}
