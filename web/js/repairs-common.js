// Shared by the repair pages (我的报修, 维修任务): the live time-limit clock of a ticket.
import { OPEN_STATES, slaBadge } from "./labels.js";
import { h } from "./ui.js";
import { nowMs } from "./config.js";

/**
 * A time-limit badge that counts down by itself: `live.clock(ticket)` returns an element the
 * ticker refreshes every second until the page is left.
 */
export function liveSla(signal) {
  const clocks = new Set();
  const timer = setInterval(() => {
    for (const el of clocks) {
      if (!el.isConnected) clocks.delete(el);
      else el.replaceChildren(slaNow(el.ticket));
    }
  }, 1000);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  return {
    clock(ticket) {
      const el = h("span", { class: "sla-clock" }, slaNow(ticket));
      el.ticket = ticket;
      if (ticket.sla && OPEN_STATES.has(ticket.state) && ticket.state !== "on_hold") clocks.add(el);
      return el;
    },
  };
}

function slaNow(ticket) {
  const sla = ticket.sla;
  if (!sla || (sla.met === null && !OPEN_STATES.has(ticket.state))) return "—"; // cancelled, or closed unfinished
  if (sla.met !== null && sla.met !== undefined) return slaBadge({ met: sla.met });
  if (sla.paused || ticket.state === "on_hold") return slaBadge({ paused: true });
  return slaBadge({ secondsLeft: Math.round((Date.parse(sla.deadline) - nowMs()) / 1000) });
}

