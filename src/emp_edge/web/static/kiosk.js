// emp-edge kiosk screen: taps and reader states arrive over Server-Sent Events.
// No inline scripts anywhere (CSP). The texts come translated from the server.
"use strict";

(() => {
  const screen = document.querySelector("[data-kiosk-source]");
  if (!screen) return;
  const idle = screen.querySelector("section.idle");
  const result = screen.querySelector("section.result");
  const offline = screen.querySelector(".banner.offline");
  const connection = screen.querySelector(".banner.connection");
  const shown = result.querySelector("dl.shown");
  const resultMs = Number(screen.dataset.resultMs) || 4000;
  const labels = JSON.parse(screen.dataset.shownLabels || "{}");
  // how long the server may be out of reach before the screen says so
  const CONNECTION_GRACE_MS = 5000;
  let idleTimer = 0;
  let connectionTimer = 0;

  function fill(root, data) {
    for (const el of root.querySelectorAll("[data-field]")) {
      const value = data[el.dataset.field];
      if (value === undefined) continue;
      el.textContent = value == null ? "" : String(value);
      el.hidden = el.textContent === "";
    }
  }

  function fillShown(details) {
    const items = [];
    for (const [key, value] of Object.entries(details || {})) {
      if (value == null || value === "") continue;
      const dt = document.createElement("dt");
      dt.textContent = labels[key] || key;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      items.push(dt, dd);
    }
    shown.replaceChildren(...items);
    shown.hidden = items.length === 0;
  }

  function showIdle() {
    idleTimer = 0;
    result.hidden = true;
    idle.hidden = false;
    screen.dataset.state = "idle";
  }

  function showTap(tap) {
    fill(result, tap);
    fillShown(tap.shown);
    idle.hidden = true;
    result.hidden = false;
    screen.dataset.state = tap.result === "accepted" ? "accepted" : "denied";
    screen.dataset.reason = tap.reason;
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(showIdle, resultMs);
    screen.dataset.eventId = tap.event_id; // last: the tap is on screen
  }

  function showReader(reader) {
    fill(offline, reader);
    offline.hidden = Boolean(reader.online);
    screen.dataset.reader = reader.online ? "online" : "offline";
  }

  function connected() {
    window.clearTimeout(connectionTimer);
    connectionTimer = 0;
    connection.hidden = true;
    screen.dataset.connection = "open";
  }

  function disconnected() {
    screen.dataset.connection = "retrying";
    if (connectionTimer || !connection.hidden) return;
    connectionTimer = window.setTimeout(() => {
      connectionTimer = 0;
      if (screen.dataset.connection !== "open") connection.hidden = false;
    }, CONNECTION_GRACE_MS);
  }

  const source = new EventSource(screen.dataset.kioskSource);
  source.onopen = connected;
  source.onerror = disconnected;
  source.addEventListener("tap", (event) => showTap(JSON.parse(event.data)));
  source.addEventListener("reader", (event) => showReader(JSON.parse(event.data)));
})();
