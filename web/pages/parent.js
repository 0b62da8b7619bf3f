// 家长: my child's recent entries and exits at the dorm gate, newest first (only my own children's).
import { placeName } from "../js/labels.js";
import { addDays, campusToday, presenceBadge, presenceText, swipeTable } from "../js/dorms.js";
import { alertBox, emptyState, errorBox, h } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "孩子最近 {days} 天在宿舍门禁的进出记录，最新的在前。",
    "no_children": "你的账号还没有关联孩子，请联系学校。",
    "child": "{name}（{id}）",
    "child.where": "{place} {room} 室",
    "child.now": "现在",
    "caption": "{name} 最近 {days} 天的进出",
    "empty": "最近 {days} 天没有进出记录。",
    "not_yours": "只能查看你自己孩子的记录。地址里的学号（{id}）不是你的孩子。",
    "pick": "查看",
  },
  "en": {
    "intro": "Your child's entries and exits at the dorm gate over the last {days} days, newest first.",
    "no_children": "No child is linked to your account yet. Please contact the university.",
    "child": "{name} ({id})",
    "child.where": "{place}, room {room}",
    "child.now": "Now",
    "caption": "{name}: entries and exits, last {days} days",
    "empty": "No entries or exits in the last {days} days.",
    "not_yours": "You can only see your own child's records. The student ID in the address ({id}) is not your child's.",
    "pick": "Show",
  },
};

const DAYS = 14; // what the API lets a parent see

export async function render(container, ctx) {
  const { api, t, user, params, signal } = ctx;
  container.append(h("p", { class: "lead" }, t("intro", { days: DAYS })));
  const children = user.childIds || [];
  // The address may name one child (#/parent?child=S00001); the API decides whether it is this parent's.
  const wanted = params.child ? [params.child] : children;
  if (!wanted.length) {
    container.append(emptyState(t("no_children")));
    return;
  }
  if (children.length > 1) {
    container.append(h("nav", { class: "toolbar child-picker", "aria-label": t("pick") }, children.map((id) =>
      h("a", { class: "btn btn-secondary", href: `#/parent?child=${encodeURIComponent(id)}`,
        "aria-current": params.child === id ? "page" : null }, id))));
  }
  const today = campusToday();
  await Promise.all(wanted.map(async (id) => {
    const section = h("section", { class: "card child-swipes", dataset: { child: id } });
    container.append(section);
    try {
      const [person, swipes] = await Promise.all([
        api.get(`/residents/${encodeURIComponent(id)}`, { signal }),
        api.get(`/residents/${encodeURIComponent(id)}/swipes`, { query: { from: addDays(today, -(DAYS - 1)), to: today },
          signal }),
      ]);
      section.append(...[
        h("h2", {}, t("child", { name: person.name, id: person.resident_id })),
        person.building_id ? h("p", { class: "muted" }, t("child.where", {
          place: placeName(person.campus_id, person.building_id), room: person.room_no })) : null,
        h("p", { class: "child-now" }, h("strong", {}, t("child.now")), " ", presenceBadge(person.presence), " ",
          presenceText(person.presence)),
        swipes.items.length ? swipeTable(t("caption", { name: person.name, days: DAYS }), swipes.items)
          : emptyState(t("empty", { days: DAYS })),
      ].filter(Boolean));
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      // Not this parent's child (the API answers 404 as if the student did not exist): say so in words.
      section.replaceChildren(err?.status === 404 || err?.status === 403
        ? alertBox("error", t("not_yours", { id })) : errorBox(err));
    }
  }));
}
