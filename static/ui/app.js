// edgeca's inventory page: the CA, the certificates (filters, pages), the expiry timeline, a certificate's
// detail and revocation. It talks only to the public API on this origin with the token the user pasted
// (kept in sessionStorage, so it ends with the tab), and can therefore never do what that token cannot.
import { ApiFailure, getCertificate, health, listCertificates, revokeCertificate, trustBundle } from "./api.js";
import { DAY_MS, HORIZON_DAYS, daysLeft, isAtRisk, renderTimeline, stateOf } from "./timeline.js";

const TOKEN_KEY = "edgeca.token";
const PAGE = 50;
/** The timeline reads at most this many pages of 500: enough for a mesh, bounded for a browser. */
const TIMELINE_PAGES = 10;

const $ = (id) => document.getElementById(id);

/** Builds an element; strings become text nodes (never HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

const app = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  cursor: null,
  filters: {},
  ca: { anchors: [], issuing: undefined, previous: undefined },
  timelineCerts: [],
  current: undefined,
};

// ---- formatting ------------------------------------------------------------------------------------------

const when = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : "—");
const fingerprint = (hex) => (hex ?? "").toUpperCase().match(/.{2}/g)?.join(":") ?? "";
function relative(iso) {
  const ms = Date.parse(iso) - Date.now();
  const d = Math.floor(Math.abs(ms) / DAY_MS);
  const h = Math.floor(Math.abs(ms) / 3_600_000);
  const span = d >= 2 ? `${d} d` : `${h} h`;
  return ms <= 0 ? `expired ${span} ago` : `in ${span}`;
}

function badge(state) {
  return el("span", { class: `badge ${state}` }, state);
}

function stateBadges(c, now = Date.now()) {
  const s = stateOf(c, now);
  return [badge(s), isAtRisk(c, now) ? el("span", { class: "badge risk" }, "at risk") : null];
}

// ---- messages --------------------------------------------------------------------------------------------

function showError(error) {
  const f = error instanceof ApiFailure ? error : new ApiFailure(0, undefined, String(error?.message ?? error));
  $("alert-title").textContent = f.title;
  $("alert-detail").textContent = f.message;
  $("alert-meta").textContent = f.meta;
  $("alert").hidden = false;
  if (f.status === 401) disconnect(false);
}

function clearError() {
  $("alert").hidden = true;
}

let toastTimer;
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 5000);
}

// ---- session ---------------------------------------------------------------------------------------------

function disconnect(clearAlert = true) {
  app.token = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  $("session").hidden = true;
  $("connect").hidden = false;
  if (clearAlert) clearError();
  $("certs").tBodies[0].replaceChildren();
  $("certs-count").textContent = "";
  $("load-more").hidden = true;
  $("timeline").replaceChildren(el("p", { class: "muted" }, "Connect to see the timeline."));
  for (const id of ["stat-risk7", "stat-risk30", "stat-90", "stat-renewed"]) $(id).textContent = "–";
  closeDetail();
  $("token-input").focus();
}

async function connect(token) {
  clearError();
  try {
    // One cheap call proves the token before it is kept.
    await listCertificates(token, { limit: 1 });
  } catch (error) {
    showError(error);
    return;
  }
  app.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("connect").hidden = true;
  $("session").hidden = false;
  $("token-input").value = "";
  await Promise.all([loadTimeline(), loadTable(true)]);
  openFromHash();
}

// ---- the CA ----------------------------------------------------------------------------------------------

function caEntry(role, c) {
  const left = Math.floor((Date.parse(c.not_after) - Date.now()) / DAY_MS);
  return el(
    "div",
    { class: "ca-entry" },
    el("div", { class: "ca-role" }, role),
    el("div", { class: "ca-subject" }, c.subject),
    el("dl", { class: "kv" },
      el("dt", {}, "SHA-256"),
      el("dd", { class: "mono fp" }, fingerprint(c.sha256_fingerprint)),
      el("dt", {}, "Valid"),
      el("dd", {}, `${c.not_before ? `${when(c.not_before)} → ` : "until "}${when(c.not_after)}`, el("span", { class: left < 90 ? "pill warn" : "pill" }, `${left} d left`)),
      c.key_algorithm ? [el("dt", {}, "Key"), el("dd", {}, c.key_algorithm)] : null,
    ),
  );
}

async function loadCa() {
  try {
    const [bundle, status] = await Promise.all([trustBundle(), health().catch(() => undefined)]);
    app.ca.anchors = bundle.certificates;
    app.ca.issuing = status?.ca;
    app.ca.previous = status?.previous_ca ?? undefined;
    const body = $("ca-body");
    body.replaceChildren();
    const anchorFps = new Set(bundle.certificates.map((c) => c.sha256_fingerprint));
    if (status?.ca && !anchorFps.has(status.ca.sha256_fingerprint)) body.append(caEntry("Issuing CA", status.ca));
    if (status?.previous_ca) body.append(caEntry("Previous issuing CA (signs its CRL only)", status.previous_ca));
    for (const c of bundle.certificates) body.append(caEntry(anchorFps.size > 1 ? "Trust anchor (ca.crt)" : "Root · ca.crt", c));
  } catch (error) {
    $("ca-body").replaceChildren(el("p", { class: "muted" }, "The CA could not be loaded."));
    showError(error);
  }
}

// ---- timeline and figures --------------------------------------------------------------------------------

async function loadTimeline() {
  const certs = [];
  try {
    let cursor;
    for (let page = 0; page < TIMELINE_PAGES; page++) {
      const res = await listCertificates(app.token, { status: "active", expiringWithin: `${HORIZON_DAYS}d`, limit: 500, cursor });
      certs.push(...res.certificates);
      cursor = res.next_cursor;
      if (!cursor) break;
    }
  } catch (error) {
    showError(error);
    return;
  }
  app.timelineCerts = certs;
  const now = Date.now();
  $("stat-risk7").textContent = String(certs.filter((c) => isAtRisk(c, now, 7)).length);
  $("stat-risk30").textContent = String(certs.filter((c) => isAtRisk(c, now, 30)).length);
  $("stat-90").textContent = String(certs.length);
  $("stat-renewed").textContent = certs.some((c) => "renewed_by" in c) ? String(certs.filter((c) => stateOf(c, now) === "renewed").length) : "n/a";
  drawTimeline();
}

function drawTimeline() {
  if (app.token) renderTimeline($("timeline"), app.timelineCerts, Date.now(), (serial) => (location.hash = `#cert=${serial}`));
}

// ---- the table -------------------------------------------------------------------------------------------

function readFilters() {
  return {
    hostname: $("f-name").value.trim(),
    principal: $("f-token").value.trim(),
    subject: $("f-subject").value.trim(),
    state: $("f-state").value,
    risk: $("f-risk").value,
  };
}

/** The API query for the filters; `renewed` narrows on services that track renewals and is ignored elsewhere. */
function queryFor(f) {
  const q = { hostname: f.hostname || undefined, principal: f.principal || undefined, subject: f.subject || undefined };
  if (f.risk) return { ...q, status: "active", renewed: false, expiringWithin: f.risk };
  if (f.state === "active") return { ...q, status: "active", renewed: false };
  if (f.state === "renewed") return { ...q, status: "active", renewed: true };
  if (f.state) return { ...q, status: f.state };
  return q;
}

/** The same filters applied to each row, so an older service that ignores `renewed` still shows the truth. */
function matches(c, f, now) {
  if (f.state && stateOf(c, now) !== f.state) return false;
  if (f.risk && !isAtRisk(c, now, Number.parseInt(f.risk, 10))) return false;
  return true;
}

/** The token's name; for an OIDC caller, its trust policy's name and the token's sub (one policy serves many pipelines or namespaces). */
function principalView(c) {
  return [el("span", {}, c.token_name ?? "—"), c.principal_subject ? el("span", { class: "principal-sub mono", title: "OIDC subject (sub)" }, c.principal_subject) : null];
}

function row(c, now) {
  const names = c.hostnames;
  const left = daysLeft(c, now);
  const open = () => (location.hash = `#cert=${c.serial_number}`);
  return el(
    "tr",
    { "data-serial": c.serial_number, class: isAtRisk(c, now) ? "at-risk" : undefined, onclick: open },
    el("td", { class: "names" }, el("span", { class: "name" }, names[0] ?? "—"), names.length > 1 ? el("span", { class: "more" }, ` +${names.length - 1}`) : null),
    el("td", { class: "mono serial", title: c.serial_number }, `${c.serial_number.slice(0, 12)}…`),
    el("td", { class: "principal" }, principalView(c)),
    el("td", { class: "state" }, stateBadges(c, now)),
    el("td", { class: "expires" }, el("span", {}, c.not_after.slice(0, 10)), el("span", { class: left <= 30 && stateOf(c, now) === "active" ? "rel warn" : "rel" }, relative(c.not_after))),
    el("td", { class: "actions" }, el("button", { type: "button", class: "small", onclick: (e) => (e.stopPropagation(), open()) }, "Details")),
  );
}

let tableLoads = 0;

async function loadTable(reset) {
  if (!app.token) return;
  if (reset) {
    app.cursor = null;
    app.filters = readFilters();
  }
  // Filters can change while a page is on its way: only the latest request may fill the table.
  const load = ++tableLoads;
  const tbody = $("certs").tBodies[0];
  $("load-more").disabled = true;
  try {
    const res = await listCertificates(app.token, { ...queryFor(app.filters), limit: PAGE, cursor: app.cursor ?? undefined });
    if (load !== tableLoads) return;
    const now = Date.now();
    const rows = res.certificates.filter((c) => matches(c, app.filters, now)).map((c) => row(c, now));
    if (reset) tbody.replaceChildren(...rows);
    else tbody.append(...rows);
    if (tbody.rows.length === 0) tbody.append(el("tr", { class: "empty" }, el("td", { colspan: 6 }, "No certificates match these filters.")));
    app.cursor = res.next_cursor;
    $("load-more").hidden = !res.next_cursor;
    const shown = tbody.querySelectorAll("tr[data-serial]").length;
    $("certs-count").textContent = `${shown} shown${res.next_cursor ? ", more available" : ""}`;
  } catch (error) {
    showError(error);
  } finally {
    $("load-more").disabled = false;
  }
}

// ---- detail ----------------------------------------------------------------------------------------------

function section(title, ...content) {
  return el("section", { class: "detail-section" }, el("h3", {}, title), ...content);
}

function chainView(c) {
  // After a CA rotation's switch, older certificates were issued by the previous CA (CA_PREVIOUS_CERT), which /healthz names too.
  const issuer = [app.ca.issuing, app.ca.previous].find((ca) => ca && ca.sha256_fingerprint === c.issuer_fingerprint);
  const items = [
    el("li", {}, el("span", { class: "chain-role" }, "Leaf"), el("span", {}, c.hostnames[0] ?? c.serial_number), el("span", { class: "mono fp" }, fingerprint(c.sha256_fingerprint))),
    el("li", {}, el("span", { class: "chain-role" }, "Issued by"), el("span", {}, issuer ? issuer.subject : "an issuing CA of this service"), el("span", { class: "mono fp" }, fingerprint(c.issuer_fingerprint))),
  ];
  for (const a of app.ca.anchors) {
    if (a.sha256_fingerprint === c.issuer_fingerprint) continue;
    items.push(el("li", {}, el("span", { class: "chain-role" }, "Trust anchor"), el("span", {}, a.subject), el("span", { class: "mono fp" }, fingerprint(a.sha256_fingerprint))));
  }
  return el("ol", { class: "chain" }, items);
}

function downloadPem(c) {
  const url = URL.createObjectURL(new Blob([c.certificate], { type: "application/x-pem-file" }));
  const a = el("a", { href: url, download: `${c.serial_number}.crt` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderDetail(c) {
  const now = Date.now();
  const total = Date.parse(c.not_after) - Date.parse(c.not_before);
  const elapsed = Math.min(total, Math.max(0, now - Date.parse(c.not_before)));
  $("detail-title").textContent = c.hostnames[0] ?? c.serial_number;
  const renewal =
    c.renewed_by
      ? section("Renewal", el("p", {}, "Renewed by ", el("a", { href: `#cert=${c.renewed_by}`, class: "mono", id: "renewed-by" }, c.renewed_by), c.renewed_at ? ` on ${when(c.renewed_at)}` : "", ". It stays valid until it expires."))
      : "renewed_by" in c && stateOf(c, now) === "active"
        ? section("Renewal", el("p", { class: "muted" }, "Not renewed yet."))
        : null;
  const parts = [
    el("div", { class: "detail-badges" }, stateBadges(c, now)),
    section("Names", el("ul", { class: "chips" }, c.hostnames.map((n) => el("li", { class: "chip" }, n)))),
    section(
      "Validity",
      el("dl", { class: "kv" }, el("dt", {}, "Not before"), el("dd", {}, when(c.not_before)), el("dt", {}, "Not after"), el("dd", {}, when(c.not_after), el("span", { class: "pill" }, relative(c.not_after)))),
      el("progress", { max: total, value: elapsed, class: isAtRisk(c, now) ? "risk" : undefined, "aria-label": "lifetime used" }),
    ),
    renewal,
    c.revoked_at ? section("Revocation", el("dl", { class: "kv" }, el("dt", {}, "Revoked"), el("dd", {}, when(c.revoked_at)), el("dt", {}, "Reason"), el("dd", { id: "revocation-reason" }, c.revocation_reason ?? "unspecified"))) : null,
    section(
      "Certificate",
      el(
        "dl",
        { class: "kv" },
        el("dt", {}, "Serial"), el("dd", { class: "mono", id: "detail-serial" }, c.serial_number),
        el("dt", {}, "Usage"), el("dd", {}, c.usage.join(", ")),
        el("dt", {}, "Key"), el("dd", {}, `${c.key_algorithm} · ${c.key_source === "csr" ? "kept by the requester (CSR)" : "made by the service"}`),
        el("dt", {}, "Principal"), el("dd", { id: "detail-principal" }, principalView(c)),
        el("dt", {}, "Issued"), el("dd", {}, when(c.created_at)),
        el("dt", {}, "Request"), el("dd", { class: "mono" }, c.request_id ?? "—"),
      ),
    ),
    section("Chain", chainView(c)),
    el(
      "div",
      { class: "detail-actions" },
      el("button", { type: "button", id: "download-pem", onclick: () => downloadPem(c) }, "Download PEM"),
      el("button", { type: "button", id: "revoke-open", class: "danger", disabled: stateOf(c, now) === "revoked", onclick: () => openRevoke(c) }, "Revoke…"),
    ),
  ];
  $("detail-body").replaceChildren(...parts.filter(Boolean));
}

async function openDetail(serial) {
  if (!app.token) return;
  $("detail").hidden = false;
  $("detail-body").replaceChildren(el("p", { class: "muted" }, "Loading…"));
  try {
    const c = await getCertificate(app.token, serial);
    app.current = c;
    renderDetail(c);
    for (const tr of document.querySelectorAll("#certs tr.selected")) tr.classList.remove("selected");
    document.querySelector(`#certs tr[data-serial="${CSS.escape(c.serial_number)}"]`)?.classList.add("selected");
  } catch (error) {
    $("detail-body").replaceChildren(el("p", { class: "muted" }, "This certificate could not be loaded."));
    showError(error);
  }
}

function closeDetail() {
  $("detail").hidden = true;
  app.current = undefined;
  for (const tr of document.querySelectorAll("#certs tr.selected")) tr.classList.remove("selected");
}

function openFromHash() {
  const m = /^#cert=([0-9a-fA-F:]{1,64})$/.exec(location.hash);
  if (m) void openDetail(m[1]);
  else closeDetail();
}

// ---- revoke ----------------------------------------------------------------------------------------------

function openRevoke(c) {
  $("revoke-what").replaceChildren(el("span", {}, c.hostnames.join(", ")), el("br"), el("span", { class: "mono" }, c.serial_number));
  $("revoke-reason").value = "";
  $("revoke-confirm").checked = false;
  $("revoke-error").hidden = true;
  $("revoke-submit").disabled = true;
  $("revoke-dialog").showModal();
}

function revokeReady() {
  $("revoke-submit").disabled = !($("revoke-reason").value && $("revoke-confirm").checked);
}

async function submitRevoke(event) {
  event.preventDefault();
  const c = app.current;
  if (!c) return;
  $("revoke-submit").disabled = true;
  try {
    const reason = $("revoke-reason").value;
    await revokeCertificate(app.token, c.serial_number, reason);
    $("revoke-dialog").close();
    toast(`Revoked ${c.serial_number.slice(0, 12)}… (${reason})`);
    await Promise.all([openDetail(c.serial_number), loadTable(true), loadTimeline()]);
  } catch (error) {
    const f = error instanceof ApiFailure ? error : new ApiFailure(0, undefined, String(error));
    $("revoke-error").textContent = `${f.title}: ${f.message}`;
    $("revoke-error").hidden = false;
    revokeReady();
    if (f.status === 401) {
      $("revoke-dialog").close();
      showError(f);
    }
  }
}

// ---- wiring ----------------------------------------------------------------------------------------------

function start() {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("token-input").value.trim();
    if (token) void connect(token);
  });
  $("forget-token").addEventListener("click", () => disconnect());
  $("alert-close").addEventListener("click", clearError);
  $("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    void loadTable(true);
  });
  $("filters").addEventListener("reset", () => setTimeout(() => loadTable(true)));
  for (const id of ["f-state", "f-risk"]) $(id).addEventListener("change", () => loadTable(true));
  $("load-more").addEventListener("click", () => loadTable(false));
  $("detail-close").addEventListener("click", () => {
    history.replaceState(null, "", location.pathname + location.search);
    closeDetail();
  });
  window.addEventListener("hashchange", openFromHash);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("detail").hidden && !$("revoke-dialog").open) $("detail-close").click();
  });
  $("revoke-reason").addEventListener("change", revokeReady);
  $("revoke-confirm").addEventListener("change", revokeReady);
  $("revoke-form").addEventListener("submit", submitRevoke);
  $("revoke-cancel").addEventListener("click", () => $("revoke-dialog").close());
  let resizeTimer;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawTimeline, 150);
  });

  void loadCa();
  if (app.token) void connect(app.token);
  else disconnect();
}

start();
