// The application shell: header (menu, language, user), the hash router and each page's context.
import "./strings.js";
import { ApiError, createApi } from "./api.js";
import { completeCognitoSignIn, currentUser, forgetSession, freshToken, signOut } from "./auth.js";
import { loadConfig } from "./config.js";
import { showFormError } from "./forms.js";
import { fmt, language, onLanguageChange, setLanguage, t, translator } from "./i18n.js";
import { roleNames } from "./labels.js";
import { loadPage, mayUse, menuFor, pageAt } from "./pages.js";
import { alertBox, errorBox, h, progress, signInHref } from "./ui.js";

const shell = {
  header: document.getElementById("app-header"),
  title: document.getElementById("page-title"),
  page: document.getElementById("page"),
};
let config, api;
let pageRequests = null; // the AbortController of the page on screen

/** "#/board?month=2026-10" -> {path: "/board", params: {month: "2026-10"}} */
function parseHash(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  return { path: path || "/", params: Object.fromEntries(new URLSearchParams(query)) };
}

export function navigate(path, params = {}, { replace = false } = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const search = query.toString();
  const hash = `#${path}${search ? `?${search}` : ""}`;
  if (replace) {
    history.replaceState(null, "", hash);
    route();
  } else if (location.hash === hash) route();
  else location.hash = hash;
}

// ------------------------------------------------------------------ header
function renderHeader() {
  const user = currentUser();
  const { path } = parseHash();
  const menu = h("ul", {}, menuFor(user).map((page) =>
    h("li", {}, h("a", { href: `#${page.path}`, "aria-current": page.path === path ? "page" : null }, t(page.titleKey)))));
  const toggle = h("button", { type: "button", class: "menu-toggle", "aria-expanded": "false", "aria-controls": "menu" },
    h("span", { class: "menu-icon", "aria-hidden": "true" }), t("header.menu"));
  toggle.addEventListener("click", () => setMenuOpen(toggle.getAttribute("aria-expanded") !== "true"));
  const other = language() === "zh-CN" ? "en" : "zh-CN";
  const languageButton = h("button", {
    type: "button", class: "btn-link lang-switch", lang: other, "aria-label": t("header.switch_language_label"),
    onclick: () => setLanguage(other),
  }, t("header.switch_language"));
  const account = user
    ? [h("span", { class: "user", title: t("header.signed_in_as", { name: user.name, roles: roleNames(user.roles) }) },
      h("span", { class: "user-name" }, user.name), " ", h("span", { class: "user-roles" }, roleNames(user.roles))),
    h("button", { type: "button", class: "btn-link", onclick: onSignOut }, t("header.sign_out"))]
    : [h("a", { class: "btn-link", href: signInHref() }, t("header.sign_in"))];
  shell.header.replaceChildren(
    h("div", { class: "header-bar" },
      h("a", { class: "brand", href: "#/" }, t("app.name")),
      toggle,
      h("nav", { id: "menu", "aria-label": t("header.main_menu") }, menu),
      h("div", { class: "header-tools" }, languageButton, account)));
  document.getElementById("skip-link").textContent = t("app.skip");
}

function setMenuOpen(open) {
  shell.header.classList.toggle("menu-open", open);
  shell.header.querySelector(".menu-toggle")?.setAttribute("aria-expanded", String(open));
}

function onSignOut() {
  signOut(config);
  navigate("/signin");
}

// ------------------------------------------------------------------ router
async function route({ keepValues = false, focus = true } = {}) {
  const { path, params } = parseHash();
  const user = currentUser();
  if (path === "/") return navigate(user ? "/home" : "/signin", {}, { replace: true });
  const page = pageAt(path);
  if (page && !mayUse(page, user) && !user) return navigate("/signin", { next: path }, { replace: true });

  pageRequests?.abort(); // the previous page's requests are no longer wanted
  const controller = pageRequests = new AbortController();
  const saved = keepValues ? formValuesOf(shell.page) : null;
  renderHeader();
  setMenuOpen(false);

  if (!page) return showView("view.not_found.title", t("view.not_found.text", { path }), focus);
  if (!mayUse(page, user)) {
    return showView("view.forbidden.title",
      t("view.forbidden.text", { roles: roleNames(user.roles), page: t(page.titleKey) }), focus);
  }
  setTitle(t(page.titleKey));
  const container = h("div", { class: `page page-${page.id}` });
  delete shell.page.dataset.rendered;
  shell.page.replaceChildren(progress());
  try {
    const module = await loadPage(page);
    if (controller.signal.aborted) return;
    shell.page.replaceChildren(container);
    await module.render(container, makeContext(page, user, params, container, controller.signal));
    if (saved) restoreFormValues(shell.page, saved);
    shell.page.dataset.rendered = page.id; // its first load is done (tests wait for it)
  } catch (err) {
    if (err?.name === "AbortError" || controller.signal.aborted) return;
    console.error(err);
    shell.page.replaceChildren(err instanceof ApiError ? errorBox(err)
      : alertBox("error", t("view.load_failed")));
  }
  // The title takes focus for a screen reader's "new page", unless the user already went into the page while it
  // loaded (typing into a form while the list below it still loads must keep its place).
  if (focus && !shell.page.contains(document.activeElement)) shell.title.focus();
}

function setTitle(text) {
  shell.title.textContent = text;
  document.title = `${text} · ${t("app.name")}`;
}

/** Not found / forbidden: a title, a sentence and the way home. */
function showView(titleKey, text, focus) {
  setTitle(t(titleKey));
  shell.page.replaceChildren(h("div", { class: "view" }, h("p", {}, text),
    h("p", {}, h("a", { class: "btn", href: "#/" }, t("view.go_home")))));
  if (focus) shell.title.focus();
}

/** What a page's render(container, ctx) gets. */
function makeContext(page, user, params, container, signal) {
  return {
    api, config, user, params, signal, fmt,
    t: translator(page.id),
    navigate,
    /** Show an error: on a form, at the field it names; otherwise at the top of `target`. */
    showError(error, target = container) {
      if (target instanceof HTMLFormElement) return showFormError(target, error);
      target.querySelector(":scope > .page-error")?.remove();
      const box = errorBox(error);
      box.classList.add("page-error");
      target.prepend(box);
      return false;
    },
    progress,
  };
}

// A language switch re-renders the page; what the user typed survives it.
function formValuesOf(root) {
  return [...root.querySelectorAll("input[name], textarea[name], select[name]")]
    .map((el) => [el.name, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value]);
}

function restoreFormValues(root, saved) {
  const controls = [...root.querySelectorAll("input[name], textarea[name], select[name]")];
  saved.forEach(([name, value], index) => {
    const el = controls[index]?.name === name ? controls[index] : controls.find((c) => c.name === name);
    if (!el) return;
    if (typeof value === "boolean") el.checked = value;
    else el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

// ------------------------------------------------------------------ start
async function start() {
  document.documentElement.lang = language();
  config = await loadConfig();
  if (config.auth === "cognito") {
    const returnTo = await completeCognitoSignIn(config).catch((err) => {
      console.error(err);
      return "#/signin";
    });
    if (returnTo) history.replaceState(null, "", returnTo);
  }
  api = createApi({
    baseUrl: config.apiUrl,
    getToken: () => freshToken(config),
    onUnauthorized: () => {
      forgetSession(); // the token expired: signed out, but stay on this page
      renderHeader();
    },
  });
  window.addEventListener("hashchange", () => route());
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // "#main" would be taken for a route
    shell.title.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && shell.header.classList.contains("menu-open")) {
      setMenuOpen(false);
      shell.header.querySelector(".menu-toggle")?.focus();
    }
  });
  onLanguageChange(async () => {
    await route({ keepValues: true, focus: false });
    shell.header.querySelector(".lang-switch")?.focus(); // the header was rebuilt under the keyboard user
  });
  await route({ focus: false });
  document.body.dataset.ready = "true"; // the shell is up (tests wait for it)
}

start().catch((err) => {
  console.error(err);
  shell.page.replaceChildren(alertBox("error", t("error.server")));
});
