// emp-edge pages: live updates over Server-Sent Events. No inline scripts anywhere (CSP).
"use strict";

function valueAt(data, path) {
  return path.split(".").reduce((node, key) => (node == null ? undefined : node[key]), data);
}

function fillTable(table, rows) {
  const body = table.tBodies[0];
  const columns = JSON.parse(table.dataset.liveColumns || "[]");
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement("tr");
      if (row.state) tr.className = "state-" + row.state;
      for (const column of columns) {
        const td = document.createElement("td");
        td.textContent = row[column] == null ? "" : String(row[column]);
        tr.appendChild(td);
      }
      return tr;
    })
  );
}

function apply(root, data) {
  for (const el of root.querySelectorAll("[data-live]")) {
    const value = valueAt(data, el.dataset.live);
    if (value !== undefined) el.textContent = value == null ? "—" : String(value);
  }
  for (const table of root.querySelectorAll("[data-live-table]")) {
    const rows = valueAt(data, table.dataset.liveTable);
    if (Array.isArray(rows)) fillTable(table, rows);
  }
  for (const el of root.querySelectorAll("[data-live-empty]")) {
    const rows = valueAt(data, el.dataset.liveEmpty);
    el.hidden = Array.isArray(rows) && rows.length > 0;
  }
  for (const el of root.querySelectorAll("[data-live-show]")) {
    el.hidden = !valueAt(data, el.dataset.liveShow);
  }
  for (const bar of root.querySelectorAll("progress[data-live-value]")) {
    const value = valueAt(data, bar.dataset.liveValue);
    const max = valueAt(data, bar.dataset.liveMax);
    if (typeof max === "number" && max > 0) bar.max = max;
    if (typeof value === "number") bar.value = value;
  }
}

function listen(root) {
  const source = new EventSource(root.dataset.liveSource);
  root.dataset.liveState = "connecting";
  source.onopen = () => { root.dataset.liveState = "open"; };
  source.onerror = () => { root.dataset.liveState = "retrying"; };
  const handle = (event) => {
    const data = JSON.parse(event.data);
    apply(root, data);
    root.dataset.liveUpdated = String(Date.now());
    if (data.finished) {
      source.close();
      root.dataset.liveState = "finished";
    }
  };
  for (const name of (root.dataset.liveEvents || "status,progress").split(",")) {
    source.addEventListener(name, handle);
  }
}

function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live-source]").forEach(listen);
  confirmations();
});
