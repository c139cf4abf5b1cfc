// The observer page: follows GET /feed (websocket) and shows records,
// checkpoints and the election's counts from /election/summary.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;
const TYPE_NAMES = {
  "election": "election definition",
  "trustee-commitments": "trustee commitments",
  "trustee-shares": "trustee shares",
  "trustee-verdict": "trustee verdict",
  "joint-key": "election key",
  "client-hash": "voter client hash",
  "phase": "phase change",
  "ballot": "ballot",
  "challenged-ballot": "challenged ballot",
  "partial-decryption": "partial decryption",
  "result": "result",
};

let next = 0;          // next record index expected
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
  const tr = document.createElement("tr");
  tr.dataset.type = rec.type;
  const cells = [
    String(rec.index),
    rec.time.replace("T", " ").replace("Z", ""),
    TYPE_NAMES[rec.type] || rec.type,
    b64ToHex(rec.author).slice(0, 12) + "…",
    String(JSON.stringify(rec.payload).length) + " B",
  ];
  cells.forEach((c, i) => {
    const td = document.createElement("td");
    td.textContent = c;
    if (i === 0 || i === 4) td.className = "num";
    tr.appendChild(td);
  });
  const body = document.querySelector("#records tbody");
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  $("records-count").textContent = next + " records on the board; " + received + " received by this page.";
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

async function loadSummary() {
  try {
    const resp = await fetch("/election/summary", { cache: "no-store" });
    if (!resp.ok) return;
    const s = await resp.json();
    if (s.title) { $("title").textContent = "Observe: " + s.title; document.title = "Observe — " + s.title; }
    $("phase").textContent = s.phase;
    $("voters").textContent = s.voters;
    $("counted").textContent = s.counted;
    $("ballots").textContent = s.ballots;
    $("superseded").textContent = s.superseded;
    $("challenged").textContent = s.challenged;
    $("partials").textContent = s.partial_decryptions;
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
      $("result-section").hidden = false;
    }
  } catch (e) { /* the feed status shows connectivity */ }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/feed?from=" + next);
  ws.onopen = () => { retry = 1000; $("conn").textContent = "Connected: following the board live."; $("conn").dataset.live = "yes"; };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "record") { addRecord(msg.record); scheduleSummary(); }
    else if (msg.type === "checkpoint") setCheckpoint(msg.checkpoint);
  };
  ws.onclose = () => {
    $("conn").textContent = "Disconnected from the board; reconnecting in " + Math.round(retry / 1000) + " s…";
    $("conn").dataset.live = "no";
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  };
}

document.addEventListener("DOMContentLoaded", () => { loadSummary(); connect(); });
