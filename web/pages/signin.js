// Sign-in. Locally: pick a demo user (grouped by role). Deployed: the Cognito hosted UI.
import { demoUsers, signInAsDemoUser, startCognitoSignIn } from "../js/auth.js";
import { alertBox, h, progress } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "local.intro": "这是本地演示环境：选择一位演示用户即可登录，无需密码。",
    "local.public": "不登录也可以查看{board}，或在{opinions}发表意见。",
    "local.as": "以 {name}（{id}）身份登录",
    "local.failed": "无法登录该演示用户，请确认本地云正在运行。",
    "local.none": "没有演示用户：本地云是用 --no-demo 启动的。",
    "cognito.intro": "请使用学校统一身份认证登录。",
    "cognito.button": "前往统一身份认证登录",
  },
  "en": {
    "local.intro": "This is the local demo: pick a demo user to sign in, no password needed.",
    "local.public": "Without signing in you can read the {board} or post on {opinions}.",
    "local.as": "Sign in as {name} ({id})",
    "local.failed": "Could not sign in as this demo user. Is the local cloud running?",
    "local.none": "No demo users: the local cloud was started with --no-demo.",
    "cognito.intro": "Sign in with your university account.",
    "cognito.button": "Continue to the university sign-in",
  },
};

export async function render(container, { t, config, params, navigate }) {
  const next = params.next?.startsWith("/") && params.next !== "/signin" ? params.next : "/home";
  if (config.auth === "cognito") {
    container.append(h("p", { class: "lead" }, t("cognito.intro")),
      h("button", { type: "button", class: "btn", onclick: () => startCognitoSignIn(config, `#${next}`) },
        t("cognito.button")));
    return;
  }
  container.append(h("p", { class: "lead" }, t("local.intro")), publicLinks(t));
  const loading = progress();
  container.append(loading);
  const users = await demoUsers();
  loading.remove();
  if (!users.length) {
    container.append(alertBox("info", t("local.none")));
    return;
  }
  const status = h("div");
  container.append(status, h("div", { class: "user-picker" }, groupByRole(users).map(([role, members]) =>
    h("fieldset", { class: "role-group", dataset: { role } },
      h("legend", {}, t(`role.${role}`)),
      members.map((user) => h("button", {
        type: "button", class: "demo-user", dataset: { personId: user.person_id },
        "aria-label": t("local.as", { name: user.name, id: user.person_id }),
        onclick: () => pick(user.person_id),
      }, h("span", { class: "who" }, `${user.name} · ${user.person_id}`),
      user.note ? h("span", { class: "note" }, user.note) : null))))));

  async function pick(personId) {
    try {
      await signInAsDemoUser(personId);
      navigate(next);
    } catch (err) {
      console.error(err);
      status.replaceChildren(alertBox("error", t("local.failed")));
    }
  }
}

function groupByRole(users) {
  const groups = new Map();
  for (const user of users) groups.set(user.role, [...(groups.get(user.role) || []), user]);
  return [...groups];
}

/** The sentence with links to the public pages, built from a translated template. */
function publicLinks(t) {
  const links = { board: ["#/board", t("page.board")], opinions: ["#/opinions", t("page.opinions")] };
  const parts = t("local.public", { board: "\u0000board\u0000", opinions: "\u0000opinions\u0000" }).split("\u0000");
  return h("p", {}, parts.map((part) => (links[part] ? h("a", { href: links[part][0] }, links[part][1]) : part)));
}
