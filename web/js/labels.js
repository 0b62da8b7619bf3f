// Names of things several pages show: places, roles, ticket vocabulary (texts in strings.js).
import { fmt, language, t } from "./i18n.js";
import { badge } from "./ui.js";

const DIGITS = "零一二三四五六七八九十"; // numerals, not words (i18n-exempt)

/** 1..99 in Chinese numerals, as building names use them (松北九公寓, 江南十二公寓). */
export function chineseNumber(n) {
  if (n < 10) return DIGITS[n];
  const tens = Math.floor(n / 10), ones = n % 10;
  return `${tens > 1 ? DIGITS[tens] : ""}${DIGITS[10]}${ones ? DIGITS[ones] : ""}`;
}

export function campusName(campusId) {
  return campusId ? t(`campus.${campusId}`) : "—";
}

/** "SB03" -> 松北三公寓 / Songbei Dorm 3; no building -> the campus's public area. */
export function placeName(campusId, buildingId) {
  const campus = campusName(campusId);
  if (!buildingId) return t("place.public", { campus });
  const number = Number.parseInt(buildingId.replace(/^\D+/, ""), 10);
  if (Number.isNaN(number)) return buildingId;
  return t("place.building", { campus, number: language() === "zh-CN" ? chineseNumber(number) : number });
}

export function roleNames(roles) {
  return (roles || []).map((role) => t(`role.${role}`)).join(t("list.separator"));
}

// Ticket states a clock runs in (the time limit still counts), and those a fee is final in.
export const OPEN_STATES = new Set(["submitted", "dispatched", "accepted", "in_progress", "on_hold"]);
export const FINISHED_STATES = new Set(["completed", "confirmed", "closed"]);

export const ticketState = (state) => t(`ticket.state.${state}`);
export const ticketCategory = (category) => t(`ticket.category.${category}`);
export const ticketSeverity = (severity) => t(`ticket.severity.${severity}`);

const STATE_TONES = {
  submitted: "warn", dispatched: "info", accepted: "info", in_progress: "info", on_hold: "warn",
  completed: "success", confirmed: "success", closed: "neutral", cancelled: "neutral", cannot_do: "danger",
};

/** A ticket state as a coloured badge. */
export function ticketStateBadge(state) {
  return badge(ticketState(state), STATE_TONES[state] || "neutral");
}

/**
 * The SLA clock as a badge: met / missed once completed, else time left or overdue.
 * `secondsLeft` is negative when overdue; `paused` while on hold.
 */
export function slaBadge({ met = null, paused = false, secondsLeft = null }) {
  if (met === true) return badge(t("ticket.sla.met"), "success");
  if (met === false) return badge(t("ticket.sla.missed"), "danger");
  if (paused) return badge(t("ticket.sla.paused"), "warn");
  if (secondsLeft === null) return "—";
  return secondsLeft >= 0 ? badge(t("ticket.sla.left", { time: fmt.duration(secondsLeft) }), "info")
    : badge(t("ticket.sla.overdue", { time: fmt.duration(-secondsLeft) }), "danger");
}

// The opinion board's vocabulary (the public board and the complaint desk).
export const opinionType = (type) => t(`opinion.type.${type}`);
export const opinionCategory = (category) => t(`opinion.category.${category}`);
export const opinionState = (state) => t(`opinion.state.${state}`);

const OPINION_TONES = { open: "warn", intake: "warn", investigating: "info", with_unit: "info", replied: "success",
  fixed: "success", archived: "neutral" };

/** An opinion's state as a coloured badge. */
export function opinionStateBadge(state) {
  return badge(opinionState(state), OPINION_TONES[state] || "neutral");
}
