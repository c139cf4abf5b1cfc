// The observer page: follows GET /feed (websocket) and shows records,
// checkpoints and the election's counts from /election/summary. On a
// board kept by several operators it falls over to the next operator of
// GET /election/operators when its feed closes or its summary fetch fails
// (docs/spec/voter-client.md §7).
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;
const t = (key, ...args) => window.i18n.t(key, ...args);
const say = (el, key, ...args) => window.i18n.say(el, key, ...args);
// The record types the catalogue names (type.*); others show as they are.
const TYPES = ["election", "trustee-commitments", "trustee-shares", "trustee-verdict", "joint-key", "client-hash",
  "phase", "ballot", "challenged-ballot", "partial-decryption", "result"];
// The record types of ranked contests, which the catalogue names
// (observe.ranked.type.*).
const RANKED_TYPES = ["mix", "mix-decryption", "ranked-result"];
// The phases the catalogue names (phase.*).
const PHASES = ["empty", "ceremony", "ready", "open", "closed", "tallied"];

const SVG_NS = "http://www.w3.org/2000/svg";
// The widths a turnout bucket may have, in seconds, as the verifier's HTML
// report (verifier/turnout.go): each a multiple of the one before.
const TURNOUT_WIDTHS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 604800];
const MAX_BUCKETS = 24;

let next = 0;          // next record index expected
// The boards this page reads: this one (url ""), then, on a board kept by
// several operators, the others of GET /election/operators, read once at
// load; at is the one it reads now.
let ops = [{ name: "", url: "" }];
let at = 0;
let socket = null; // the feed followed now
// How long the page waits for an operator's answer (its feed opening, its
// summary arriving) before it moves on: an operator whose machine is down
// or whose link is cut answers nothing, and the browser would wait minutes
// before it gave up. GET /election/operators gives it (attempt_ms).
let answerMs = 20000;
const ballotSeconds = new Map(); // ballots received, by the second of their board time
let received = 0;
let summaryTimer = null;
let retry = 1000;

function b64ToHex(b64) {
  const bin = atob(b64);
  let s = "";
  for (let i = 0; i < bin.length; i++) s += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return s;
}

function addRecord(rec) {
  if (rec.index < next) return; // already shown (reconnect)
  next = rec.index + 1;
  received++;
  if (rec.type === "ballot") {
    const sec = Math.floor(Date.parse(rec.time) / 1000);
    ballotSeconds.set(sec, (ballotSeconds.get(sec) || 0) + 1);
  }
  const tr = document.createElement("tr");
  tr.dataset.type = rec.type;
  const cells = [
    String(rec.index),
    ["time", rec.time],
    TYPES.includes(rec.type) ? ["type." + rec.type] : RANKED_TYPES.includes(rec.type) ? ["observe.ranked.type." + rec.type]
      : rec.type === "writein-result" ? ["observe.writein.type"] : rec.type,
    b64ToHex(rec.author).slice(0, 12) + "…",
    String(JSON.stringify(rec.payload).length) + " B",
  ];
  cells.forEach((c, i) => {
    const td = document.createElement("td");
    if (Array.isArray(c) && c[0] === "time") timeCell(td, c[1]);
    else if (Array.isArray(c)) say(td, c[0]);
    else td.textContent = c;
    if (i === 0 || i === 4) td.className = "num";
    tr.appendChild(td);
  });
  const body = document.querySelector("#records tbody");
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  say($("records-count"), "observe.records-count", next, received);
}

// svg makes an SVG element with attributes and, if given, text.
function svg(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// chart makes an SVG chart named by title, of the given height in the
// 600-unit-wide viewBox; the table beside it has the numbers.
function chart(title, height) {
  const s = svg("svg", { class: "chart", viewBox: "0 0 600 " + height, role: "img" });
  const name = svg("title", {}, t("observe.chart-name", title));
  s.setAttribute("aria-label", name.textContent);
  s.appendChild(name);
  return s;
}

// barChart draws one contest's counts as horizontal bars, each under its
// option's title and followed by its count.
function barChart(title, lines) {
  const most = Math.max(1, ...lines.map((l) => l.count));
  const s = chart(t("observe.bar-chart", title), lines.length * 44);
  lines.forEach((l, i) => {
    const y = i * 44 + 22;
    const w = l.count ? Math.max(1, Math.floor(l.count / most * 480)) : 0;
    const label = l.title.length > 60 ? l.title.slice(0, 59) + "…" : l.title;
    const bar = svg("rect", { class: "bar", x: 0, y: y, width: w, height: 18 });
    bar.appendChild(svg("title", {}, l.title + ": " + l.count));
    s.append(svg("text", { x: 0, y: y - 6 }, label), bar, svg("text", { x: w + 8, y: y + 14 }, String(l.count)));
  });
  return s;
}

function drawResultCharts(result, counts) {
  const box = $("result-charts");
  box.replaceChildren();
  const contests = [];
  for (const l of result) {
    if (!contests.length || contests[contests.length - 1].id !== l.contest) contests.push({ id: l.contest, title: l.contest_title || l.contest, lines: [] });
    contests[contests.length - 1].lines.push(l);
  }
  for (const c of contests) {
    const h = document.createElement("h3");
    h.textContent = c.title;
    box.append(h);
    // With ballot styles or weights: how many ballots carry the contest.
    const n = (counts || []).find((x) => x.id === c.id);
    if (n) {
      const p = document.createElement("p");
      p.textContent = n.weight !== n.ballots
        ? t("observe.contest.ballots-weight", String(n.ballots), String(n.weight))
        : t("observe.contest.ballots", String(n.ballots));
      box.append(p);
    }
    box.append(barChart(c.title, c.lines));
  }
}

// el makes an element with the given text, if any.
function el(name, text) {
  const e = document.createElement(name);
  if (text !== undefined) e.textContent = text;
  return e;
}

// table makes a table named by caption whose head names the columns and
// each of rows its cells, the first of each a row header. num(i) says
// whether column i holds numbers. Its cells wrap only between words, so
// that no candidate's name or number is cut; a table wider than the page
// (a phone, many candidates) scrolls sideways in a region that the
// keyboard can focus and scroll, named by the caption.
function table(caption, head, rows, num) {
  const wrap = el("div");
  wrap.className = "ranked-table";
  wrap.style.overflowX = "auto";
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", caption);
  const tb = el("table");
  wrap.appendChild(tb);
  tb.className = "ranked-count";
  tb.appendChild(el("caption", caption));
  const thead = tb.createTHead().insertRow();
  head.forEach((h, i) => {
    const th = el("th", h);
    th.scope = "col";
    th.style.overflowWrap = "normal";
    if (num(i)) th.className = "num";
    thead.appendChild(th);
  });
  const body = tb.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((c, i) => {
      const cell = el(i === 0 ? "th" : "td", c);
      if (i === 0) cell.scope = "row";
      cell.style.overflowWrap = "normal";
      if (num(i)) cell.className = "num";
      tr.appendChild(cell);
    });
  }
  return wrap;
}

// trustees names a list of trustee numbers: "1, 3", or "none".
const trustees = (list) => list.length ? list.join(", ") : t("observe.ranked.none");

// tieNote says how a tie was broken, or "".
function tieNote(tie) {
  if (!tie) return "";
  return " " + t(tie.lot && tie.lot.length ? "observe.ranked.tie-lot" : "observe.ranked.tie-rounds");
}

// mixStatus adds to div the progress of the mix-net contest c (a ranked
// one or one with a write-in): once voting has closed (phase), its mixes
// and decryptions so far. It returns c's count, or null before it.
function mixStatus(div, c, phase) {
  if (phase !== "closed" && phase !== "tallied") {
    div.appendChild(el("p", t("observe.ranked.after-close")));
    return null;
  }
  const progress = el("p", t("observe.ranked.progress", String(c.mixes.length), String(c.threshold), trustees(c.mixes),
    String(c.decryptions.length), trustees(c.decryptions)));
  progress.className = "ranked-progress";
  progress.dataset.mixes = String(c.mixes.length);
  progress.dataset.decryptions = String(c.decryptions.length);
  div.appendChild(progress);
  if (!c.count) {
    div.appendChild(el("p", t("observe.ranked.not-counted")));
    return null;
  }
  div.dataset.counted = "yes";
  return c.count;
}

// drawWriteIns shows each contest with a write-in: its mixes and
// decryptions so far, then the names written in with their votes, as a
// table.
function drawWriteIns(contests, phase) {
  const box = $("writeins");
  box.replaceChildren();
  for (const c of contests) {
    const div = el("div");
    div.className = "writein";
    div.dataset.contest = c.contest;
    div.appendChild(el("h3", c.title));
    box.appendChild(div);
    const n = mixStatus(div, c, phase);
    if (!n) continue;
    div.appendChild(el("p", t("observe.writein.counted", String(n.ballots), String(n.written), c.option,
      String((n.discarded || []).length))));
    const texts = n.texts || [];
    if (!texts.length) {
      div.appendChild(el("p", t("observe.writein.none")));
      continue;
    }
    div.appendChild(table(t("observe.writein.caption", c.title), [t("observe.writein.name"), t("observe.writein.votes")],
      texts.map((x) => [x.text, String(x.count)]), (i) => i === 1));
  }
  $("writeins-section").hidden = !contests.length;
}

// drawRanked shows each ranked contest's mixes and decryptions so far
// (once voting has closed: phase), then its count: the winners and, for
// instant-runoff and STV, a table of the votes of each candidate, round by
// round or stage by stage.
function drawRanked(contests, phase) {
  const box = $("ranked");
  box.replaceChildren();
  for (const c of contests) {
    const div = el("div");
    div.className = "ranked";
    div.dataset.contest = c.contest;
    const name = (k) => c.candidates[k] === undefined ? String(k) : c.candidates[k];
    const names = (ks) => ks.map(name).join(", ");
    div.appendChild(el("h3", c.title));
    const n = mixStatus(div, c, phase);
    if (!n) {
      box.appendChild(div);
      continue;
    }
    div.appendChild(el("p", t("observe.ranked.counted", t("observe.ranked.method." + c.method), String(n.ballots),
      String((n.discarded || []).length))));
    if (n.irv) {
      div.appendChild(el("p", t("observe.ranked.winner", name(n.irv.winner))));
      const out = new Set();
      const rows = n.irv.rounds.map((r, i) => {
        const row = [String(i + 1)];
        r.counts.forEach((v, k) => row.push(out.has(k) ? t("observe.ranked.out") : String(v)));
        row.push(String(r.exhausted));
        if (r.elected >= 0) row.push(t("observe.ranked.elected", name(r.elected)) + tieNote(r.tie));
        else if (r.excluded >= 0) row.push(t("observe.ranked.eliminated", name(r.excluded)) + tieNote(r.tie));
        else row.push("");
        if (r.excluded >= 0) out.add(r.excluded);
        return row;
      });
      div.appendChild(table(t("observe.ranked.rounds-caption", c.title),
        [t("observe.ranked.round"), ...c.candidates, t("observe.ranked.exhausted"), t("observe.ranked.outcome")], rows,
        (i) => i >= 1 && i <= c.candidates.length + 1));
    } else if (n.stv) {
      div.appendChild(el("p", t("observe.ranked.elected-list", String(n.stv.seats), n.stv.quota, names(n.stv.elected))));
      const rows = n.stv.stages.map((sg, i) => {
        const action = sg.from >= 0 ? t("observe.ranked.action." + sg.action, name(sg.from)) : t("observe.ranked.action.first");
        return [String(i + 1) + " · " + action, ...sg.counts, sg.nonTransferable,
          sg.elected && sg.elected.length ? t("observe.ranked.elected", names(sg.elected)) + tieNote(sg.transferTie) : tieNote(sg.transferTie).trim()];
      });
      div.appendChild(table(t("observe.ranked.stages-caption", c.title),
        [t("observe.ranked.stage"), ...c.candidates, t("observe.ranked.non-transferable"), t("observe.ranked.outcome")], rows,
        (i) => i >= 1 && i <= c.candidates.length + 1));
    } else if (n.schulze) {
      div.appendChild(el("p", t("observe.ranked.winner", name(n.schulze.winner))));
      div.appendChild(el("p", t("observe.ranked.order", n.schulze.order.map(name).join(" > "))));
    } else if (n.borda) {
      div.appendChild(el("p", t("observe.ranked.winner", name(n.borda.winner))));
      div.appendChild(table(t("observe.ranked.scores-caption", c.title), [t("observe.ranked.candidate"), t("observe.ranked.score")],
        n.borda.order.map((k) => [name(k), String(n.borda.scores[k])]), (i) => i === 1));
    } else {
      div.appendChild(el("p", t("observe.ranked.nobody")));
    }
    box.appendChild(div);
  }
  $("ranked-section").hidden = !contests.length;
}

// duration names a bucket's width in seconds for people: "5 min".
function duration(w) {
  if (w % 86400 === 0) return t(w === 86400 ? "dur.day" : "dur.days", w / 86400);
  if (w % 3600 === 0) return t("dur.h", w / 3600);
  if (w % 60 === 0) return t("dur.min", w / 60);
  return t("dur.s", w);
}

const utc = (sec) => new Date(sec * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");

// timeCell shows an RFC 3339 time in td in the viewer's time zone with
// UTC beside (window.i18n.time, to the second), kept in the page's
// language when the viewer switches.
function timeCell(td, iso) {
  td.dataset.time = iso;
  td.textContent = window.i18n.time(iso, true);
}
window.i18n.onChange(() => { for (const td of document.querySelectorAll("td[data-time]")) td.textContent = window.i18n.time(td.dataset.time, true); });

// drawTurnout draws the ballots received per bucket: the smallest width of
// TURNOUT_WIDTHS that keeps them to MAX_BUCKETS, aligned to its multiples.
function drawTurnout() {
  if (!ballotSeconds.size) return;
  let lo = Infinity, hi = -Infinity;
  for (const sec of ballotSeconds.keys()) { lo = Math.min(lo, sec); hi = Math.max(hi, sec); }
  const width = TURNOUT_WIDTHS.find((w) => Math.floor(hi / w) - Math.floor(lo / w) < MAX_BUCKETS) || TURNOUT_WIDTHS[TURNOUT_WIDTHS.length - 1];
  const first = Math.floor(lo / width);
  const counts = new Array(Math.floor(hi / width) - first + 1).fill(0);
  for (const [sec, n] of ballotSeconds) counts[Math.floor(sec / width) - first] += n;
  const most = Math.max(...counts);
  const start = first * width, end = start + counts.length * width;
  const s = chart(t("observe.column-chart", duration(width), utc(start), utc(end)), 240);
  const step = Math.floor(584 / counts.length);
  s.appendChild(svg("text", { x: 0, y: 16 }, t("observe.most", most)));
  const body = document.querySelector("#turnout-table tbody");
  body.replaceChildren();
  counts.forEach((n, i) => {
    const h = n ? Math.max(1, Math.floor(n / most * 176)) : 0;
    const bar = svg("rect", { class: "bar", x: 8 + i * step + Math.floor(step / 8), y: 200 - h, width: Math.max(1, step - Math.floor(step / 4)), height: h });
    bar.appendChild(svg("title", {}, utc(start + i * width) + ": " + n));
    s.appendChild(bar);
    const tr = document.createElement("tr");
    const from = document.createElement("td");
    timeCell(from, new Date((start + i * width) * 1000).toISOString());
    const count = document.createElement("td");
    count.className = "num";
    count.textContent = String(n);
    tr.append(from, count);
    body.appendChild(tr);
  });
  s.append(svg("line", { class: "axis", x1: 0, y1: 200, x2: 600, y2: 200 }),
    svg("text", { x: 0, y: 220 }, utc(start)), svg("text", { x: 8 + counts.length * step, y: 236, "text-anchor": "end" }, utc(end)));
  $("turnout-chart").replaceChildren(s);
  $("turnout-line").textContent = t("observe.turnout-line", duration(width));
  $("turnout-section").hidden = false;
}

function setCheckpoint(note) {
  const lines = note.split("\n");
  $("cp-origin").textContent = lines[0] || "—";
  $("cp-size").textContent = lines[1] || "—";
  $("cp-hash").textContent = lines[2] || "—";
  scheduleSummary();
}

function scheduleSummary() {
  if (summaryTimer) return;
  summaryTimer = setTimeout(() => { summaryTimer = null; loadSummary(); }, 300);
}

// fallsOver reports whether a failed read, with HTTP status (0: no
// answer), moves the page to the next operator: the rule of
// bulletin.FallsOver, by which the voter page and the CLI fall over too
// (no answer, 408, 429, a 5xx). Any other answer is the board's word.
function fallsOver(status) {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

// moveOn moves the page from the operator it read, ops[from], to the
// next, saying why in the page's language (why: a catalogue message,
// {key, args}), unless it moved already or has no other operator. It
// reports whether it moved.
function moveOn(from, why) {
  if (from !== at || ops.length < 2) return false;
  const prev = ops[at];
  at = (at + 1) % ops.length;
  const op = ops[at];
  const url = op.url || location.origin;
  const source = prev.url ? { key: "client.read.from-operator", args: [prev.name] } : { key: "client.read.from-page" };
  const el = $("moved");
  say(el, "observe.moved", source, why, op.name, url);
  el.hidden = false;
  document.body.dataset.readFrom = op.name;
  document.body.dataset.readMoved = el.textContent;
  // A feed still open on the operator left (the summary failed) follows
  // the new one instead once closed.
  if (socket) socket.close();
  return true;
}

// readFailed moves the page on after a failed read from ops[from] with
// HTTP status (0: no answer), if the rule says so (fallsOver).
function readFailed(from, status) {
  if (!fallsOver(status)) return false;
  return moveOn(from, status ? { key: "client.why.failed", args: [status] } : { key: "client.why.no-answer" });
}

// loadOperators reads, once, the operators of a board kept by several
// (GET /election/operators, voter-client.md §2.3): this board first, then
// the others in the order the page falls over to them.
async function loadOperators() {
  try {
    const resp = await fetch("/election/operators", { cache: "no-store" });
    if (!resp.ok) return;
    const data = await resp.json();
    const list = data.operators || [];
    if (list.length > 1 && list[0].url === "") ops = list;
    if (data.attempt_ms > 0) answerMs = data.attempt_ms;
  } catch (e) { /* a board of one operator */ }
}

async function loadSummary() {
  const from = at;
  try {
    let resp;
    try {
      resp = await fetch(ops[from].url + "/election/summary", { cache: "no-store", signal: AbortSignal.timeout(answerMs) });
    } catch (e) {
      if (readFailed(from, 0)) scheduleSummary();
      return;
    }
    if (!resp.ok) {
      if (readFailed(from, resp.status)) scheduleSummary();
      return;
    }
    const s = await resp.json();
    if (s.title) { say($("title"), "observe.title-of", s.title); say(document.querySelector("title"), "observe.page-title-of", s.title); }
    if (PHASES.includes(s.phase)) say($("phase"), "phase." + s.phase);
    else window.i18n.own($("phase"), s.phase);
    $("voters").textContent = s.voters;
    $("counted").textContent = s.counted;
    $("ballots").textContent = s.ballots;
    $("superseded").textContent = s.superseded;
    $("challenged").textContent = s.challenged;
    $("partials").textContent = s.partial_decryptions;
    drawTurnout();
    drawRanked(s.ranked || [], s.phase);
    drawWriteIns(s.write_ins || [], s.phase);
    if (s.result && s.result.length) {
      const table = $("result");
      for (const b of Array.from(table.tBodies)) b.remove();
      let body = null, head = null, last = null;
      for (const l of s.result) {
        const tr = document.createElement("tr");
        if (l.contest !== last) {
          last = l.contest;
          body = document.createElement("tbody");
          table.appendChild(body);
          head = document.createElement("th");
          head.scope = "rowgroup";
          head.rowSpan = 0;
          head.textContent = l.contest_title || l.contest;
          tr.appendChild(head);
        }
        head.rowSpan++;
        const opt = document.createElement("td");
        opt.textContent = l.title;
        const n = document.createElement("td");
        n.className = "num";
        n.textContent = String(l.count);
        tr.append(opt, n);
        body.appendChild(tr);
      }
      drawResultCharts(s.result, s.contests);
      $("result-section").hidden = false;
    }
  } catch (e) { /* the feed status shows connectivity */ }
}

// feedURL returns the websocket URL of the feed of the operator the page
// reads, from the next record it expects.
function feedURL() {
  const u = new URL((ops[at].url || location.origin) + "/feed?from=" + next);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

// connect follows the feed of the operator the page reads. When it
// closes, or does not open within answerMs, the page moves to the next
// operator, if it has others, and follows its feed from the next record it
// expects; else it reconnects, with exponential back-off.
function connect() {
  const from = at;
  const ws = new WebSocket(feedURL());
  socket = ws;
  let unanswered = false;
  const opening = setTimeout(() => { unanswered = true; ws.close(); }, answerMs);
  ws.onopen = () => { clearTimeout(opening); retry = 1000; say($("conn"), "observe.connected"); $("conn").dataset.live = "yes"; };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "record") { addRecord(msg.record); scheduleSummary(); }
    else if (msg.type === "checkpoint") setCheckpoint(msg.checkpoint);
  };
  ws.onclose = () => {
    clearTimeout(opening);
    say($("conn"), "observe.disconnected", Math.round(retry / 1000));
    $("conn").dataset.live = "no";
    if (moveOn(from, { key: unanswered ? "client.why.no-answer" : "observe.why.feed-closed" })) scheduleSummary();
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  };
}

document.addEventListener("DOMContentLoaded", async () => {
  await window.i18n.ready;
  await loadOperators();
  loadSummary();
  connect();
  // The charts and the turnout line are drawn in words: draw them again.
  window.i18n.onChange(() => loadSummary());
});
