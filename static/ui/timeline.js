// What a certificate's state is, when it is at risk, and the expiry timeline: an SVG dot plot of notAfter
// over the next 90 days, one column per day, at-risk certificates in the risk colour. Drawn with DOM calls
// only (no innerHTML, no style attributes), so it runs under the page's strict CSP.

export const DAY_MS = 86_400_000;
/** The definition of "at risk" uses a window; the page highlights the 30-day one by default. */
export const RISK_DAYS = 30;
export const HORIZON_DAYS = 90;

/** active, renewed (still valid, a successor exists), revoked or expired. */
export function stateOf(c, now) {
  if (c.status === "revoked" || c.revoked_at) return "revoked";
  if (c.status === "expired" || Date.parse(c.not_after) <= now) return "expired";
  if (c.renewed_by || c.status === "renewed") return "renewed";
  return "active";
}

/** At risk: active (not revoked, not expired), not renewed, and expiring within `days`. */
export function isAtRisk(c, now, days = RISK_DAYS) {
  return stateOf(c, now) === "active" && Date.parse(c.not_after) - now <= days * DAY_MS;
}

/** Whole days left (negative once expired). */
export const daysLeft = (c, now) => Math.floor((Date.parse(c.not_after) - now) / DAY_MS);

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const shortDate = (t) => new Date(t).toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });

/**
 * Draws `certs` (those expiring within the horizon) into `container`. `onSelect(serial)` runs when a dot is
 * clicked or activated with the keyboard.
 */
export function renderTimeline(container, certs, now, onSelect) {
  const width = Math.max(480, Math.floor(container.clientWidth || 960));
  const height = 190;
  const m = { left: 16, right: 16, top: 22, bottom: 30 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const x = (t) => m.left + ((t - now) / (HORIZON_DAYS * DAY_MS)) * plotW;
  const baseline = m.top + plotH;

  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "timeline-svg" });
  root.append(svg("title", {}, `Certificate expiries over the next ${HORIZON_DAYS} days`));

  // The at-risk window, then a week grid with date labels.
  root.append(svg("rect", { class: "risk-zone", x: x(now), y: m.top, width: x(now + RISK_DAYS * DAY_MS) - x(now), height: plotH }));
  root.append(svg("text", { class: "zone-label", x: x(now) + 6, y: m.top - 8 }, `at-risk window · ${RISK_DAYS} days`));
  for (let d = 0; d <= HORIZON_DAYS; d += 7) {
    const gx = x(now + d * DAY_MS);
    root.append(svg("line", { class: d === 0 ? "today" : "grid", x1: gx, x2: gx, y1: m.top, y2: baseline }));
    root.append(svg("text", { class: "tick", x: gx, y: baseline + 18, "text-anchor": d === 0 ? "start" : d === HORIZON_DAYS - (HORIZON_DAYS % 7) ? "end" : "middle" }, d === 0 ? "today" : shortDate(now + d * DAY_MS)));
  }
  root.append(svg("line", { class: "axis", x1: m.left, x2: width - m.right, y1: baseline, y2: baseline }));

  // One column per day; each certificate a dot stacked upwards, the at-risk ones at the bottom.
  const r = Math.max(3, Math.min(6, plotW / HORIZON_DAYS / 2 - 0.5));
  const step = 2 * r + 2;
  const perColumn = Math.max(1, Math.floor(plotH / step));
  const columns = new Map();
  const order = { active: 1, renewed: 2 };
  const visible = certs
    .filter((c) => {
      const t = Date.parse(c.not_after);
      return t > now && t <= now + HORIZON_DAYS * DAY_MS && stateOf(c, now) !== "revoked";
    })
    .sort((a, b) => (isAtRisk(b, now) ? 1 : 0) - (isAtRisk(a, now) ? 1 : 0) || (order[stateOf(a, now)] ?? 3) - (order[stateOf(b, now)] ?? 3));
  for (const c of visible) {
    const day = Math.floor((Date.parse(c.not_after) - now) / DAY_MS);
    const column = columns.get(day) ?? [];
    column.push(c);
    columns.set(day, column);
  }
  const dots = svg("g", { class: "dots" });
  for (const [day, column] of columns) {
    const cx = x(now + (day + 0.5) * DAY_MS);
    column.slice(0, perColumn).forEach((c, i) => {
      const kind = isAtRisk(c, now) ? "risk" : stateOf(c, now) === "renewed" ? "renewed" : "ok";
      const dot = svg("circle", { class: `dot ${kind}`, cx, cy: baseline - r - 1 - i * step, r, tabindex: 0, role: "button", "data-serial": c.serial_number });
      const names = c.hostnames.slice(0, 3).join(", ") + (c.hostnames.length > 3 ? ` +${c.hostnames.length - 3}` : "");
      dot.append(svg("title", {}, `${names}\nexpires ${c.not_after.slice(0, 16).replace("T", " ")} UTC (${daysLeft(c, now)} d)${kind === "risk" ? " · at risk" : kind === "renewed" ? " · renewed" : ""}`));
      dot.addEventListener("click", () => onSelect(c.serial_number));
      dot.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onSelect(c.serial_number);
        }
      });
      dots.append(dot);
    });
    if (column.length > perColumn) root.append(svg("text", { class: "overflow", x: cx, y: m.top + 10, "text-anchor": "middle" }, `+${column.length - perColumn}`));
  }
  root.append(dots);
  if (visible.length === 0) root.append(svg("text", { class: "empty", x: width / 2, y: m.top + plotH / 2, "text-anchor": "middle" }, `Nothing expires in the next ${HORIZON_DAYS} days.`));
  container.replaceChildren(root);
}
