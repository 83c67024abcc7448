// The matter page's slider and known-at selector: replay the status in place from the JSON API.
// Without this script the page works through its links and its GET form. Text only (never HTML).
"use strict";
(function () {
  const controls = document.getElementById("controls");
  const slider = document.getElementById("slider");
  if (!controls || !window.fetch) return;
  const matter = controls.dataset.matter;
  const policy = controls.dataset.policy || "latest";
  const windowDays = controls.dataset.window || "0";
  const dates = slider ? slider.dataset.dates.split(",") : [];
  const knownAt = document.getElementById("known-at");
  const dateInput = document.getElementById("as-of-input");
  const prefix = { exact: "", at_least: "\u2265", at_most: "\u2264", approx: "~" };
  let asked = 0;

  function figureText(f) {  // as ledger/web/pages.py figure_text
    return f.qualifier === "range" ? f.low + "\u2013" + f.high : prefix[f.qualifier] + f.value;
  }
  function sourceText(s) { return s.person ? s.organization + " (" + s.person + ")" : s.organization; }
  function params(asOf) {
    const p = new URLSearchParams({ as_of: asOf, policy: policy });
    if (windowDays !== "0") p.set("window", windowDays);
    const k = knownAt ? knownAt.value : controls.dataset.knownAt;
    if (k) p.set("known_at", k);
    return p;
  }
  function setText(row, cls, text) { row.querySelector("." + cls).textContent = text; }
  function link(href, text) {
    const a = document.createElement("a");
    a.href = href; a.textContent = text; return a;
  }

  function show(report, query) {
    document.getElementById("as-of").textContent = report.as_of;
    document.querySelectorAll(".snap-as-of").forEach(e => { e.textContent = report.as_of; });
    for (const row of document.querySelectorAll("#status-table tr[data-category]")) {
      const f = report.figures[row.dataset.category];
      const cell = row.querySelector(".figure");
      const statementCell = row.querySelector(".statement");
      cell.replaceChildren(); statementCell.replaceChildren();
      if (f) {
        const href = "/statements/" + encodeURIComponent(f.statement) + "?" + query;
        cell.className = "num figure";
        cell.dataset.value = f.qualifier === "range" ? f.low + "-" + f.high : String(f.value);
        cell.append(link(href, figureText(f)));
        statementCell.append(link(href, f.statement));
        setText(row, "as-of", f.as_of); setText(row, "stated-on", f.stated_on);
        setText(row, "source", sourceText(f.source));
      } else {
        const derived = report.derived[row.dataset.category];
        cell.className = "num figure none";
        cell.dataset.value = "";
        cell.textContent = derived ? derived.text + " (derived)" : "no figure yet";
        for (const c of ["as-of", "stated-on", "source"]) setText(row, c, "");
      }
    }
    const list = document.getElementById("discrepancies");
    list.replaceChildren();
    for (const d of report.discrepancies) {
      const div = document.createElement("div");
      const code = document.createElement("code");
      div.className = "discrepancy " + d.kind;
      code.textContent = d.kind;
      div.append(code, " " + d.message);
      list.append(div);
    }
    if (!report.discrepancies.length) {
      const p = document.createElement("p");
      p.className = "muted"; p.textContent = "None.";
      list.append(p);
    }
    redrawChart(report.as_of, query);
    const permalink = "/matters/" + encodeURIComponent(matter) + "?" + query;
    document.getElementById("permalink").href = permalink;
    history.replaceState(null, "", permalink);
    document.body.dataset.asOf = report.as_of;
  }

  // The timelines follow the slider: the chart of the new date is asked for once the slider
  // rests (drawing one takes the server a moment), and shown when it has loaded.
  let chartTimer = 0;
  function redrawChart(asOf, query) {
    const img = document.getElementById("chart-img");
    if (!img) return;
    clearTimeout(chartTimer);
    chartTimer = setTimeout(() => {
      const next = new Image();
      next.onload = () => {
        img.src = next.src;
        img.dataset.asOf = asOf;
        img.alt = "Timelines of " + matter + " as of " + asOf;
      };
      next.src = "/matters/" + encodeURIComponent(matter) + "/chart.svg?" + query;
    }, 300);
  }

  async function replay(asOf) {
    const query = params(asOf).toString();
    const mine = ++asked;
    document.body.dataset.loading = "1";
    try {
      const response = await fetch("/api/matters/" + encodeURIComponent(matter) + "/status?" + query);
      if (mine !== asked) return;  // a later move of the slider won
      if (!response.ok) {
        document.body.dataset.error = String(response.status);
        return;
      }
      delete document.body.dataset.error;
      show(await response.json(), query);
      if (dateInput) dateInput.value = asOf;
    } finally {
      if (mine === asked) delete document.body.dataset.loading;
    }
  }

  if (slider) slider.addEventListener("input", () => replay(dates[Number(slider.value)]));
  if (dateInput) dateInput.addEventListener("change", () => { if (dateInput.value) replay(dateInput.value); });
  if (knownAt) knownAt.addEventListener("change", () => {
    // what the ledger knew changes the slider's stops too: reload the page for them
    window.location.assign("/matters/" + encodeURIComponent(matter) + "?" + params(dateInput.value).toString());
  });
  document.body.dataset.ready = "1";
})();
