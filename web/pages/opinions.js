// 后勤意见: anyone posts an enquiry, suggestion, criticism or complaint without signing in, and
// reads the public board with staff replies.
import { field, handleSubmit } from "../js/forms.js";
import { opinionCategory, opinionStateBadge, opinionType } from "../js/labels.js";
import { alertBox, badge, h, pager } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "咨询、建议、批评和投诉都可以在这里提出，无需注册。工作人员会公开回复；投诉会被记录并跟踪到整改完成。",
    "form.title": "发表意见",
    "form.type": "类型",
    "form.category": "投诉事由",
    "form.text": "内容",
    "form.text_hint": "请写清楚时间、地点和事情经过，最多 2000 字。",
    "form.contact": "联系方式",
    "form.contact_hint": "电话或邮箱，只有工作人员能看到，便于回访。",
    "form.submit": "发表",
    "form.posted": "已发表，谢谢你的意见！工作人员回复后会显示在下方。",
    "list.title": "最新意见",
    "list.empty": "还没有人发表意见。",
    "posted_at": "发表于 {at}",
    "reply_by": "{name} 回复于 {at}",
    "reply_anonymous": "工作人员",
  },
  "en": {
    "intro": "Ask, suggest, criticise or complain here, no sign-up needed. Staff reply in public; complaints are recorded and followed until they are fixed.",
    "form.title": "Post an opinion",
    "form.type": "Type",
    "form.category": "Complaint about",
    "form.text": "Your message",
    "form.text_hint": "Say when, where and what happened; at most 2,000 characters.",
    "form.contact": "Contact",
    "form.contact_hint": "Phone or e-mail, seen by staff only, so they can follow up.",
    "form.submit": "Post",
    "form.posted": "Posted, thank you! Staff replies will appear below.",
    "list.title": "Latest opinions",
    "list.empty": "Nobody has posted yet.",
    "posted_at": "posted {at}",
    "reply_by": "{name} replied {at}",
    "reply_anonymous": "Staff",
  },
};

const TYPES = ["suggestion", "enquiry", "criticism", "complaint"];
const CATEGORIES = ["buck_passing", "delay", "refusal", "other"];

export async function render(container, { api, t, fmt, signal }) {
  const typeField = field({ name: "type", label: t("form.type"), kind: "select",
    options: TYPES.map((value) => ({ value, label: opinionType(value) })) });
  const categoryField = field({ name: "category", label: t("form.category"), kind: "select",
    options: CATEGORIES.map((value) => ({ value, label: opinionCategory(value) })) });
  const typeSelect = typeField.querySelector("select");
  const categorySelect = categoryField.querySelector("select");
  // A category belongs to complaints only; disabled controls are not sent.
  const showCategory = () => {
    categoryField.hidden = categorySelect.disabled = typeSelect.value !== "complaint";
  };
  typeSelect.addEventListener("change", showCategory);
  showCategory();

  const status = h("div");
  const form = h("form", { class: "card opinion-form", novalidate: true, "aria-labelledby": "opinion-form-title" },
    h("h2", { id: "opinion-form-title" }, t("form.title")),
    typeField, categoryField,
    field({ name: "text", label: t("form.text"), kind: "textarea", hint: t("form.text_hint"),
      attrs: { maxlength: "2000" } }),
    field({ name: "contact", label: t("form.contact"), optional: true, hint: t("form.contact_hint"),
      attrs: { maxlength: "100", autocomplete: "tel" } }),
    h("button", { type: "submit", class: "btn" }, t("form.submit")));

  const list = h("ul", { class: "item-list opinion-list", "aria-labelledby": "opinion-list-title" });
  handleSubmit(form, (values) => api.post("/opinions", values, { signal }), (opinion) => {
    form.reset();
    showCategory();
    status.replaceChildren(alertBox("success", t("form.posted")));
    list.querySelector(":scope > .empty")?.remove();
    list.prepend(item(opinion));
  });

  const more = pager({
    load: (cursor) => api.get("/public/opinions", { query: { cursor }, signal }),
    show: (items, first) => {
      if (first && !items.length) list.replaceChildren(h("li", { class: "empty" }, t("list.empty")));
      list.append(...items.map(item));
    },
  });
  container.append(h("p", { class: "lead" }, t("intro")), status, form,
    h("h2", { id: "opinion-list-title" }, t("list.title")), list, more);

  function item(opinion) {
    return h("li", { dataset: { opinionId: opinion.opinion_id } },
      h("div", { class: "item-meta" },
        badge(opinionType(opinion.type), "neutral"),
        opinion.category ? badge(opinionCategory(opinion.category), "neutral") : null,
        opinionStateBadge(opinion.state),
        h("span", {}, t("posted_at", { at: fmt.dateTime(opinion.created_at) }))),
      h("p", { class: "item-text" }, opinion.text),
      opinion.replies?.length ? h("ul", { class: "replies" }, opinion.replies.map((reply) =>
        h("li", {},
          h("div", { class: "item-meta" }, t("reply_by", {
            name: reply.by_name || t("reply_anonymous"), at: fmt.dateTime(reply.at) })),
          h("p", { class: "item-text" }, reply.text)))) : null);
  }

  await more.ready;
}

