// What the dorm pages share (房态图, 家长, reports): gate swipes as a table, directions as badges, campus days.
import { fmt, registerStrings, translator } from "./i18n.js";
import { placeName } from "./labels.js";
import { badge, dataTable } from "./ui.js";
import { now } from "./config.js";

export const strings = {
  "zh-CN": {
    "swipe.in": "进门",
    "swipe.out": "出门",
    "swipe.col.time": "时间",
    "swipe.col.direction": "进出",
    "swipe.col.building": "楼宇",
    "swipe.col.reader": "读卡器",
    "presence.in": "在楼内",
    "presence.out": "已外出",
    "presence.none": "入住后还没有刷过卡",
    "presence.last": "最后一次{direction}：{time}（{place}）",
    "presence.entry": "进门",
    "presence.exit": "出门",
  },
  "en": {
    "swipe.in": "Entry",
    "swipe.out": "Exit",
    "swipe.col.time": "Time",
    "swipe.col.direction": "In / out",
    "swipe.col.building": "Building",
    "swipe.col.reader": "Reader",
    "presence.in": "In the building",
    "presence.out": "Out",
    "presence.none": "No swipe since moving in",
    "presence.last": "Last {direction}: {time} ({place})",
    "presence.entry": "entry",
    "presence.exit": "exit",
  },
};
registerStrings("dorms", strings);
const t = translator("dorms");

const SHANGHAI_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }); // YYYY-MM-DD

/** Today's campus date (Asia/Shanghai) as YYYY-MM-DD. */
export function campusToday() {
  return SHANGHAI_DAY.format(now());
}

/** A YYYY-MM-DD date plus `days` (negative: earlier). */
export function addDays(day, days) {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** "in" / "out" as a badge: the word carries the meaning, the colour only repeats it. */
export function directionBadge(direction) {
  return direction === "in" ? badge(t("swipe.in"), "success") : badge(t("swipe.out"), "warn");
}

/** The last entry or exit of a resident's presence ({state, last_ts, building_id}) in words. */
export function presenceText(presence) {
  if (!presence) return t("presence.none");
  return t("presence.last", {
    direction: t(presence.state === "in" ? "presence.entry" : "presence.exit"),
    time: fmt.dateTime(presence.last_ts),
    place: placeName(presence.building_id?.slice(0, 2), presence.building_id),
  });
}

export function presenceBadge(presence) {
  if (!presence) return badge(t("presence.none"), "neutral");
  return presence.state === "in" ? badge(t("presence.in"), "success") : badge(t("presence.out"), "warn");
}

/** Swipes (newest first) as a table: time, in/out, building and, when the caller may see it, the reader. */
export function swipeTable(caption, swipes, { reader = false } = {}) {
  const columns = [
    { label: t("swipe.col.time"), render: (s) => fmt.dateTime(s.ts) },
    { label: t("swipe.col.direction"), render: (s) => directionBadge(s.direction) },
    { label: t("swipe.col.building"), render: (s) => placeName(s.building_id?.slice(0, 2), s.building_id) },
  ];
  if (reader) columns.push({ label: t("swipe.col.reader"), render: (s) => s.reader_id || "—" });
  return dataTable({ caption, columns, rows: swipes });
}

const BUILDINGS_FRESH_MS = 60_000;
let buildingsCache = null; // {who, at, promise}

/**
 * GET /buildings (the buildings the user may see, with bed counts), kept for a minute: the list counts every
 * bed, which takes seconds, and the map asks again at every building switch and language change.
 */
export function visibleBuildings(api, user) {
  const who = user?.personId;
  if (!buildingsCache || buildingsCache.who !== who || Date.now() - buildingsCache.at > BUILDINGS_FRESH_MS) {
    const promise = api.get("/buildings").then((answer) => answer.items);
    buildingsCache = { who, at: Date.now(), promise };
    promise.catch(() => { if (buildingsCache?.promise === promise) buildingsCache = null; });
  }
  return buildingsCache.promise;
}

/** Bed counts changed (an assignment): the next visibleBuildings() asks again. */
export function forgetBuildings() {
  buildingsCache = null;
}
