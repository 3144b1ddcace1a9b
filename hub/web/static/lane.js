// The officer's lane view: follows /api/lanes/{lane}/live (server-sent events) and
// draws each arrival; decisions go to the JSON API with the session's CSRF token.
// Plain DOM calls and textContent only: nothing from the lane is parsed as HTML.
"use strict";
(function () {
  const root = document.getElementById("terminal");
  const lane = root.dataset.lane;
  const csrf = root.dataset.csrf;
  const L = JSON.parse(document.getElementById("labels").textContent);
  const vehicle = document.getElementById("vehicle");
  const items = document.getElementById("items");
  const form = document.getElementById("decide");
  const result = document.getElementById("result");
  const link = document.getElementById("link");
  let current = null;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function draw(view) {
    const a = view.arrival;
    current = a;
    vehicle.replaceChildren();
    items.hidden = true;
    form.hidden = true;
    if (!a) { vehicle.append(el("p", L.waiting, "muted")); return; }
    const best = a.best;
    const reading = a.sighting.readings.find(r => r.rank === 0) || a.sighting.readings[0];
    const head = el("p", null, "plate-line");
    head.append(el("strong", reading ? reading.text : "—", "plate"));
    if (reading) head.append(el("span", " " + L.confidence + " " + Math.round(reading.confidence * 100) + "%", "muted"));
    vehicle.append(head);
    const verdict = !best ? L.no_match : best.level === "match" ? L.match : L.probable;
    const cls = !best ? "bad" : best.level === "match" ? "good" : "warn";
    const line = el("p", verdict, "verdict " + cls);
    line.dataset.level = best ? best.level : "none";
    if (best) line.append(el("span", " " + best.notification + " / " + best.amendment + " (" + Math.round(best.score * 100) + "%)"));
    vehicle.append(line);
    if (best && best.tractor_changed) vehicle.append(el("p", L.tractor_changed, "verdict warn"));
    if (a.notification && a.notification.amended_since) vehicle.append(el("p", L.amended, "verdict warn"));
    if (best) for (const reason of best.reasons) vehicle.append(el("p", reason, "muted"));
    vehicle.append(el("p", L.booking + ": " + (a.booking ? a.booking.tractor + " · " + a.booking.state : L.none)));
    for (const ev of a.sighting.evidence) {
      // The crop comes from the lane device after its event; until then, its hash.
      const img = el("img", null, "evidence");
      img.alt = L.evidence + " " + ev.sha256.slice(0, 16);
      img.src = "/api/evidence/" + ev.sha256;
      img.addEventListener("error", () => img.replaceWith(el("p", L.evidence + ": " + ev.sha256.slice(0, 16) + "…", "muted")));
      vehicle.append(img);
    }
    const rows = best ? best.items : a.sighting.codes.map(c => ({kind: c.kind || "code", code: c.code, status: "seen_not_declared"}));
    const body = items.tBodies[0];
    body.replaceChildren();
    for (const item of rows) {
      const tr = el("tr", null, item.status === "declared_seen" ? "" : "discrepancy");
      tr.dataset.status = item.status;
      tr.append(el("td", item.kind), el("td", item.code), el("td", L[item.status] || item.status));
      body.append(tr);
    }
    items.hidden = rows.length === 0;
    form.hidden = a.decided;
    if (a.decided) vehicle.append(el("p", L.decided, "verdict good"));
    for (const id of a.certificates || []) {
      const p = el("p", L.certificate + " ", "notice");
      const open = el("a", id);
      open.href = "/officer/certificates/" + encodeURIComponent(id);
      p.append(open);
      vehicle.append(p);
    }
  }

  function follow() {
    const source = new EventSource("/api/lanes/" + encodeURIComponent(lane) + "/live");
    source.addEventListener("open", () => { link.textContent = L.live; });
    source.addEventListener("error", () => { link.textContent = L.offline; });
    source.addEventListener("arrival", e => draw(JSON.parse(e.data)));
  }

  form.addEventListener("submit", async e => {
    e.preventDefault();
    if (!current) return;
    const data = new FormData(form);
    const response = await fetch("/api/arrivals/" + current.id + "/decision", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({action: e.submitter.value, seals: data.get("seals"), remarks: data.get("remarks")}),
    });
    // The login closed (idle or expired): log in again rather than fail here for good.
    if (response.status === 401) { window.location.assign("/login"); return; }
    const answer = await response.json();
    result.textContent = response.ok ? L.saved + " (" + answer.queue + ")" : L.failed + ": " + (answer.detail || response.status);
    result.className = response.ok ? "notice" : "notice bad";
    result.dataset.action = response.ok ? answer.action : "";
  });
  follow();
})();
