// The page registry: which pages exist, their address, title and who may open them.
// To add a page: write web/pages/<id>.js (exporting `strings` and `render`), add its entry here
// and its menu title (titleKey, descKey) to web/js/strings.js.
import { registerStrings } from "./i18n.js";
import { hasRole } from "./auth.js";

export const SIGNED_IN = "*"; // roles: any signed-in user

/**
 * id: the module web/pages/<id>.js and the strings table name; path: the hash route;
 * public: true = anyone, signed in or not; roles: the roles that may open it (or SIGNED_IN);
 * menu: false keeps it out of the menu. Menu order is the order here.
 */
export const pages = [
  { id: "signin", path: "/signin", titleKey: "page.signin", public: true, menu: false,
    load: () => import("../pages/signin.js") },
  { id: "home", path: "/home", titleKey: "page.home", descKey: "page.home.desc", roles: SIGNED_IN,
    load: () => import("../pages/home.js") },
  { id: "repairs", path: "/repairs", titleKey: "page.repairs", descKey: "page.repairs.desc",
    roles: ["student", "worker", "dispatcher", "dorm_manager", "counsellor", "finance", "leader", "admin"],
    load: () => import("../pages/repairs.js") },
  { id: "worker", path: "/worker", titleKey: "page.worker", descKey: "page.worker.desc", roles: ["worker"],
    load: () => import("../pages/worker.js") },
  { id: "desk", path: "/desk", titleKey: "page.desk", descKey: "page.desk.desc", roles: ["dispatcher", "leader"],
    load: () => import("../pages/desk.js") },
  { id: "kpis", path: "/kpis", titleKey: "page.kpis", descKey: "page.kpis.desc", roles: ["dispatcher", "leader", "worker"],
    load: () => import("../pages/kpis.js") },
  { id: "alarms", path: "/alarms", titleKey: "page.alarms", descKey: "page.alarms.desc",
    roles: ["dispatcher", "dorm_manager", "counsellor", "worker", "leader", "admin"], load: () => import("../pages/alarms.js") },
  { id: "rolls", path: "/rolls", titleKey: "page.rolls", descKey: "page.rolls.desc",
    roles: ["dorm_manager", "dispatcher", "leader", "admin"], load: () => import("../pages/rolls.js") },
  { id: "dorm-map", path: "/dorm-map", titleKey: "page.dorm-map", descKey: "page.dorm-map.desc",
    roles: ["dorm_manager", "leader", "admin"], load: () => import("../pages/dorm-map.js") },
  { id: "dorm-reports", path: "/dorm-reports", titleKey: "page.dorm-reports", descKey: "page.dorm-reports.desc",
    roles: ["dorm_manager", "counsellor", "leader", "admin"], load: () => import("../pages/dorm-reports.js") },
  { id: "beds", path: "/beds", titleKey: "page.beds", descKey: "page.beds.desc", roles: ["dorm_manager", "admin"],
    load: () => import("../pages/beds.js") },
  { id: "parent", path: "/parent", titleKey: "page.parent", descKey: "page.parent.desc", roles: ["parent"],
    load: () => import("../pages/parent.js") },
  { id: "payroll", path: "/payroll", titleKey: "page.payroll", descKey: "page.payroll.desc",
    roles: ["finance", "leader", "admin"], load: () => import("../pages/payroll.js") },
  { id: "payslips", path: "/payslips", titleKey: "page.payslips", descKey: "page.payslips.desc",
    roles: ["staff", "manager", "worker", "dispatcher", "dorm_manager", "finance", "leader", "admin"],
    load: () => import("../pages/payslips.js") },
  { id: "attendance", path: "/attendance", titleKey: "page.attendance", descKey: "page.attendance.desc",
    roles: ["staff", "manager"], load: () => import("../pages/attendance.js") },
  { id: "worklog", path: "/worklog", titleKey: "page.worklog", descKey: "page.worklog.desc", roles: ["staff"],
    load: () => import("../pages/worklog.js") },
  { id: "team", path: "/team", titleKey: "page.team", descKey: "page.team.desc", roles: ["manager"],
    load: () => import("../pages/team.js") },
  { id: "terminals", path: "/terminals", titleKey: "page.terminals", descKey: "page.terminals.desc",
    roles: ["admin"], load: () => import("../pages/terminals.js") },
  { id: "complaints", path: "/complaints", titleKey: "page.complaints", descKey: "page.complaints.desc",
    roles: ["leader", "admin", "dispatcher", "staff", "manager", "worker", "dorm_manager", "finance"],
    load: () => import("../pages/complaints.js") },
  { id: "board", path: "/board", titleKey: "page.board", descKey: "page.board.desc", public: true,
    load: () => import("../pages/board.js") },
  { id: "opinions", path: "/opinions", titleKey: "page.opinions", descKey: "page.opinions.desc", public: true,
    load: () => import("../pages/opinions.js") },
  // For programmers (a card system, a parents' app): linked from the README and docs/api.md, not the menu.
  { id: "api", path: "/api", titleKey: "page.api", descKey: "page.api.desc", public: true, menu: false,
    load: () => import("../pages/api.js") },
];

export function pageAt(path) {
  return pages.find((page) => page.path === path) || null;
}

export function mayUse(page, user) {
  if (page.public) return true;
  if (page.roles === SIGNED_IN) return Boolean(user);
  return hasRole(user, page.roles || []);
}

/** The pages in the menu for this user (null = signed out): public pages and those of their roles. */
export function menuFor(user) {
  return pages.filter((page) => page.menu !== false && mayUse(page, user));
}

const modules = new Map();

/** The page's module, its strings registered under the page id. */
export function loadPage(page) {
  if (!modules.has(page.id)) {
    modules.set(page.id, page.load().then((module) => {
      registerStrings(page.id, module.strings);
      return module;
    }, (err) => {
      modules.delete(page.id); // let a retry load it again
      throw err;
    }));
  }
  return modules.get(page.id);
}

/** Every page module (the translation check covers them all). */
export function loadAllPages() {
  return Promise.all(pages.map(loadPage));
}
