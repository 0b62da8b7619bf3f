// After signing in: a greeting and the pages this user may open.
import { roleNames } from "../js/labels.js";
import { menuFor } from "../js/pages.js";
import { h } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "greeting": "你好，{name}！",
    "roles": "你的身份：{roles}",
    "children": "你的孩子：{ids}",
    "your_pages": "你可以使用",
  },
  "en": {
    "greeting": "Hello, {name}!",
    "roles": "You are signed in as: {roles}",
    "children": "Your children: {ids}",
    "your_pages": "What you can use",
  },
};

export async function render(container, { t, user }) {
  const pages = menuFor(user).filter((page) => page.id !== "home");
  container.append(h("div", {},
    h("p", { class: "greeting" }, h("strong", {}, t("greeting", { name: user.name }))),
    h("p", { class: "muted" }, t("roles", { roles: roleNames(user.roles) })),
    user.childIds.length ? h("p", { class: "muted" }, t("children", { ids: user.childIds.join(", ") })) : null,
    h("h2", {}, t("your_pages")),
    h("ul", { class: "link-grid" }, pages.map((page) =>
      h("li", {}, h("a", { href: `#${page.path}` },
        h("strong", {}, t(page.titleKey)), page.descKey ? h("span", {}, t(page.descKey)) : null))))));
}
