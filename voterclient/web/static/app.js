// The voter page. All cryptography runs in the Go WebAssembly module
// (window.evote, see docs/spec/voter-client.md §4); this script only does
// the fetch()es and the page.
"use strict";

const $ = (id) => document.getElementById(id);

// Problem is an error with a plain-words message for the voter. One the
// module tells with a catalogue message (key, args) is shown in the
// page's language, and follows the language switcher.
class Problem extends Error {
  constructor(code, message, detail, key, args) {
    super(key && (window.i18n.has(key) || !message) ? window.i18n.t(key, ...(args || [])) : message);
    this.code = code;
    this.detail = detail || "";
    if (key && window.i18n.has(key)) {
      this.key = key;
      this.args = args || [];
    }
  }
}

const tr = (key, ...args) => window.i18n.t(key, ...args);
const say = (el, key, ...args) => window.i18n.say(el, key, ...args);
const sayStatus = (key, ...args) => say($("status"), key, ...args);
// said is say for a new element: it returns the element.
const said = (e, key, ...args) => { say(e, key, ...args); return e; };

// call runs a function of the Go module and returns its result or throws a Problem.
function call(name, arg) {
  if (!window.evote) throw new Problem("bad-input", "", "", "vote.error.no-module");
  const out = JSON.parse(window.evote[name](arg === undefined ? "" : typeof arg === "string" ? arg : JSON.stringify(arg)));
  if (!out.ok) throw new Problem(out.error.code, out.error.message, out.error.detail, out.error.key, out.error.args);
  return out.result;
}

// noAnswer says that an operator did not answer within state.attemptMs.
function noAnswer() { return "no answer within " + Math.round(state.attemptMs / 1000) + " s"; }

// get fetches a path of this board, or a URL of another operator's, and
// returns the response once its status and headers arrived, or throws an
// "unreachable" Problem: when the fetch fails, or when nothing arrived
// within state.attemptMs (an operator whose machine is down or whose link
// is cut answers nothing, and the browser would wait minutes before it
// gave up; the page falls over to the next operator instead). The body,
// which may be large, is not timed.
async function get(path, init) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), state.attemptMs);
  let resp;
  try {
    resp = await fetch(path, Object.assign({ cache: "no-store", signal: abort.signal }, init || {}));
  } catch (e) {
    const why = abort.signal.aborted ? noAnswer() : String(e);
    throw new Problem("unreachable", "", why, "vote.error.unreachable");
  } finally {
    clearTimeout(timer);
  }
  return resp;
}

async function getText(path) { return getTextFrom(path); }

// getTextFrom fetches url, of this board or another operator's, and
// returns its text, or throws a Problem, whose status is the HTTP status
// (0 if no answer came).
async function getTextFrom(url) {
  const resp = await get(url);
  const text = await resp.text();
  if (!resp.ok) {
    const p = new Problem("unreachable", "", text, "vote.error.status", [resp.status]);
    p.status = resp.status;
    throw p;
  }
  return text;
}

// readFrom runs read(getText, op) on the first of the operators ops, and,
// when one of its fetches fails in a way that falls over to another
// operator (the module's readFailover: no answer, a 5xx, a 429, a 408,
// as for a post, bulletin.FallsOver), again on the next, after calling
// moved(k, message) with the index of that operator in ops and the words
// that say so (docs/spec/voter-client.md §5.7). Anything else, and data
// that does not check out, stays an error. What read fetches from an
// operator, read has the module check with that operator's board key.
async function readFrom(ops, read, moved) {
  for (let i = 0; ; i++) {
    const op = ops[i];
    try {
      return await read((path) => getTextFrom(op.url + path), op);
    } catch (err) {
      const next = ops[i + 1];
      if (!(err instanceof Problem) || err.code !== "unreachable" || !next) throw err;
      const res = call("readFailover", { from: op.url ? op.name : "", to: next.name, url: next.url || location.origin, status: err.status || 0 });
      if (!res.falls_over) throw err;
      moved(i + 1, words(res));
    }
  }
}

// reading runs read on the operator the page reads the election from
// (state.readers[state.readAt]), moving on to the next when it fails.
async function reading(read) {
  return readFrom(state.readers.slice(state.readAt), read, (k, message) => {
    state.readAt += 1;
    document.body.dataset.readFrom = state.readers[state.readAt].name;
    document.body.dataset.readMoved = message;
    setStatus(message);
  });
}

const state = {
  election: null,   // ElectionInfo from the module
  summary: null,    // /election/summary
  credential: null, // {election, public}
  marked: null,     // the choices last encrypted
  markedWriteIns: null, // the names written in with them (markedWriteIns)
  earlier: null,    // index of the credential's counted ballot, as last asked
  castEarlier: null, // the same, before the ballot being cast was sent
  sent: null,       // the ballot sent until the board holds it: {kind, body, short, lost}
  receiptURL: null,
  next: 0,          // records read from the board so far
  votingOpen: false, // the records read open voting
  storedURLs: [],   // download links of the credentials kept on this device
  // A board kept by several operators (docs/spec/voter-client.md §5.7):
  // opURL is the base URL of the operator the ballot on its way is posted
  // to ("" for the board that served this page), attemptMs how long the
  // page waits for one operator's answer before it falls over to the next,
  // hedgeMs how long before it posts the ballot to the next as well (0:
  // one operator at a time).
  opURL: "",
  operators: [],    // the operators the module took, this board first
  attemptMs: 20000,
  hedgeMs: 0,
  // Where the page reads the election: this board first, then the other
  // operators its GET /election/operators lists (operatorList), read
  // before the election so that the page can still read it if this board
  // stops answering; readAt is the one it reads from now.
  operatorList: null,
  readers: [{ name: "", url: "" }],
  readAt: 0,
};

const own = (el, text) => window.i18n.own(el, text);

// words returns what a result of the module says: its said message
// ({key, args}, voterclient.Message) in the page's language, or its
// English message.
const words = (res) => res.said && window.i18n.has(res.said.key) ? tr(res.said.key, ...res.said.args) : res.message;

// movedWords says, in the page's language, why a ballot went to another
// operator than the board that served the page.
const movedWords = (res) => res.moved_said && window.i18n.has(res.moved_said.key) ? tr(res.moved_said.key, ...res.moved_said.args) : res.moved;

// sayWords shows a result's words in el, kept in the page's language.
function sayWords(el, res) {
  if (res.said && window.i18n.has(res.said.key)) say(el, res.said.key, ...res.said.args);
  else own(el, res.message);
}

function setStatus(msg) { own($("status"), msg); }

// showError shows err in the error box and, unless focus is false, moves
// the keyboard focus to it.
function showError(err, focus) {
  const box = $("error");
  box.replaceChildren();
  const p = document.createElement("p");
  if (err instanceof Problem && err.key) say(p, err.key, ...err.args);
  else if (err instanceof Problem) p.textContent = err.message;
  else say(p, "vote.error.page", String(err));
  box.appendChild(p);
  if (err instanceof Problem && err.detail) {
    const d = document.createElement("details");
    const s = document.createElement("summary");
    say(s, "vote.error.details");
    const c = document.createElement("code");
    c.textContent = err.detail;
    d.append(s, c);
    box.appendChild(d);
  }
  box.dataset.code = err instanceof Problem ? err.code : "internal";
  box.hidden = false;
  if (focus !== false) box.focus();
}

function clearError() { $("error").hidden = true; $("error").replaceChildren(); delete $("error").dataset.code; }

// show reveals one step section and moves keyboard focus to its heading.
function show(id, focus) {
  $(id).hidden = false;
  if (focus !== false) {
    const h = $(id).querySelector("h2");
    if (h) h.focus();
  }
}

function hide(...ids) { for (const id of ids) $(id).hidden = true; }

// deviceKey is where this device keeps its last confirmation code, which
// the next ballot includes, chaining the device's ballots.
function deviceKey() { return "evote.device-code." + state.election.manifest_hash; }

async function loadModule() {
  const resp = await get("/voter.wasm");
  if (!resp.ok) throw new Problem("unreachable", "", "", "vote.error.module-load");
  const bytes = await resp.arrayBuffer();
  let hash = "";
  if (window.crypto && crypto.subtle) {
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    hash = Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const go = new Go();
  const ready = new Promise((resolve) => { window.evoteReady = resolve; });
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  go.run(instance);
  await ready;
  return hash;
}

// sync feeds the board's records to the module until it has the election key
// and voting has opened. Pages are small: once voting is open, the records
// that follow are ballots the page does not need.
const SYNC_PAGE = 64;

async function sync() {
  let next = state.next;
  for (;;) {
    const page = await reading((get) => get("/records?start=" + next + "&end=" + (next + SYNC_PAGE)));
    const res = call("sync", page);
    state.election = res.election;
    state.next = res.next;
    if (res.done || res.next === next) return res;
    next = res.next;
  }
}

// anchor ties the records read to the signed checkpoint of the board the
// page reads from: the module checks the checkpoint's signature with that
// board's key (for an operator of a replicated board, the key the
// election's definition names for it), the operators' quorum, and that
// the last record read is in its tree, and refuses to encrypt until it has.
async function anchor(next) {
  await reading(async (get, op) => {
    const key = (state.readAt === 0 && state.summary && state.summary.board_key) || op.board_key;
    if (!key) throw new Problem("bad-board", "", "", "vote.error.no-board-key");
    const checkpoint = await get("/checkpoint");
    const size = Number(checkpoint.split("\n")[1]);
    const proof = JSON.parse(await get("/proof/inclusion?index=" + (next - 1) + "&size=" + size));
    call("anchor", { checkpoint: checkpoint, board_key: key, proof: proof });
    if (!$("board-key").value) $("board-key").value = key;
  });
}

// loadReaders reads this board's list of operators (GET
// /election/operators) before the page reads the election, so that the
// page reads it from the next operator if this board stops answering.
// The list is only a way to reach them: what the page reads from an
// operator is checked under the board key the election's definition names
// for it, and the module checks the list itself once it has read the
// definition (loadOperators).
async function loadReaders() {
  try {
    state.operatorList = JSON.parse(await getText("/election/operators"));
  } catch (e) { return; }
  const ops = state.operatorList.operators;
  if (ops && ops.length > 1) state.readers = ops;
}

// loadOperators gives the module the operators of a board kept by several
// (GET /election/operators, as loadReaders read it), which it checks
// against the election's definition: a ballot this board does not
// acknowledge is then sent to the next. A board of one operator lists
// itself alone.
async function loadOperators() {
  const ops = state.operatorList;
  if (!ops) return;
  if (ops.attempt_ms > 0) state.attemptMs = ops.attempt_ms;
  if (ops.hedge_ms > 0) state.hedgeMs = ops.hedge_ms;
  if (!ops.operators || ops.operators.length < 2) return;
  try {
    state.operators = call("operators", ops).operators;
  } catch (err) {
    // The list does not check out: post to this board alone, and say so.
    showError(new Problem(err.code, "", err.detail, "vote.error.this-board-only", [err.message]));
  }
}

function showModuleHash(hash) {
  const line = $("module-line");
  const clients = (state.election && state.election.clients) || [];
  const match = clients.find((c) => c.sha256 === hash);
  line.replaceChildren();
  const t = document.createElement("span");
  if (!hash) {
    say(t, "vote.module.no-hash");
  } else if (match) {
    say(t, "vote.module.match", hash, match.name);
    line.dataset.match = "yes";
  } else if (clients.length) {
    say(t, "vote.module.unknown", hash);
    line.dataset.match = "no";
  } else {
    say(t, "vote.module.none", hash);
  }
  line.appendChild(t);
}

async function boot() {
  await window.i18n.ready;
  try {
    const hash = await loadModule();
    await loadReaders();
    sayStatus("vote.status.reading-election");
    const res = await sync();
    try {
      state.summary = JSON.parse(await getText("/election/summary"));
    } catch (e) { state.summary = null; }
    showModuleHash(hash);
    if (state.summary && state.summary.board_key) $("board-key").value = state.summary.board_key;
    const e = state.election;
    if (!e) throw new Problem("not-open", "", "", "vote.error.no-election");
    retitle();
    window.i18n.onChange(() => { electionLine(); retitle(); });
    const phase = state.summary ? state.summary.phase : e.phase;
    if (phase === "closed" || phase === "tallied") {
      throw new Problem("closed", "", "", phase === "tallied" ? "vote.error.tallied" : "vote.error.closed", [e.title]);
    }
    // Before voting opens the page still reads and checks the board: for
    // registering a credential made here, and for checking the roll.
    await anchor(res.next);
    await loadOperators();
    state.votingOpen = res.done;
    if (state.votingOpen) renderContests(e);
    renderPhase();
    phaseStatus();
    renderStored();
    show("step-credential", false);
  } catch (err) {
    setStatus("");
    showError(err);
  }
}

// refresh reads the records posted since the page last read the board,
// ties them to its checkpoint, and updates what depends on the roll.
async function refresh() {
  const res = await sync();
  await anchor(res.next);
  renderPhase();
  if (res.done && !state.votingOpen) {
    state.votingOpen = true;
    renderContests(state.election);
    renderPhase();
    phaseStatus();
    renderStored();
  }
}

// renderPhase shows what the voter can do now: register while the roll is
// open, vote once voting is open, and says plainly when registration is over.
function renderPhase() {
  const e = state.election;
  rollLine();
  $("roll-line").hidden = !(state.votingOpen && e.roll_closed);
  if (state.votingOpen) {
    hide("step-register");
    $("credential-when").hidden = true;
    return;
  }
  $("register-open").hidden = e.roll_closed;
  const closed = $("register-closed");
  say(closed, e.voters === 1 ? "vote.roll.over-one-closed" : "vote.roll.over-closed", e.title, e.voters);
  closed.hidden = !e.roll_closed;
  show("step-register", false);
  const when = $("credential-when");
  say(when, "vote.credential.when", window.i18n.time(e.opens));
  when.hidden = false;
}

// rollLine says that registration is over, naming the election in the
// page's language.
function rollLine() {
  const e = state.election;
  say($("roll-line"), e.voters === 1 ? "vote.roll.over-one" : "vote.roll.over", e.title, e.voters);
}

// phaseStatus says in the status line what the voter can do now.
function phaseStatus() {
  const e = state.election;
  if (state.votingOpen) {
    sayStatus("vote.status.ready");
    return;
  }
  sayStatus(e.roll_closed ? "vote.status.not-open-closed" : e.voters === 1 ? "vote.status.not-open-one" : "vote.status.not-open-many",
    e.title, window.i18n.time(e.opens), e.voters);
}

// ---- contests ----

// ballotKey names the set of contests on the voter's ballot, to tell
// whether the form shows them.
function ballotKey() {
  const b = state.credential && state.credential.ballot;
  return b ? b.contests.join(",") : "all";
}

// onBallot reports whether contest ci is on the voter's ballot: the
// ballot style the roll gives the credential loaded (every contest before
// one is, or where the definition has no styles).
function onBallot(ci) {
  const b = state.credential && state.credential.ballot;
  return !b || b.contests.includes(ci);
}

// ranked reports whether contest c is ranked (docs/spec/ranked.md §1):
// the voter gives candidates ranks 1, 2, … and each one's ciphertext
// holds its rank, 0 for unranked.
const ranked = (c) => c.kind === "ranked";

function renderContests(e) {
  const root = $("contests");
  root.replaceChildren();
  state.renderedBallot = ballotKey();
  e.contests.forEach((c, ci) => {
    if (!onBallot(ci)) return;
    const fs = document.createElement("fieldset");
    fs.className = "contest";
    fs.dataset.contest = c.id;
    fs.dataset.index = ci;
    if (ranked(c)) fs.dataset.kind = "ranked";
    const legend = document.createElement("legend");
    legend.textContent = c.title;
    const rule = document.createElement("p");
    rule.className = "rule";
    rule.id = "rule-" + ci;
    say(rule, c.rule_key, ...c.rule_args);
    fs.setAttribute("aria-describedby", rule.id);
    fs.append(legend, rule);
    const single = c.option_max === 1 && c.max_selections === 1 && !ranked(c);
    if (single && c.min_selections === 0) {
      fs.appendChild(optionRow(ci, -1, "radio", "", c, true));
    }
    c.options.forEach((o, oi) => {
      fs.appendChild(optionRow(ci, oi, ranked(c) ? "rank" : c.option_max > 1 ? "number" : single ? "radio" : "checkbox", o.title, c, false));
      if (c.write_in && c.write_in.option === oi) fs.appendChild(writeInField(ci, c));
    });
    const counter = document.createElement("p");
    counter.className = "counter";
    counter.id = "counter-" + ci;
    counter.setAttribute("aria-live", "polite");
    fs.appendChild(counter);
    fs.addEventListener("input", () => updateCounter(ci));
    fs.addEventListener("change", () => updateCounter(ci));
    root.appendChild(fs);
    updateCounter(ci);
    if (c.write_in) sayWriteIn(ci);
  });
}

// writeInField returns the text field of contest c's write-in (ballot.md
// §1.2), right under its option (the slot), with the limit and a byte
// counter the field names as its description. Typing a name selects the
// slot; whether a name and the slot go together, and whether the name is
// text the ballot takes, the module checks ("check", "prepare") and says.
// The limit is in UTF-8 bytes: maxlength counts UTF-16 code units, never
// more than the bytes, so it only stops what is over for sure.
function writeInField(ci, c) {
  const id = "c" + ci + "-w";
  const input = el("input", { type: "text", id: id, maxLength: c.write_in.max_bytes, autocomplete: "off", spellcheck: false });
  input.dataset.writeIn = ci;
  const help = el("p", { id: id + "-help", className: "muted" });
  const bytes = el("p", { id: id + "-bytes", className: "bytes" });
  input.setAttribute("aria-describedby", help.id + " " + bytes.id);
  input.addEventListener("input", () => {
    if (input.value.trim() !== "") selectSlot(ci, c.write_in.option);
    updateBytes(ci);
  });
  return el("div", { className: "write-in" }, el("label", { htmlFor: id }), input, help, bytes);
}

// sayWriteIn says contest ci's write-in label and limit with the slot's
// title in the page's language, and counts the bytes written.
function sayWriteIn(ci) {
  const c = state.election.contests[ci];
  const id = "c" + ci + "-w";
  const slot = c.options[c.write_in.option].title;
  say(document.querySelector('label[for="' + id + '"]'), "vote.writein.label", slot);
  say($(id + "-help"), "vote.writein.help", slot, c.write_in.max_bytes);
  updateBytes(ci);
}

// selectSlot selects option oi of contest ci, the write-in's slot, as the
// voter would: a radio button leaves the others.
function selectSlot(ci, oi) {
  const slot = $("c" + ci + "-o" + oi);
  if (slot.checked) return;
  slot.checked = true;
  slot.dispatchEvent(new Event("change", { bubbles: true }));
}

// utf8Length is the length of s in UTF-8 bytes, the unit of a write-in's
// max_bytes.
const utf8Length = (s) => new TextEncoder().encode(s).length;

// updateBytes says how many of contest ci's write-in bytes the name uses,
// and plainly when it is over.
function updateBytes(ci) {
  const max = state.election.contests[ci].write_in.max_bytes;
  const n = utf8Length($("c" + ci + "-w").value.trim());
  const out = $("c" + ci + "-w-bytes");
  say(out, n > max ? "vote.writein.bytes-over" : "vote.writein.bytes", n, max);
  out.dataset.over = n > max ? "yes" : "no";
}

// optionRow returns one option's row: a radio button, check box or
// number field, or, in a ranked contest, a drop-down list of the ranks
// ("Not ranked", "Rank 1 (first choice)", "Rank 2", …): a native control
// that the keyboard and screen readers know, and that fits on a phone.
function optionRow(ci, oi, type, title, c, checked) {
  const row = document.createElement("div");
  row.className = "option";
  const id = "c" + ci + "-o" + (oi < 0 ? "none" : oi);
  let input;
  if (type === "rank") {
    input = document.createElement("select");
    for (let r = 0; r <= c.max_selections; r++) {
      const o = document.createElement("option");
      o.value = r;
      say(o, r === 0 ? "vote.rank.none" : r === 1 ? "vote.rank.first" : "vote.rank.n", r);
      input.appendChild(o);
    }
    row.classList.add("rank");
  } else {
    input = document.createElement("input");
    input.type = type;
  }
  input.id = id;
  input.dataset.contest = ci;
  input.dataset.option = oi;
  if (type === "radio") { input.name = "contest-" + ci; input.checked = checked; }
  if (type === "number") {
    input.min = 0; input.max = c.option_max; input.step = 1; input.value = 0;
    input.inputMode = "numeric";
  }
  const label = document.createElement("label");
  label.htmlFor = id;
  if (oi < 0) say(label, "vote.ballot.blank"); else label.textContent = title;
  if (type === "number" || type === "rank") row.append(label, input); else row.append(input, label);
  return row;
}

// optionValue reads one option's control: its count, or its rank.
function optionValue(input) {
  if (input.tagName === "SELECT") return Number(input.value);
  if (input.type === "number") return Number(input.value);
  return input.checked ? 1 : 0;
}

function contestTotal(ci) {
  let total = 0;
  for (const input of document.querySelectorAll('[data-contest="' + ci + '"][data-option]')) {
    const oi = Number(input.dataset.option);
    if (oi < 0) continue;
    if (input.tagName === "SELECT") total += input.value !== "0" ? 1 : 0;
    else if (input.type === "number") total += Math.max(0, Math.floor(Number(input.value) || 0));
    else if (input.checked) total += 1;
  }
  return total;
}

function updateCounter(ci) {
  const c = state.election.contests[ci];
  const n = contestTotal(ci);
  if (ranked(c)) {
    say($("counter-" + ci), "vote.counter.ranked", n, c.max_selections);
    return;
  }
  const points = c.option_max > 1;
  const key = n > c.max_selections ? (points ? "vote.counter.points-over" : "vote.counter.chosen-over")
    : n < c.min_selections ? (points ? "vote.counter.points-under" : "vote.counter.chosen-under")
      : (points ? "vote.counter.points" : "vote.counter.chosen");
  say($("counter-" + ci), key, n, c.max_selections, c.min_selections);
}

// markedChoices reads the form into counts (ranks, in a ranked contest)
// per contest per option. The module checks them against the contests'
// rules before it encrypts anything, and says what is wrong.
function markedChoices() {
  return state.election.contests.map((c, ci) => !onBallot(ci) ? [] : c.options.map((o, oi) => {
    const v = optionValue($("c" + ci + "-o" + oi));
    if (!Number.isInteger(v) || v < 0) throw new Problem("invalid-choices", "", "", "vote.error.points", [c.title, o.title, c.option_max]);
    return v;
  }));
}

// markedWriteIns reads the names written in, one per contest ("" for
// none, and for a contest without a write-in or not on the ballot), with
// the white space around them left out; null if no contest has a
// write-in.
function markedWriteIns() {
  const cs = state.election.contests;
  if (!cs.some((c) => c.write_in)) return null;
  return cs.map((c, ci) => c.write_in && onBallot(ci) && $("c" + ci + "-w") ? $("c" + ci + "-w").value.trim() : "");
}

// marks returns what the voter marked, as "check" and "prepare" take it.
function marks() {
  const m = { choices: markedChoices() };
  const w = markedWriteIns();
  if (w) m.write_ins = w;
  return m;
}

// retitle asks the module for the election in the page's language (its
// titles as the definition translates them, ballot.Manifest.Localize)
// and shows them: the page's title, the election line, the contests'
// legends and options, keeping what the voter marked.
function retitle() {
  try {
    state.election = call("language", window.i18n.lang) || state.election;
  } catch (err) { /* the titles stay as the definition writes them */ }
  const e = state.election;
  own($("title"), e.title);
  own(document.querySelector("title"), tr("vote.page-title-election", e.title));
  electionLine();
  for (const fs of document.querySelectorAll("#contests fieldset")) {
    const ci = Number(fs.dataset.index);
    const c = e.contests[ci];
    fs.querySelector("legend").textContent = c.title;
    c.options.forEach((o, oi) => { fs.querySelector('label[for="c' + ci + "-o" + oi + '"]').textContent = o.title; });
    if (c.write_in) sayWriteIn(ci);
  }
  if (state.marked) renderChoiceList($("marked-summary"), describeChoices(state.marked, state.markedWriteIns));
  rollLine();
  if (state.credential) credentialLine();
  // A fault in the marks, said again with the titles in this language.
  if (!$("error").hidden && $("error").dataset.code === "invalid-choices" && !$("step-ballot").hidden) {
    try {
      call("check", marks());
      clearError(); // mended since
    } catch (err) {
      if (err instanceof Problem && err.code === "invalid-choices") showError(err, false);
    }
  }
}

// ---- credential ----

async function onCredential(ev) {
  clearError();
  const file = ev.target.files[0];
  if (!file) return;
  try {
    await useCredential(await loadCredential("credential", await file.text()));
  } catch (err) {
    hide("step-ballot", "step-decide");
    showError(err);
  }
}

// onPaste loads the credential text the voter pasted, for example what a
// phone's QR code scanner read from the registrar's printed page.
async function onPaste(ev) {
  ev.preventDefault();
  clearError();
  try {
    const info = await loadCredential("credentialText", $("credential-paste").value);
    $("credential-paste").value = ""; // the text holds the private key: do not leave it on the page
    await useCredential(info);
  } catch (err) {
    hide("step-ballot", "step-decide");
    showError(err);
  }
}

// loadCredential has the module load a credential (with the function
// name: "credential" for a file, "credentialText" for pasted text). Before
// voting opens, the page first reads the roll records posted since it
// loaded, so that it says where the credential is on the roll now.
async function loadCredential(name, text) {
  if (!state.votingOpen) await refresh();
  return call(name, text);
}

// useCredential goes on with a credential the module loaded: to the ballot
// once voting is open; before, it only says where it is on the roll.
async function useCredential(cred) {
  state.credential = cred;
  state.earlier = null;
  credentialLine();
  $("credential-info").hidden = false;
  if (!state.votingOpen) {
    hide("step-ballot", "step-decide");
    sayStatus("vote.status.not-open-yet");
    return;
  }
  await lookupEarlier();
  credentialLine();
  // Only the contests on this voter's ballot; a form already showing them
  // keeps what the voter marked.
  if (state.renderedBallot !== ballotKey()) renderContests(state.election);
  show("step-ballot");
  sayStatus("vote.status.mark");
}

// credentialLine says, in the page's language, which credential is loaded,
// where it is on the roll, which ballot it gets, and whether it has voted.
function credentialLine() {
  const cred = state.credential;
  const info = $("credential-info");
  info.textContent = tr("vote.credential.loaded", cred.public.slice(0, 16)) + " " + (cred.roll ? words(cred.roll) : "");
  const b = cred.ballot;
  if (b && b.contests.length < state.election.contests.length) {
    info.textContent += " " + (b.style
      ? tr("vote.credential.contests-style", b.style, String(b.contests.length), String(state.election.contests.length))
      : tr("vote.credential.contests", String(b.contests.length), String(state.election.contests.length)));
  }
  if (b && b.weight > 1) info.textContent += " " + tr("vote.credential.weight", String(b.weight));
  if (state.votingOpen && state.earlier !== null) info.textContent += " " + tr("vote.credential.voted", state.earlier);
}

// ---- a credential made on this device (voter-held) ----

// The credentials this device made are kept in localStorage under
// evote.credential.<manifest hash>.<voter id>, as the credential file's
// text, until the voter forgets them.
function storedPrefix() { return "evote.credential." + state.election.manifest_hash + "."; }

function storedVoters() {
  const out = [];
  try {
    const prefix = storedPrefix();
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && k.startsWith(prefix)) out.push(k.slice(prefix.length));
    }
  } catch (e) { /* no storage: nothing kept */ }
  return out.sort();
}

function storedText(voter) {
  try { return localStorage.getItem(storedPrefix() + voter); } catch (e) { return null; }
}

function onRegister(ev) {
  ev.preventDefault();
  clearError();
  const voter = $("voter-id").value.trim();
  const button = $("make-credential");
  button.disabled = true;
  try {
    if (voter && storedText(voter) !== null) {
      throw new Problem("exists", "", "", "vote.error.exists", [voter]);
    }
    const res = call("newCredential", { voter: voter });
    try {
      localStorage.setItem(storedPrefix() + res.voter, res.credential);
    } catch (e) {
      throw new Problem("storage", "", String(e), "vote.error.storage");
    }
    $("voter-id").value = "";
    renderStored();
    const item = storedItem(res.voter);
    if (item) item.querySelector("h3").focus();
    sayStatus("vote.status.made");
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function storedItem(voter) {
  return Array.from(document.querySelectorAll("#stored-list .stored")).find((el) => el.dataset.voter === voter) || null;
}

// renderStored lists the credentials this device keeps for this election.
function renderStored() {
  for (const u of state.storedURLs) URL.revokeObjectURL(u);
  state.storedURLs = [];
  const list = $("stored-list");
  list.replaceChildren();
  const voters = storedVoters();
  $("step-stored").hidden = voters.length === 0;
  say($("h-stored"), voters.length > 1 ? "vote.stored.h-many" : "vote.stored.h");
  voters.forEach((v, i) => list.appendChild(renderStoredItem(v, i)));
}

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  e.append(...children);
  return e;
}

function downloadLink(text, name, label, type) {
  const url = URL.createObjectURL(new Blob([text], { type: type }));
  state.storedURLs.push(url);
  const a = el("a", { className: "button", href: url, download: name, textContent: label });
  return a;
}

function renderStoredItem(voter, i) {
  const text = storedText(voter) || "";
  const item = el("div", { className: "stored" });
  item.dataset.voter = voter;
  const h = said(el("h3", { id: "stored-h-" + i, tabIndex: -1 }), "vote.stored.voter", voter);
  item.setAttribute("role", "group");
  item.setAttribute("aria-labelledby", h.id);
  const status = el("p", { className: "roll-status" });
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  const use = said(el("button", { type: "button", className: "use" }), "vote.stored.use");
  const check = said(el("button", { type: "button", className: "check secondary" }), "vote.stored.check");
  const exp = downloadLink(text, "evote-credential-" + voter + ".json", tr("vote.stored.export"), "application/json");
  exp.classList.add("export");
  const forget = said(el("button", { type: "button", className: "forget secondary" }), "vote.stored.forget");
  const actions = el("div", { className: "actions" }, use, check, exp, forget);
  const keep = said(el("p", { className: "muted" }), "vote.stored.keep");

  const reg = el("div", { className: "registration" });
  reg.hidden = true;

  const sure = el("div", { className: "confirm note" });
  sure.hidden = true;
  const yes = said(el("button", { type: "button", className: "forget-yes" }), "vote.stored.forget-yes");
  const no = said(el("button", { type: "button", className: "forget-no secondary" }), "vote.stored.forget-no");
  const question = said(el("p", { id: "forget-q-" + i }), "vote.stored.forget-q", voter);
  yes.setAttribute("aria-describedby", question.id);
  no.setAttribute("aria-describedby", question.id);
  sure.append(question, el("div", { className: "actions" }, yes, no));

  item.append(h, status, actions, keep, reg, sure);

  const update = () => {
    reg.replaceChildren();
    reg.hidden = true;
    let res;
    try {
      res = call("checkRoll", text);
    } catch (err) {
      status.textContent = err.message;
      status.dataset.onRoll = "error";
      use.hidden = true;
      return;
    }
    sayWords(status, res);
    status.dataset.onRoll = res.on_roll ? "yes" : res.roll_closed ? "no" : "pending";
    use.hidden = !(res.on_roll && state.votingOpen);
    if (res.registration) renderRegistration(reg, voter, i, res.registration);
  };
  update();

  use.addEventListener("click", async () => {
    clearError();
    try {
      await useCredential(await loadCredential("credential", text));
    } catch (err) {
      hide("step-ballot", "step-decide");
      showError(err);
    }
  });
  check.addEventListener("click", async () => {
    clearError();
    check.disabled = true;
    say(status, "vote.stored.reading-roll");
    delete status.dataset.onRoll;
    try {
      await refresh();
      update();
    } catch (err) {
      status.textContent = "";
      showError(err);
    } finally {
      check.disabled = false;
    }
  });
  forget.addEventListener("click", () => { sure.hidden = false; no.focus(); });
  no.addEventListener("click", () => { sure.hidden = true; forget.focus(); });
  yes.addEventListener("click", () => {
    try { localStorage.removeItem(storedPrefix() + voter); } catch (e) { /* nothing kept */ }
    renderStored();
    sayStatus("vote.stored.forgotten", voter);
    const left = document.querySelector("#stored-list h3");
    if (left) left.focus();
  });
  return item;
}

// renderRegistration offers the registration request of a credential not
// on the roll yet, to send the registrar.
function renderRegistration(root, voter, i, request) {
  const id = "registration-" + i;
  const area = el("textarea", { id: id, rows: 4, readOnly: true, spellcheck: false, value: request });
  const copied = el("p", { className: "muted" });
  copied.setAttribute("role", "status");
  copied.setAttribute("aria-live", "polite");
  const copy = said(el("button", { type: "button", className: "copy secondary" }), "vote.register.copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(request);
      say(copied, "vote.register.copied");
    } catch (e) {
      area.focus();
      area.select();
      say(copied, "vote.register.copy-failed");
    }
  });
  const dl = downloadLink(request + "\n", "registration.json", tr("vote.register.download"), "application/json");
  dl.classList.add("download-registration");
  root.append(
    said(el("h4", {}), "vote.register.send-h"),
    said(el("p", {}), "vote.register.send-p"),
    said(el("label", { htmlFor: id }), "vote.register.request-label", voter),
    area,
    el("div", { className: "actions" }, dl, copy),
    copied);
  root.hidden = false;
}

// lookupEarlier asks the board whether this credential already has a counted ballot.
async function lookupEarlier() {
  state.earlier = null;
  try {
    const resp = await get("/election/voters/" + state.credential.public);
    if (resp.ok) {
      const st = await resp.json();
      if (st.cast) state.earlier = st.index;
    }
  } catch (e) { /* the board will still take the ballot; the note is a courtesy */ }
}

// ---- encrypt, cast, challenge ----

function onEncrypt(ev) {
  ev.preventDefault();
  clearError();
  let marked;
  try {
    marked = marks();
    // The module's rules, said before anything is encrypted.
    call("check", marked);
  } catch (err) { showError(err); return; }
  sayStatus("vote.status.encrypting");
  $("encrypt").disabled = true;
  // Let the page paint the status before the module takes the thread.
  setTimeout(async () => {
    try {
      const prev = localStorage.getItem(deviceKey()) || "";
      const t0 = performance.now();
      const res = call("prepare", Object.assign({ prev: prev }, marked));
      window.evoteLastEncryptMs = performance.now() - t0;
      localStorage.setItem(deviceKey(), res.code);
      state.marked = marked.choices;
      state.markedWriteIns = marked.write_ins || null;
      renderChoiceList($("marked-summary"), describeChoices(state.marked, state.markedWriteIns));
      $("code").textContent = res.short;
      $("code").dataset.full = res.code;
      await lookupEarlier();
      const note = $("revote-note");
      if (state.earlier !== null) {
        say(note, "vote.decide.revote-note", state.earlier);
        note.hidden = false;
      } else note.hidden = true;
      hide("step-ballot");
      show("step-decide");
      sayStatus("vote.status.encrypted", Math.round(window.evoteLastEncryptMs), res.short);
    } catch (err) {
      setStatus("");
      showError(err);
    } finally {
      $("encrypt").disabled = false;
    }
  }, 0);
}

// ---- sending, and finding out whether the board took the ballot ----
//
// A ballot whose POST fails without an answer (the connection broke, the
// board restarted, a time-out) or with a 5xx may still have been appended:
// the page then does not conclude but looks it up on the board, through
// the module, which relies only on what it ties to the board's signed
// checkpoint (docs/spec/voter-client.md §5.6). Until the board is known to
// hold it, the module keeps the signed ballot (state.sent here) to send
// again: the board refuses an exact duplicate, so that is safe.

// send signs the encrypted ballot to cast it (kind "cast") or to challenge
// it ("challenge"), posts it and returns the outcome (deliver). It first
// reads the board's signed checkpoint: the board cannot hold the ballot
// among the records that checkpoint signs, so a lookup reads only the
// records after them. If the board cannot be reached then, the checkpoint
// and the first post are another operator's (sendingCheckpoint); if none
// can, nothing is sent.
async function send(kind) {
  state.sent = null;
  const { checkpoint, operator } = await sendingCheckpoint();
  const sub = call(kind, { checkpoint: checkpoint, operator: operator });
  state.opURL = operator ? state.operators[operator].url : "";
  if (operator) setStatus(movedWords(call("delivery")));
  state.sent = { kind: kind, body: sub.submission, short: sub.short, lost: false };
  return deliver();
}

// sendingCheckpoint reads the signed checkpoint a ballot is sent after:
// this board's or, if it cannot be reached, the first other operator's that
// can (the module checks it with that operator's key and the election's
// trust policy, and the ballot then goes to that operator first).
async function sendingCheckpoint() {
  try {
    return { checkpoint: await getText("/checkpoint"), operator: 0 };
  } catch (err) {
    for (let i = 1; i < state.operators.length; i++) {
      try {
        return { checkpoint: await getTextFrom(state.operators[i].url + "/checkpoint"), operator: i };
      } catch (e) { /* the next */ }
    }
    throw err;
  }
}

// post posts the signed ballot kept in state.sent to the operator at url,
// waiting at most state.attemptMs for the answer (or until stop aborts),
// and returns the answer's status and body; status 0 if none arrived.
async function post(url, stop) {
  try {
    const resp = await fetch(url + "/records", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: state.sent.body, cache: "no-store",
      signal: AbortSignal.any([AbortSignal.timeout(state.attemptMs), stop]),
    });
    return { status: resp.status, body: await resp.text() };
  } catch (e) {
    // No answer: the module says what that means.
    const late = e && (e.name === "TimeoutError" || e.name === "AbortError");
    return { status: 0, body: late ? noAnswer() : String(e) };
  }
}

// failOver follows the module's failover to the next operator: it reads
// that operator's signed checkpoint, which the module checks with the
// operator's key and the election's trust policy, and returns the
// delivery status on the operator the ballot goes to now (its url), or,
// when no other operator could take it, on the one it was last sent to.
async function failOver(res) {
  while (res.failover) {
    setStatus(words(res));
    let checkpoint = "";
    try {
      checkpoint = await getText(res.failover.url + "/checkpoint");
    } catch (e) { /* the module tries the next */ }
    res = call("switchOperator", { checkpoint: checkpoint });
  }
  return res;
}

// deliver posts the signed ballot kept in state.sent and returns what the
// module makes of the answers: "found" (the record and its checked
// receipt), "not-found" or "unknown". An operator that does not
// acknowledge it is fallen over from to the next (failOver); one that has
// not answered within state.hedgeMs is hedged: the ballot goes to the
// next operator as well while its post goes on ("hedge"), and its answer,
// if it comes, goes to the module as "postedBehind". The first receipt
// counts; the posts still waiting are then given up. An answer that is
// lost, failed or says the board already has the ballot is looked up.
async function deliver() {
  state.sent.lost = false;
  const giveUp = new AbortController();
  const waiting = new Map(); // operator URL → the promise of its answer
  const postTo = (url) => waiting.set(url, post(url, giveUp.signal).then((answer) => ({ url: url, answer: answer })));
  postTo(state.opURL);
  let res;
  let hedging = state.hedgeMs > 0;
  try {
    for (;;) {
      let timer;
      const hedge = new Promise((resolve) => { if (hedging) timer = setTimeout(() => resolve(null), state.hedgeMs); });
      const got = await Promise.race([...waiting.values(), hedge]);
      clearTimeout(timer);
      if (got === null) { // no answer within state.hedgeMs
        res = await failOver(call("hedge", { seconds: Math.round(state.hedgeMs / 1000) }));
        if (res.url === state.opURL || waiting.has(res.url)) hedging = false; // no other operator took it
        else { state.opURL = res.url; postTo(res.url); }
        continue;
      }
      waiting.delete(got.url);
      if (got.url !== state.opURL) { // an operator hedged from
        res = call("postedBehind", { url: got.url, status: got.answer.status, body: got.answer.body });
        if (res.status === "found" || waiting.size === 0) break;
        continue; // the operator posted to last may still answer
      }
      res = call("posted", got.answer);
      if (res.failover) {
        res = await failOver(res);
        if (res.url !== state.opURL && !waiting.has(res.url)) { // post the same ballot to the next operator
          state.opURL = res.url;
          postTo(res.url);
          continue;
        }
      }
      // Found, or nothing more to post: operators hedged from may still
      // answer, unless the board said it holds the ballot (a lookup tells).
      if (res.status === "found" || waiting.size === 0 || res.hint >= 0) break;
    }
  } finally {
    giveUp.abort();
  }
  state.opURL = res.url; // the operator whose answer counts
  if (res.status !== "unknown") return res;
  state.sent.lost = true;
  setStatus(words(res));
  return lookUp(res);
}

// lookUp looks the ballot sent up on the board, with res the module's
// status of it ("posted" or "delivery"): the board's current checkpoint,
// the consistency proof from the one read before sending, the record the
// lookup starts from (the one the board named, or the last before those
// signed since) with its inclusion proof, then the records signed since
// and the inclusion proof of the ballot's record or of the last one. A
// fetch that fails throws an "unreachable" Problem.
async function lookUp(res) {
  const getText = (path) => getTextFrom(state.opURL + path);
  const checkpoint = await getText("/checkpoint");
  const n = Number(checkpoint.split("\n")[1]);
  const args = { checkpoint: checkpoint };
  if (n >= res.from) args.consistency = JSON.parse(await getText("/proof/consistency?old=" + res.from + "&new=" + n));
  if (res.start < n) {
    args.record = (await getText("/records/" + res.start)).trim();
    args.proof = JSON.parse(await getText("/proof/inclusion?index=" + res.start + "&size=" + n));
  }
  res = call("lookup", args);
  // The board sends at most a page of records per request.
  while (res.status === "pending" && res.prove < 0) {
    setStatus(words(res));
    const next = res.next;
    res = call("lookupScan", await getText("/records?start=" + next + "&end=" + res.latest));
    if (res.status === "pending" && res.prove < 0 && res.next === next) break; // nothing sent: lookupFinish says so
  }
  if (res.status === "pending") {
    const at = res.prove >= 0 ? res.prove : res.latest - 1;
    res = call("lookupFinish", JSON.parse(await getText("/proof/inclusion?index=" + at + "&size=" + res.latest)));
  }
  return res;
}

// settle shows the outcome of sending: the cast or challenged ballot once
// the board holds it; otherwise what is known, with what the voter can do.
function settle(res) {
  if (res.status !== "found") {
    showUnsure(res.status, words(res));
    return;
  }
  if (state.sent.kind === "cast") showCast(res, state.sent.lost);
  else showChallenged(res);
  state.sent = null;
}

// showUnsure says that the ballot sent is not on the board ("not-found":
// send it again, or change the choices) or that the page cannot tell yet
// ("unknown": check again); the page keeps the signed ballot either way.
function showUnsure(status, message) {
  const cast = state.sent.kind === "cast";
  const notFound = status === "not-found";
  hide("step-decide", "step-ballot");
  const section = $("step-unsure");
  section.dataset.state = notFound ? "not-found" : "unknown";
  say($("h-unsure"), notFound
    ? (cast ? "vote.unsure.h-not-cast" : "vote.unsure.h-not-challenged")
    : (cast ? "vote.unsure.h" : "vote.unsure.h-challenge"));
  $("unsure-text").textContent = message;
  $("unsure-code").textContent = state.sent.short;
  $("check-again").hidden = notFound;
  $("send-again").hidden = !notFound;
  $("unsure-change").hidden = !notFound;
  show("step-unsure");
  setStatus(message);
}

// cannotTell is what the page says when the board cannot be reached to
// look the ballot up.
function cannotTell() {
  return tr(state.sent.kind === "cast" ? "vote.unsure.unreachable-cast" : "vote.unsure.unreachable-challenge");
}

// REFUSED are the problems that end a ballot sent: the board refused it
// for good, or a challenged ballot did not open to what was marked.
const REFUSED = ["closed", "ineligible", "rejected", "duplicate", "busy", "bad-challenge", "no-ballot"];

// sendFailed shows a failure while sending. Before the ballot was sent,
// it stays ready to cast or challenge. Once sent, a refusal for good ends
// it; any other failure (the board cannot be reached, or its answers do
// not check out) leaves the page unable to tell: it keeps the ballot and
// offers to check again.
function sendFailed(err) {
  if (!state.sent) {
    setStatus("");
    showError(err);
    return;
  }
  if (err instanceof Problem && REFUSED.includes(err.code)) {
    state.sent = null;
    setStatus("");
    hide("step-decide", "step-unsure");
    show("step-ballot", false);
    showError(err);
    return;
  }
  const unreachable = err instanceof Problem && err.code === "unreachable";
  showUnsure("unknown", unreachable ? cannotTell()
    : tr(state.sent.kind === "cast" ? "vote.unsure.unchecked-cast" : "vote.unsure.unchecked-challenge"));
  if (!unreachable) showError(err);
}

async function onCast() {
  clearError();
  setButtons(false);
  sayStatus("vote.status.sending");
  try {
    await lookupEarlier();
    state.castEarlier = state.earlier;
    settle(await send("cast"));
  } catch (err) {
    sendFailed(err);
  } finally {
    setButtons(true);
  }
}

async function onChallenge() {
  clearError();
  setButtons(false);
  sayStatus("vote.status.posting");
  try {
    settle(await send("challenge"));
  } catch (err) {
    sendFailed(err);
  } finally {
    setButtons(true);
  }
}

// onSendAgain sends the same signed ballot again, once the board said it
// does not hold it.
async function onSendAgain() {
  clearError();
  setButtons(false);
  sayStatus(state.sent.kind === "cast" ? "vote.status.sending-again" : "vote.status.posting-again");
  try {
    call("resend");
    settle(await deliver());
  } catch (err) {
    sendFailed(err);
  } finally {
    setButtons(true);
  }
}

// onCheckAgain looks the ballot sent up on the board again.
async function onCheckAgain() {
  clearError();
  setButtons(false);
  sayStatus(state.sent.kind === "cast" ? "vote.status.looking" : "vote.status.looking-challenged");
  state.sent.lost = true;
  try {
    settle(await lookUp(call("delivery")));
  } catch (err) {
    sendFailed(err);
  } finally {
    setButtons(true);
  }
}

// showCast shows the cast ballot: its record, the re-vote note, and the
// receipt to save; lost says the board's first answer did not arrive.
function showCast(res, lost) {
  hide("step-decide", "step-unsure");
  say($("cast-summary"), "vote.cast.summary", $("code").textContent, res.index);
  $("cast-recovered").hidden = !lost;
  showMoved($("cast-moved"), res);
  const rv = $("cast-revote");
  const earlier = state.castEarlier;
  if (earlier !== null && earlier !== undefined && earlier !== res.index) {
    say(rv, "vote.cast.replaces", earlier);
    rv.hidden = false;
  } else rv.hidden = true;
  $("receipt-text").value = res.receipt;
  if (state.receiptURL) URL.revokeObjectURL(state.receiptURL);
  state.receiptURL = URL.createObjectURL(new Blob([res.receipt], { type: "text/plain" }));
  const a = $("receipt-download");
  a.href = state.receiptURL;
  a.download = "evote-receipt-" + res.index + ".txt";
  show("step-cast");
  sayStatus("vote.status.cast");
}

// showMoved says, in el, that the ballot was sent to another operator than
// the board that served the page, and where its receipt is checked.
function showMoved(el, res) {
  el.hidden = !res.moved || !res.url;
  if (el.hidden) return;
  el.textContent = movedWords(res) + " " + tr("vote.cast.moved-by", res.operator, res.url);
  el.dataset.operator = res.operator;
}

// showChallenged opens the challenged ballot and compares it with what
// the voter marked.
function showChallenged(res) {
  const rv = call("reveal", res.record);
  hide("step-decide", "step-unsure");
  say($("challenge-summary"), "vote.challenged.summary", rv.short, res.index);
  renderRevealed(rv);
  const same = rv.challenged && JSON.stringify(rv.choices) === JSON.stringify(state.marked) &&
    JSON.stringify(revealedWriteIns(rv)) === JSON.stringify(state.markedWriteIns);
  const v = $("challenge-verdict");
  say(v, same ? "vote.challenged.same" : "vote.challenged.differs");
  v.dataset.ok = same ? "yes" : "no";
  show("step-challenged");
  sayStatus("vote.status.challenged");
}

// describeChoices lists choices (and the names written in, writeIns, or
// null) per contest like the module's reveal does: a ranked contest's
// candidates in rank order, a contest's write-in as the name.
function describeChoices(choices, writeIns) {
  return state.election.contests.flatMap((c, ci) => choices[ci].length === 0 ? [] : [{
    title: c.title,
    ranked: ranked(c),
    selections: c.options.map((o, oi) => ({ title: o.title, count: choices[ci][oi], written: isSlot(c, oi) }))
      .filter((s) => s.count > 0).sort((a, b) => ranked(c) ? a.count - b.count : 0),
    write_in: writeIns ? writeIns[ci] : "",
  }]);
}

// revealedContests returns the indices of the contests a revealed ballot
// rv lists, those of the voter's ballot.
function revealedContests(rv) {
  return rv.choices.flatMap((ch, ci) => ch && ch.length ? [ci] : []);
}

// revealedWriteIns returns the names a revealed ballot rv holds, as
// markedWriteIns reads them, or null if no contest has a write-in.
function revealedWriteIns(rv) {
  if (!state.election.contests.some((c) => c.write_in)) return null;
  const out = state.election.contests.map(() => "");
  revealedContests(rv).forEach((ci, k) => { out[ci] = rv.contests[k].write_in || ""; });
  return out;
}

// isSlot reports whether option oi of contest c is its write-in's slot.
const isSlot = (c, oi) => !!c.write_in && c.write_in.option === oi;

// renderRevealed shows what the challenged ballot rv holds. A contest
// with a write-in is not ranked: its selections are its options with a
// count, in order, so the k-th is the k-th option counted.
function renderRevealed(rv) {
  const cis = revealedContests(rv);
  renderChoiceList($("revealed"), rv.contests.map((rc, k) => {
    const c = state.election.contests[cis[k]];
    const counted = rv.choices[cis[k]].flatMap((n, oi) => n > 0 ? [oi] : []);
    return Object.assign({}, rc, {
      selections: rc.selections.map((s, j) => Object.assign({}, s, { written: !rc.ranked && isSlot(c, counted[j]) })),
    });
  }));
}

// renderChoiceList shows what a ballot holds, contest by contest: the
// options chosen (with their points), the write-in's slot (a selection
// marked written) with the name written in (the contest's write_in), or a
// ranking as a numbered list.
function renderChoiceList(root, contests) {
  root.replaceChildren();
  const dl = document.createElement("dl");
  for (const c of contests) {
    const dt = document.createElement("dt");
    dt.textContent = c.title;
    const dd = document.createElement("dd");
    if (!c.selections.length) say(dd, "vote.nothing-marked");
    else if (c.ranked) {
      const ol = document.createElement("ol");
      ol.className = "ranking";
      for (const s of c.selections) ol.appendChild(el("li", { textContent: s.title }));
      dd.appendChild(ol);
    } else {
      c.selections.forEach((s, i) => {
        if (i > 0) dd.append(", ");
        if (s.written && c.write_in) dd.appendChild(said(el("span", { className: "written-in" }), "vote.writein.marked", s.title, c.write_in));
        else dd.append(s.count > 1 ? s.title + " (" + s.count + ")" : s.title);
      });
    }
    dl.append(dt, dd);
  }
  root.appendChild(dl);
}

function setButtons(on) {
  for (const id of ["cast", "challenge", "change", "check-again", "send-again", "unsure-change"]) $(id).disabled = !on;
}

function backToBallot() {
  clearError();
  state.sent = null;
  hide("step-decide", "step-challenged", "step-cast", "step-unsure");
  show("step-ballot");
  sayStatus("vote.status.mark");
}

// ---- receipts ----

// showReceipt shows text in the receipt check's result line, and the
// outcome's status, if any: "counted" with a check mark, "replaced" as a
// loud alert with the replacing record, anything else as a failure.
function showReceipt(text, status, res) {
  const out = $("receipt-result");
  for (const k of ["ok", "status", "replacedBy", "replacedAt", "current"]) delete out.dataset[k];
  const alert = status === "replaced";
  out.setAttribute("role", alert ? "alert" : "status");
  out.setAttribute("aria-live", alert ? "assertive" : "polite");
  if (status === undefined) {
    out.textContent = text;
    return;
  }
  out.textContent = (status === "counted" ? "\u2714 " : "\u2716 ") + text;
  out.dataset.ok = status === "counted" ? "yes" : "no";
  if (status) out.dataset.status = status;
  if (alert) {
    out.dataset.replacedBy = res.replaced_by;
    out.dataset.replacedAt = res.replaced_at;
    out.dataset.current = res.current;
  }
}

// onCheckReceipt checks a receipt (docs/spec/voter-client.md §6): the
// receipt against the board's current checkpoint, then every record after
// the ballot up to that checkpoint, to say whether the ballot still counts.
async function onCheckReceipt(ev) {
  ev.preventDefault();
  clearError();
  showReceipt(tr("vote.receipt.checking"));
  try {
    const file = $("receipt-file").files[0];
    if (!file) throw new Problem("bad-receipt", "", "", "vote.receipt.choose");
    const receipt = await file.text();
    const info = call("receiptInfo", receipt);
    // A receipt of another operator of this board is checked on that
    // operator's board, with its key (docs/spec/voter-client.md §5.7).
    const op = info.operator && info.operator.url ? info.operator : null;
    if (op) {
      $("board-key").value = op.board_key;
      showReceipt(tr("vote.receipt.operator", op.name, op.url));
    }
    const receiptKey = $("board-key").value.trim();
    const out = $("receipt-result");
    delete out.dataset.readFrom;
    delete out.dataset.readMoved;
    let moved = "";
    // On the board whose key signed the receipt; if it cannot be reached,
    // on the other operators the module took (their trees are the same),
    // each with its own key, which the election's definition names.
    const first = op || { name: "", url: "" };
    const order = [first].concat(state.operators.filter((o) => o.name !== first.name && (op || o.url !== "")));
    const res = await readFrom(order, async (get, o) => {
      const checkpoint = await get("/checkpoint");
      const latest = Number(checkpoint.split("\n")[1]);
      const consistency = JSON.parse(await get("/proof/consistency?old=" + info.size + "&new=" + latest));
      const record = (await get("/records/" + info.index)).trim();
      let r = call("checkReceipt", {
        receipt: receipt, board_key: receiptKey, checkpoint: checkpoint,
        consistency: consistency, record: record, checkpoint_key: o === first ? "" : o.board_key,
      });
      // The board sends at most a page of records per request.
      while (r.status === "pending" && r.next < r.latest) {
        showReceipt(words(r));
        const next = r.next;
        r = call("receiptScan", await get("/records?start=" + next + "&end=" + r.latest));
        if (r.next === next) break; // nothing sent: receiptFinish says so
      }
      if (r.status === "pending") {
        r = call("receiptFinish", await get("/proof/inclusion?index=" + (r.latest - 1) + "&size=" + r.latest));
      }
      return r;
    }, (k, message) => {
      out.dataset.readFrom = order[k].name;
      out.dataset.readMoved = moved = message;
      showReceipt(message);
    });
    showReceipt((moved ? moved + " " : "") + words(res), res.status, res);
  } catch (err) {
    showReceipt(err instanceof Problem ? err.message : String(err), "");
  }
}

// electionLine shows when voting opens and closes, in the voter's time
// zone with UTC beside, in the page's language.
function electionLine() {
  const e = state.election;
  own($("election-line"), window.i18n.t("vote.election-line", window.i18n.time(e.opens), window.i18n.time(e.closes), e.manifest_hash.slice(0, 16)));
}

document.addEventListener("DOMContentLoaded", () => {
  $("credential-file").addEventListener("change", onCredential);
  $("paste-form").addEventListener("submit", onPaste);
  $("register-form").addEventListener("submit", onRegister);
  $("ballot-form").addEventListener("submit", onEncrypt);
  $("cast").addEventListener("click", onCast);
  $("challenge").addEventListener("click", onChallenge);
  $("change").addEventListener("click", backToBallot);
  $("check-again").addEventListener("click", onCheckAgain);
  $("send-again").addEventListener("click", onSendAgain);
  $("unsure-change").addEventListener("click", backToBallot);
  $("vote-again").addEventListener("click", backToBallot);
  $("revote").addEventListener("click", backToBallot);
  $("receipt-form").addEventListener("submit", onCheckReceipt);
  $("error").tabIndex = -1;
  boot();
});
