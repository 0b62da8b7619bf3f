// 自动分房: give a list of students and the rooms planned, every student gets a bed in one action; the result says
// who got which bed, and who did not and why.
import { ApiError } from "../js/api.js";
import { placeName } from "../js/labels.js";
import { field, handleSubmit } from "../js/forms.js";
import { alertBox, badge, dataTable, emptyState, h } from "../js/ui.js";
import { forgetBuildings, visibleBuildings } from "../js/dorms.js";

export const strings = {
  "zh-CN": {
    "intro": "填写要入住的学生和计划使用的房间，系统一次分好床位：男女不混住，同班同学尽量住在一起，先补满有空床的房间。",
    "building_id": "楼宇",
    "building.option": "{name}（{free} 个空床）",
    "rooms": "计划房间",
    "rooms.hint": "房间号，用空格、逗号或换行分隔，例如：101 102 103。",
    "residents": "学生学号",
    "residents.hint": "每行一个或用空格、逗号分隔，最多 2000 人。",
    "submit": "自动分房",
    "no_buildings": "你还没有可以分房的楼宇。",
    "result": "分房结果",
    "summary": "共 {requested} 人：已分配 {placed} 人，未分配 {unplaced} 人。",
    "placed.caption": "已分配床位（{n} 人）",
    "unplaced.caption": "未分配（{n} 人）",
    "rooms_not_found": "找不到这些房间：{rooms}",
    "col.resident": "学号",
    "col.bed": "床位",
    "col.bed.value": "{place} {room} 室 {bed} 号床",
    "col.reason": "原因",
    "reason.unknown_resident": "没有这个学生",
    "reason.duplicate": "名单里重复出现（只分一次）",
    "reason.already_placed": "已经有床位（请用调房）",
    "reason.no_free_bed": "计划房间里没有合适的空床",
    "reason.bed_taken": "床位刚被别人占用，请重试",
    "field.item": "第 {n} 项格式不对：{value}",
  },
  "en": {
    "intro": "List the students moving in and the rooms planned: one action gives everyone a bed, men and women never share a room, classmates stay together and part-filled rooms are filled first.",
    "building_id": "Building",
    "building.option": "{name} ({free} free beds)",
    "rooms": "Planned rooms",
    "rooms.hint": "Room numbers separated by spaces, commas or new lines, e.g. 101 102 103.",
    "residents": "Student IDs",
    "residents.hint": "One per line or separated by spaces or commas, 2,000 at most.",
    "submit": "Assign beds",
    "no_buildings": "No building is assigned to you for placing students.",
    "result": "Result",
    "summary": "{requested} students: {placed} given a bed, {unplaced} not placed.",
    "placed.caption": "Given a bed ({n})",
    "unplaced.caption": "Not placed ({n})",
    "rooms_not_found": "These rooms do not exist: {rooms}",
    "col.resident": "Student ID",
    "col.bed": "Bed",
    "col.bed.value": "{place}, room {room}, bed {bed}",
    "col.reason": "Why",
    "reason.unknown_resident": "No such student",
    "reason.duplicate": "Listed twice (placed once)",
    "reason.already_placed": "Already has a bed (use a room change)",
    "reason.no_free_bed": "No suitable free bed in the planned rooms",
    "reason.bed_taken": "The bed was taken meanwhile: try again",
    "field.item": "Item {n} is not valid: {value}",
  },
};

const REASONS = new Set(["unknown_resident", "duplicate", "already_placed", "no_free_bed", "bed_taken"]);

function words(text) {
  return (text || "").split(/[\s,，、;；]+/).filter(Boolean);
}

function newRequestId() {
  return crypto.randomUUID ? crypto.randomUUID() : `r-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function render(container, ctx) {
  const { api, t, signal } = ctx;
  const loading = ctx.progress();
  container.append(h("p", { class: "lead" }, t("intro")), loading);
  const buildings = await visibleBuildings(api, ctx.user);
  loading.remove();
  if (!buildings.length) {
    container.append(emptyState(t("no_buildings")));
    return;
  }
  const withFree = buildings.find((b) => b.free > 0) || buildings[0];
  const form = h("form", { class: "card beds-form", novalidate: true },
    field({ name: "building_id", label: t("building_id"), kind: "select", value: withFree.building_id,
      options: buildings.map((b) => ({ value: b.building_id,
        label: t("building.option", { name: placeName(b.campus_id, b.building_id), free: b.free }) })) }),
    field({ name: "rooms", label: t("rooms"), kind: "textarea", hint: t("rooms.hint"), attrs: { rows: 3 } }),
    field({ name: "residents", label: t("residents"), kind: "textarea", hint: t("residents.hint"), attrs: { rows: 5 } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn" }, t("submit"))));
  const result = h("section", { class: "beds-result", "aria-live": "polite" });
  container.append(form, result);

  let requestId = newRequestId(); // kept while the form is unchanged: a retry is answered, not assigned twice
  form.addEventListener("input", () => { requestId = newRequestId(); });
  form.addEventListener("change", () => { requestId = newRequestId(); });

  handleSubmit(form, async (values) => {
    result.replaceChildren();
    const residents = words(values.residents);
    const rooms = words(values.rooms).map((room) => ({ building_id: values.building_id, room_no: room }));
    try {
      return await api.post("/bed-assignments", { request_id: requestId, residents, rooms }, { signal });
    } catch (err) {
      throw onForm(err, { residents, rooms: rooms.map((r) => r.room_no) });
    }
  }, (answer) => {
    requestId = newRequestId();
    forgetBuildings(); // the free beds changed
    showResult(answer);
  });

  /** "rooms[2].building_id" -> the building field; "residents[4]" -> the residents field, saying which item. */
  function onForm(err, lists) {
    if (!(err instanceof ApiError) || !err.field) return err;
    const match = /^(rooms|residents)(?:\[(\d+)\])?(?:\.(\w+))?$/.exec(err.field);
    if (!match) return err;
    const [, list, index, part] = match;
    err.field = part === "building_id" ? "building_id" : list;
    if (index === undefined && /non-empty list|at least (one|1)\b/.test(err.detail || "")) { // an empty list
      err.fieldMessage = () => t("error.field.required");
    }
    if (index !== undefined && part !== "building_id") {
      const n = Number(index);
      err.fieldMessage = () => t("field.item", { n: n + 1, value: lists[list][n] ?? "" });
    }
    err.message = err.userMessage();
    return err;
  }

  function showResult(answer) {
    const bedColumns = [
      { label: t("col.resident"), render: (p) => p.resident_id },
      { label: t("col.bed"), render: (p) => t("col.bed.value", {
        place: placeName(p.building_id.slice(0, 2), p.building_id), room: p.room_no, bed: p.bed_no }) },
    ];
    const whyColumns = [
      { label: t("col.resident"), render: (u) => u.resident_id },
      { label: t("col.reason"), render: (u) => (REASONS.has(u.reason)
        ? badge(t(`reason.${u.reason}`), u.reason === "no_free_bed" || u.reason === "bed_taken" ? "danger" : "warn")
        : u.message || u.reason) },
    ];
    result.replaceChildren(...[
      h("h2", {}, t("result")),
      alertBox(answer.placed_count && !answer.unplaced_count ? "success" : "info",
        t("summary", { requested: answer.requested, placed: answer.placed_count, unplaced: answer.unplaced_count })),
      answer.rooms_not_found?.length ? alertBox("error", t("rooms_not_found", {
        rooms: answer.rooms_not_found.map((r) => `${r.building_id} ${r.room_no}`).join(t("list.separator")) })) : null,
      answer.placed.length ? dataTable({ caption: t("placed.caption", { n: answer.placed.length }), columns: bedColumns,
        rows: answer.placed }) : null,
      answer.unplaced.length ? dataTable({ caption: t("unplaced.caption", { n: answer.unplaced.length }),
        columns: whyColumns, rows: answer.unplaced }) : null,
    ].filter(Boolean));
  }
}
