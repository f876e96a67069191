// The live view of `modem emulate --http`: the fleet (#/) and one modem (#/modem/N).
// Plain JS, no build step; the contract is docs/http-api.md.
"use strict";

(function () {
  // Read as is (URLSearchParams would turn a "+" of the token into a space).
  const TOKEN = (/[?&]token=([^&#]*)/.exec(location.search) || [])[1];
  const PAGE_SIZE = 100;
  const MAX_LOG_ROWS = 2000;
  const MAX_TIMELINE_ROWS = 200;
  const ARROWS = { host: "→", module: "←", network: "⚡" };

  const $ = (id) => document.getElementById(id);

  /** `path` with `token=T` added when the page was opened with one. */
  function withToken(path) {
    if (!TOKEN) return path;
    return path + (path.includes("?") ? "&" : "?") + "token=" + TOKEN;
  }

  function wsURL(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + withToken(path);
  }

  function escapeHTML(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  /** A CSS class for a state word: `IP INITIAL` → `s-ip-initial`. */
  function stateClass(state) {
    return "s-" + String(state || "unknown").toLowerCase().replace(/[^a-z0-9]+/g, "-");
  }

  /** µs → `12.345` (seconds, ms precision). */
  function seconds(us) {
    return (us / 1e6).toFixed(3);
  }

  function setConnection(state) {
    const el = $("conn");
    el.textContent = state === "live" ? "live" : state === "connecting" ? "connecting…" : "disconnected";
    el.className = "conn " + (state === "live" ? "on" : "off");
  }

  /** A WebSocket that reconnects with backoff (0.5 s doubling to 10 s) until closed. */
  function liveSocket(path, onMessage) {
    let socket = null;
    let timer = null;
    let delay = 500;
    let stopped = false;
    function open() {
      setConnection("connecting");
      socket = new WebSocket(wsURL(path));
      socket.onopen = () => {
        delay = 500;
        setConnection("live");
      };
      socket.onmessage = (event) => {
        if (stopped) return; // a message that came after the view changed
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        onMessage(message);
      };
      socket.onclose = () => {
        if (stopped) return;
        setConnection("disconnected");
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
      socket.onerror = () => socket.close();
    }
    open();
    return {
      close() {
        stopped = true;
        clearTimeout(timer);
        if (socket) socket.close();
      },
    };
  }

  // ---------------------------------------------------------------- fleet

  const fleet = {
    rows: new Map(), // modem index → row, kept across visits of the fleet view
    count: 0,
    filter: "",
    sort: "modem",
    descending: false,
    page: 0,
  };

  const FLEET_NUMERIC = new Set(["modem", "linksOpen", "bytesUp", "bytesDown", "lastActivity"]);

  function showFleet() {
    $("title").textContent = "Fleet";
    $("view").replaceChildren($("tpl-fleet").content.cloneNode(true));
    const filter = $("fleet-filter");
    filter.value = fleet.filter;
    filter.addEventListener("input", () => {
      fleet.filter = filter.value.trim().toLowerCase();
      fleet.page = 0;
      renderFleet();
    });
    for (const th of document.querySelectorAll("#fleet-table th[data-sort]")) {
      th.addEventListener("click", () => {
        const key = th.dataset.sort;
        if (fleet.sort === key) fleet.descending = !fleet.descending;
        else {
          fleet.sort = key;
          // As the API sorts: bytes and activity biggest first.
          fleet.descending = ["bytesUp", "bytesDown", "lastActivity"].includes(key);
        }
        fleet.page = 0;
        renderFleet();
      });
    }
    $("fleet-prev").addEventListener("click", () => {
      fleet.page = Math.max(0, fleet.page - 1);
      renderFleet();
    });
    $("fleet-next").addEventListener("click", () => {
      fleet.page += 1;
      renderFleet();
    });
    renderFleet();
    return liveSocket("/api/live", (message) => {
      if (message.type !== "fleet") return;
      if (typeof message.count === "number") fleet.count = message.count;
      for (const row of message.rows || []) fleet.rows.set(row.modem, row);
      renderFleet();
    });
  }

  function compareRows(a, b) {
    const key = fleet.sort;
    let x = a[key];
    let y = b[key];
    let order;
    if (FLEET_NUMERIC.has(key)) {
      x = x == null ? -1 : x;
      y = y == null ? -1 : y;
      order = x - y;
    } else {
      order = String(x || "").localeCompare(String(y || ""));
    }
    if (fleet.descending) order = -order;
    return order || a.modem - b.modem;
  }

  function renderFleet() {
    const body = $("fleet-body");
    if (!body) return;
    let rows = Array.from(fleet.rows.values());
    const needle = fleet.filter;
    if (needle) {
      rows = rows.filter(
        (row) =>
          String(row.modem).includes(needle) ||
          String(row.state || "").toLowerCase().includes(needle) ||
          String(row.model || "").toLowerCase().includes(needle)
      );
    }
    rows.sort(compareRows);
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    fleet.page = Math.min(fleet.page, pages - 1);
    const start = fleet.page * PAGE_SIZE;
    const shown = rows.slice(start, start + PAGE_SIZE);
    body.innerHTML = shown
      .map(
        (row) =>
          `<tr data-modem="${row.modem}">` +
          `<td class="num"><a href="#/modem/${row.modem}">${row.modem}</a></td>` +
          `<td>${escapeHTML(row.model || "")}</td>` +
          `<td class="state"><span class="badge ${stateClass(row.state)}">${escapeHTML(row.state || "?")}</span></td>` +
          `<td class="num">${row.linksOpen ?? 0}</td>` +
          `<td class="num">${(row.bytesUp ?? 0).toLocaleString()}</td>` +
          `<td class="num">${(row.bytesDown ?? 0).toLocaleString()}</td>` +
          `<td class="num">${row.lastActivity == null ? "—" : (row.lastActivity / 1000).toFixed(3) + " s"}</td>` +
          `</tr>`
      )
      .join("");
    $("fleet-range").textContent = rows.length
      ? `rows ${start + 1}–${start + shown.length} of ${rows.length}`
      : "no rows";
    $("fleet-count").textContent = `${fleet.count} modem${fleet.count === 1 ? "" : "s"}`;
    $("fleet-prev").disabled = fleet.page === 0;
    $("fleet-next").disabled = fleet.page >= pages - 1;
    for (const th of document.querySelectorAll("#fleet-table th[data-sort]")) {
      th.classList.toggle("sorted", th.dataset.sort === fleet.sort);
      th.classList.toggle("desc", th.dataset.sort === fleet.sort && fleet.descending);
    }
  }

  // ---------------------------------------------------------------- one modem

  function showModem(n) {
    $("title").textContent = `Modem ${n}`;
    $("view").replaceChildren($("tpl-modem").content.cloneNode(true));
    wireControls(n);
    return liveSocket(`/api/modems/${n}/live`, (message) => {
      switch (message.type) {
        case "snapshot":
          // Also after a reconnection: start over from what the server keeps.
          $("log").replaceChildren();
          renderStatus(message.status);
          mergeTimeline(message.timeline || [], true);
          appendRecords(message.records || [], message.skipped || 0);
          break;
        case "status":
          renderStatus(message.status);
          break;
        case "timeline":
          mergeTimeline(message.entries || [], false);
          break;
        case "records":
          appendRecords(message.records || [], message.skipped || 0);
          break;
      }
    });
  }

  function renderStatus(status) {
    if (!status) return;
    const connection = status.connection || {};
    const state = connection.state == null ? "?" : connection.state;
    const badge = $("state");
    badge.textContent = state;
    badge.className = "badge big " + stateClass(state);
    $("mode").textContent = connection.mode || "—";
    $("model").textContent = status.model || "—";
    $("local-address").textContent = status.localAddress || "—";
    $("apn").textContent = status.apn || "—";
    const faults = [];
    if (status.failActivation) faults.push("fail activation");
    if (status.refuseConnects) faults.push("refuse connects");
    $("faults").textContent = faults.length ? faults.join(", ") : "none";
    $("faults").classList.toggle("warn", faults.length > 0);
    $("network").textContent = status.network || "ideal";
    $("flags").textContent = `${status.busy ? "busy" : "idle"}, echo ${status.echo ? "on" : "off"}`;

    const server = connection.server;
    $("server").textContent = server ? `Server: port ${server.port}, bearer ${server.bearer}, ${server.state}` : "";
    const links = connection.links || [];
    const multi = connection.mode === "multi";
    $("links-single").hidden = multi;
    $("links").hidden = !multi;
    const unread = status.unreadBytes || [];
    $("links-body").innerHTML = links
      .map(
        (link) =>
          `<tr data-link="${link.n}">` +
          `<td class="num">${link.n}</td>` +
          `<td>${escapeHTML(link.protocol || "—")}</td>` +
          `<td>${escapeHTML(link.address || "—")}</td>` +
          `<td class="num">${link.port == null ? "—" : link.port}</td>` +
          `<td><span class="badge ${stateClass(link.state)}">${escapeHTML(link.state)}</span></td>` +
          `<td class="num">${unread[link.n] ?? 0}</td>` +
          `</tr>`
      )
      .join("");
    if (links.length) $("remote-close-link").max = String(links.length - 1);
  }

  let timelineEntries = [];

  /** Takes a timeline message: the whole timeline kept (what the server sends) or only new entries. */
  function mergeTimeline(entries, replace) {
    if (!entries.length && !replace) return;
    if (replace || !timelineEntries.length || (entries.length && entries[0].t <= timelineEntries[0].t)) {
      timelineEntries = entries.slice();
    } else {
      const last = timelineEntries[timelineEntries.length - 1];
      const key = JSON.stringify(last);
      timelineEntries.push(...entries.filter((e) => e.t > last.t || (e.t === last.t && JSON.stringify(e) !== key)));
    }
    timelineEntries = timelineEntries.slice(-MAX_TIMELINE_ROWS);
    $("timeline").innerHTML = timelineEntries
      .map((entry) => {
        const links = (entry.links || []).length
          ? ` <span class="muted">links: ${entry.links.map((s, i) => `${i} ${escapeHTML(s)}`).join(", ")}</span>`
          : "";
        return (
          `<li><span class="t">${seconds(entry.t)} s</span> ` +
          `<span class="badge ${stateClass(entry.state)}">${escapeHTML(entry.state == null ? "?" : entry.state)}</span>${links}</li>`
        );
      })
      .join("");
    const list = $("timeline");
    list.scrollTop = list.scrollHeight;
  }

  /** The bytes of a record as visible text: the line ends around it dropped, CR and LF inside it as
   * \r \n, other control bytes as <1A> (as `modem trace show` prints them). */
  function visibleBytes(bytes) {
    let html = "";
    const trimmed = String(bytes).replace(/^[\r\n]+|[\r\n]+$/g, "");
    for (const c of trimmed || String(bytes)) {
      const code = c.charCodeAt(0);
      if (c === "\r") html += '<span class="ctl">\\r</span>';
      else if (c === "\n") html += '<span class="ctl">\\n</span>';
      else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
        html += `<span class="ctl">&lt;${code.toString(16).toUpperCase().padStart(2, "0")}&gt;</span>`;
      } else html += escapeHTML(c);
    }
    return html;
  }

  function recordHTML(record) {
    const dir = record.dir || "other";
    let text;
    if (record.kind === "data" || record.kind === "received") {
      const length = record.length ?? String(record.bytes || "").length;
      text = `<span class="nbytes">[${length} bytes]</span>`;
    } else {
      text = visibleBytes(record.bytes || "");
    }
    const link = record.link == null ? "" : `<span class="link">#${record.link}</span> `;
    return (
      `<div class="rec d-${escapeHTML(dir)} k-${escapeHTML(record.kind || "other")}" title="${escapeHTML(`seq ${record.seq}, t ${record.t} µs: ${JSON.stringify(record.bytes)}`)}">` +
      `<span class="t">${seconds(record.t || 0)}</span>` +
      `<span class="dir">${ARROWS[dir] || "·"}</span>` +
      `<span class="kind">${escapeHTML(record.kind || "")}</span>` +
      `<span class="text">${link}${text}</span></div>`
    );
  }

  function appendRecords(records, skipped) {
    const log = $("log");
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
    let html = "";
    if (skipped > 0) html += `<div class="rec skipped">… ${skipped} records skipped</div>`;
    const start = Math.max(0, records.length - MAX_LOG_ROWS);
    for (let i = start; i < records.length; i++) html += recordHTML(records[i]);
    if (!html) return;
    log.insertAdjacentHTML("beforeend", html);
    let excess = log.childElementCount - MAX_LOG_ROWS;
    while (excess-- > 0) log.firstElementChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  // ---------------------------------------------------------------- controls

  async function command(n, name, args) {
    const result = $("command-result");
    result.className = "result pending";
    result.textContent = `${name}: …`;
    let reply;
    try {
      const response = await fetch(withToken(`/api/modems/${n}/${name}`), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ arguments: args }),
      });
      try {
        reply = await response.json();
      } catch (error) {
        reply = { ok: false, error: `HTTP ${response.status}` };
      }
    } catch (error) {
      reply = { ok: false, error: `request failed: ${error.message}` };
    }
    if (!result.isConnected) return; // the view changed meanwhile
    result.className = "result " + (reply.ok ? "ok" : "error");
    result.textContent = reply.ok
      ? `${name}: ok${reply.network ? " — " + reply.network : ""}`
      : `${name}: error: ${reply.error || "unknown"}`;
  }

  function wireControls(n) {
    const on = (id, handler) => $(id).addEventListener("click", handler);
    on("btn-pdp-deact", () => command(n, "pdp-deact", []));
    on("btn-reset", () => command(n, "reset", []));
    on("btn-remote-close", () => command(n, "remote-close", [$("remote-close-link").value.trim()]));
    for (const name of ["refuse-connects", "fail-activation", "registration"]) {
      on(`btn-${name}-on`, () => command(n, name, ["on"]));
      on(`btn-${name}-off`, () => command(n, name, ["off"]));
    }
    on("btn-signal", () => command(n, "signal", [$("signal-rssi").value.trim()]));
    on("btn-noise", () => command(n, "noise", [$("noise-bytes").value.trim()]));
    on("btn-network", () => {
      const settings = [];
      if ($("network-preset").value) settings.push(`preset=${$("network-preset").value}`);
      settings.push(...$("network-settings").value.split(/\s+/).filter(Boolean));
      command(n, "network", settings);
    });
    const file = $("scenario-file");
    file.addEventListener("change", async () => {
      const chosen = file.files && file.files[0];
      if (!chosen) return;
      const text = await chosen.text();
      file.value = ""; // choosing the same file again plays it again
      command(n, "scenario", [text]);
    });
  }

  // ---------------------------------------------------------------- routing

  let current = null;

  function route() {
    if (current) current.close();
    const match = /^#\/modem\/(\d+)\/?$/.exec(location.hash);
    current = match ? showModem(Number(match[1])) : showFleet();
  }

  window.addEventListener("hashchange", route);
  route();
})();
