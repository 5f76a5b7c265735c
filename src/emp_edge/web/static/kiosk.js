// emp-edge kiosk screen: taps and reader states arrive over Server-Sent Events.
// At a canteen terminal the same page is the till: item buttons, the picks for the next tap,
// the sale of each tap, and a diet note that stays until staff acknowledge it. At a club
// terminal the screen shows the session open in the room (group, until, present count).
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
  // what a till's tap carries that the list of details does not show as it is
  const NOT_LISTED = new Set(["diet_note", "served_at", "served_till", "free_meal"]);
  let idleTimer = 0;
  let connectionTimer = 0;
  let lastTap = null;

  function fill(root, data) {
    for (const el of root.querySelectorAll("[data-field]")) {
      const value = data[el.dataset.field];
      if (value === undefined) continue;
      el.textContent = value == null ? "" : String(value);
      el.hidden = el.textContent === "";
    }
  }

  function term(key, value, sold) {
    const dt = document.createElement("dt");
    dt.textContent = key === "balance" && sold ? labels.balance_after : labels[key] || key;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    dd.dataset.test = key;
    return [dt, dd];
  }

  function fillShown(details, sold) {
    const items = [];
    for (const [key, value] of Object.entries(details || {})) {
      if (value == null || value === "" || NOT_LISTED.has(key)) continue;
      items.push(...term(key, value, sold));
    }
    shown.replaceChildren(...items);
    shown.hidden = items.length === 0;
  }

  function showIdle() {
    idleTimer = 0;
    result.hidden = true;
    idle.hidden = till !== null && till.held !== null;
    screen.dataset.state = "idle";
  }

  function showResult() {
    idle.hidden = true;
    result.hidden = false;
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(showIdle, resultMs);
  }

  function showTap(tap) {
    lastTap = tap;
    fill(result, tap);
    fillShown(tap.shown, Array.isArray(tap.items));
    if (till) till.showSale(tap);
    if (club && Array.isArray(tap.sessions)) club.render(tap.sessions);
    screen.dataset.state = tap.result === "accepted" ? "accepted" : "denied";
    screen.dataset.reason = tap.reason;
    showResult();
    screen.dataset.eventId = tap.event_id; // last: the tap is on screen
  }

  function showReceipt(receipt) {
    if (!till || receipt.printed || !lastTap || receipt.event_id !== lastTap.event_id) return;
    till.receiptFailed.hidden = false;
    screen.dataset.state = lastTap.result === "accepted" ? "accepted" : "denied";
    showResult(); // back on screen if it had gone, for another while
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
    if (till) till.refresh(); // what changed while the stream was away
    if (club) club.refresh();
  }

  function disconnected() {
    screen.dataset.connection = "retrying";
    if (connectionTimer || !connection.hidden) return;
    connectionTimer = window.setTimeout(() => {
      connectionTimer = 0;
      if (screen.dataset.connection !== "open") connection.hidden = false;
    }, CONNECTION_GRACE_MS);
  }

  // ---------------------------------------------------------------- the till

  function makeTill() {
    const panel = screen.querySelector(".till-panel");
    const note = screen.querySelector("section.diet-note");
    const sold = result.querySelector("ul.sold");
    const photo = result.querySelector("img.photo");
    const picked = panel.querySelector("ol.picked");
    const total = panel.querySelector(".total");
    const sells = panel.querySelector(".sells");
    const error = panel.querySelector(".till-error");
    const urls = {
      state: screen.dataset.tillState,
      picks: screen.dataset.tillPicks,
      acknowledge: screen.dataset.tillAcknowledge,
    };
    let picks = [];
    let queue = Promise.resolve();
    const self = { held: null, receiptFailed: result.querySelector(".receipt-failed") };

    function showHeld(held) {
      self.held = held;
      screen.dataset.held = held ? held.event_id : "";
      if (held) fill(note, held);
      note.hidden = !held;
      if (result.hidden) idle.hidden = Boolean(held);
    }

    function render(state) {
      picks = state.picked.map((item) => item.id);
      picked.replaceChildren(
        ...state.picked.map((item) => {
          const li = document.createElement("li");
          const name = document.createElement("span");
          name.textContent = item.name;
          const price = document.createElement("span");
          price.className = "price";
          price.textContent = item.price;
          li.append(name, price);
          return li;
        })
      );
      fill(total, state);
      total.hidden = picks.length === 0;
      sells.textContent = state.sells;
      sells.hidden = picks.length !== 0;
      showHeld(state.held);
      screen.dataset.picked = picks.join(",");
    }

    async function send(url, options) {
      const response = await fetch(url, {
        cache: "no-store",
        credentials: "same-origin",
        ...options,
      });
      const body = await response.json();
      error.textContent = response.ok || !body.error ? "" : body.error;
      error.hidden = error.textContent === "";
      if (body.picked) render(body);
      return body;
    }

    function post(url, data) {
      // one request at a time, in the order staff pressed the buttons
      queue = queue
        .then(() =>
          send(url, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(data(picks)),
          })
        )
        .catch(() => disconnected());
      return queue;
    }

    self.refresh = () => {
      queue = queue.then(() => send(urls.state, { method: "GET" })).catch(() => disconnected());
      return queue;
    };

    self.showSale = (tap) => {
      self.receiptFailed.hidden = true;
      const lines = (tap.items || []).map((line) => {
        const li = document.createElement("li");
        li.className = line.free ? "free" : "paid";
        const name = document.createElement("span");
        name.textContent = line.name;
        const price = document.createElement("span");
        price.className = "price";
        price.textContent = line.free ? labels.free : line.price;
        li.append(name, price);
        return li;
      });
      sold.replaceChildren(...lines);
      sold.hidden = lines.length === 0;
      if (tap.photo) {
        photo.src = tap.photo;
        photo.hidden = false;
      } else {
        photo.hidden = true;
        photo.removeAttribute("src");
      }
      if (tap.shown && tap.shown.diet_note) {
        showHeld({
          event_id: tap.event_id,
          name: tap.name,
          class_label: tap.class_label,
          note: tap.shown.diet_note,
        });
      }
      self.refresh(); // the sale used the picks up
    };

    for (const button of panel.querySelectorAll("button.item")) {
      const id = Number(button.dataset.itemId);
      button.addEventListener("click", () => post(urls.picks, (now) => ({ items: [...now, id] })));
    }
    panel
      .querySelector("button.clear")
      .addEventListener("click", () => post(urls.picks, () => ({ items: [] })));
    note.querySelector("button.acknowledge").addEventListener("click", () => {
      if (self.held) post(urls.acknowledge, () => ({ event_id: self.held.event_id }));
    });
    window.setInterval(self.refresh, Number(screen.dataset.tillRefreshMs) || 30000);
    return self;
  }

  const till = screen.dataset.tillState ? makeTill() : null;

  // ---------------------------------------------------------------- the club room

  function makeClub() {
    const panel = screen.querySelector("aside.club-session");
    const list = panel.querySelector("ul.sessions");
    const none = panel.querySelector(".no-session");
    const texts = JSON.parse(screen.dataset.clubTexts || "{}");
    const url = screen.dataset.clubState;

    function part(name, text) {
      const span = document.createElement("span");
      span.className = name;
      span.dataset.test = `session-${name}`;
      span.textContent = text;
      return span;
    }

    function render(sessions) {
      list.replaceChildren(
        ...sessions.map((session) => {
          const li = document.createElement("li");
          li.dataset.test = "session";
          li.dataset.session = String(session.id);
          li.append(
            part("group", session.group),
            part("until", (texts.until || "{time}").replace("{time}", session.until)),
            part("present", (texts.present || "{count}").replace("{count}", String(session.present)))
          );
          return li;
        })
      );
      list.hidden = sessions.length === 0;
      none.hidden = sessions.length !== 0;
      screen.dataset.sessions = sessions.map((session) => session.id).join(",");
    }

    function refresh() {
      return fetch(url, { cache: "no-store", credentials: "same-origin" })
        .then((response) => response.json())
        .then((body) => {
          if (Array.isArray(body.sessions)) render(body.sessions);
        })
        .catch(() => disconnected());
    }

    window.setInterval(refresh, Number(screen.dataset.clubRefreshMs) || 30000);
    return { render, refresh };
  }

  const club = screen.dataset.clubState ? makeClub() : null;

  const source = new EventSource(screen.dataset.kioskSource);
  source.onopen = connected;
  source.onerror = disconnected;
  source.addEventListener("tap", (event) => showTap(JSON.parse(event.data)));
  source.addEventListener("reader", (event) => showReader(JSON.parse(event.data)));
  source.addEventListener("receipt", (event) => showReceipt(JSON.parse(event.data)));
  if (till) till.refresh();
})();
