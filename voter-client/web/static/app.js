// The voter page. All cryptography runs in the Go WebAssembly module
// (window.evote, see docs/spec/voter-client.md §4); this script only does
// the fetch()es and the page.
"use strict";

const $ = (id) => document.getElementById(id);

// Problem is an error with a plain-words message for the voter.
class Problem extends Error {
  constructor(code, message, detail) {
    super(message);
    this.code = code;
    this.detail = detail || "";
  }
}

const UNREACHABLE = "The election board cannot be reached. Check your internet connection and try again. Nothing was sent.";

// call runs a function of the Go module and returns its result or throws a Problem.
function call(name, arg) {
  if (!window.evote) throw new Problem("bad-input", "The voting module is not loaded. Reload the page.");
  const out = JSON.parse(window.evote[name](arg === undefined ? "" : typeof arg === "string" ? arg : JSON.stringify(arg)));
  if (!out.ok) throw new Problem(out.error.code, out.error.message, out.error.detail);
  return out.result;
}

// get fetches a path of this board and returns the response, or throws a Problem.
async function get(path, init) {
  let resp;
  try {
    resp = await fetch(path, Object.assign({ cache: "no-store" }, init || {}));
  } catch (e) {
    throw new Problem("unreachable", UNREACHABLE, String(e));
  }
  return resp;
}

async function getText(path) {
  const resp = await get(path);
  const text = await resp.text();
  if (!resp.ok) throw new Problem("unreachable", "The election board answered with an error (" + resp.status + "). Try again in a few minutes.", text);
  return text;
}

const state = {
  election: null,   // ElectionInfo from the module
  summary: null,    // /election/summary
  credential: null, // {election, public}
  marked: null,     // the choices last encrypted
  earlier: null,    // index of the credential's counted ballot before this cast, if any
  receiptURL: null,
  next: 0,          // records read from the board so far
  votingOpen: false, // the records read open voting
  storedURLs: [],   // download links of the credentials kept on this device
};

function setStatus(msg) { $("status").textContent = msg; }

function showError(err) {
  const box = $("error");
  box.replaceChildren();
  const p = document.createElement("p");
  p.textContent = err instanceof Problem ? err.message : "Something went wrong in this page: " + err;
  box.appendChild(p);
  if (err instanceof Problem && err.detail) {
    const d = document.createElement("details");
    const s = document.createElement("summary");
    s.textContent = "Technical details";
    const c = document.createElement("code");
    c.textContent = err.detail;
    d.append(s, c);
    box.appendChild(d);
  }
  box.dataset.code = err instanceof Problem ? err.code : "internal";
  box.hidden = false;
  box.focus();
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
  if (!resp.ok) throw new Problem("unreachable", "The voting module could not be loaded from the board. Reload the page.");
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
    const page = await getText("/records?start=" + next + "&end=" + (next + SYNC_PAGE));
    const res = call("sync", page);
    state.election = res.election;
    state.next = res.next;
    if (res.done || res.next === next) return res;
    next = res.next;
  }
}

// anchor ties the records read to the board's signed checkpoint: the
// module checks the checkpoint's signature with the board key and that the
// last record read is in its tree, and refuses to encrypt until it has.
async function anchor(next) {
  const key = state.summary && state.summary.board_key;
  if (!key) throw new Problem("bad-board", "The board did not say which key signs its checkpoints, so this page cannot check what it read. Tell your election official.");
  const checkpoint = await getText("/checkpoint");
  const size = Number(checkpoint.split("\n")[1]);
  const proof = JSON.parse(await getText("/proof/inclusion?index=" + (next - 1) + "&size=" + size));
  call("anchor", { checkpoint: checkpoint, board_key: key, proof: proof });
}

function showModuleHash(hash) {
  const line = $("module-line");
  const clients = (state.election && state.election.clients) || [];
  const match = clients.find((c) => c.sha256 === hash);
  line.replaceChildren();
  const t = document.createElement("span");
  if (!hash) {
    t.textContent = "This browser cannot compute the voting module's hash.";
  } else if (match) {
    t.textContent = "Voting module SHA-256 " + hash + " — matches the build \u201c" + match.name + "\u201d published on the board.";
    line.dataset.match = "yes";
  } else if (clients.length) {
    t.textContent = "Warning: this voting module (SHA-256 " + hash + ") is not a build published on the board.";
    line.dataset.match = "no";
  } else {
    t.textContent = "Voting module SHA-256 " + hash + ". No build hash is published on the board yet.";
  }
  line.appendChild(t);
}

async function boot() {
  try {
    const hash = await loadModule();
    setStatus("Reading the election from the board…");
    const res = await sync();
    try {
      state.summary = JSON.parse(await getText("/election/summary"));
    } catch (e) { state.summary = null; }
    showModuleHash(hash);
    if (state.summary && state.summary.board_key) $("board-key").value = state.summary.board_key;
    const e = state.election;
    if (!e) throw new Problem("not-open", "This board does not hold an election yet.");
    $("title").textContent = e.title;
    document.title = "Vote — " + e.title;
    $("election-line").textContent = "Voting from " + e.opens + " to " + e.closes + ". Election fingerprint " + e.manifest_hash.slice(0, 16) + "…";
    const phase = state.summary ? state.summary.phase : e.phase;
    if (phase === "closed" || phase === "tallied") {
      throw new Problem("closed", "Voting in \u201c" + e.title + "\u201d has closed; no more ballots are accepted." + (phase === "tallied" ? " The result is published on the observer page." : ""));
    }
    // Before voting opens the page still reads and checks the board: for
    // registering a credential made here, and for checking the roll.
    await anchor(res.next);
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
  const voters = e.voters === 1 ? "1 voter" : e.voters + " voters";
  const over = "Registration is over: the registrar closed the voter roll of \u201c" + e.title + "\u201d with " + voters + ".";
  const line = $("roll-line");
  line.textContent = over;
  line.hidden = !(state.votingOpen && e.roll_closed);
  if (state.votingOpen) {
    hide("step-register");
    $("credential-when").hidden = true;
    return;
  }
  $("register-open").hidden = e.roll_closed;
  const closed = $("register-closed");
  closed.textContent = over + " No new credential can be put on it. If you are not on the roll, ask the registrar.";
  closed.hidden = !e.roll_closed;
  show("step-register", false);
  const when = $("credential-when");
  when.textContent = "Voting has not opened yet (planned from " + e.opens + "). Loading your credential now only checks that it is on the voter roll.";
  when.hidden = false;
}

// phaseStatus says in the status line what the voter can do now.
function phaseStatus() {
  const e = state.election;
  if (state.votingOpen) {
    setStatus("Ready. Load your credential to vote.");
    return;
  }
  setStatus("Voting in \u201c" + e.title + "\u201d has not opened yet (planned from " + e.opens + "). " +
    (e.roll_closed ? "The voter roll is closed." : "The voter roll is open: " + (e.voters === 1 ? "1 voter" : e.voters + " voters") + " so far."));
}

// ---- contests ----

function renderContests(e) {
  const root = $("contests");
  root.replaceChildren();
  e.contests.forEach((c, ci) => {
    const fs = document.createElement("fieldset");
    fs.className = "contest";
    fs.dataset.contest = c.id;
    const legend = document.createElement("legend");
    legend.textContent = c.title;
    const rule = document.createElement("p");
    rule.className = "rule";
    rule.id = "rule-" + ci;
    rule.textContent = c.rule;
    fs.setAttribute("aria-describedby", rule.id);
    fs.append(legend, rule);
    const single = c.option_max === 1 && c.max_selections === 1;
    if (single && c.min_selections === 0) {
      fs.appendChild(optionRow(ci, -1, "radio", "No choice (leave blank)", c, true));
    }
    c.options.forEach((o, oi) => {
      fs.appendChild(optionRow(ci, oi, c.option_max > 1 ? "number" : single ? "radio" : "checkbox", o.title, c, false));
    });
    const counter = document.createElement("p");
    counter.className = "counter";
    counter.id = "counter-" + ci;
    counter.setAttribute("aria-live", "polite");
    fs.appendChild(counter);
    fs.addEventListener("input", () => updateCounter(ci));
    root.appendChild(fs);
    updateCounter(ci);
  });
}

function optionRow(ci, oi, type, title, c, checked) {
  const row = document.createElement("div");
  row.className = "option";
  const input = document.createElement("input");
  const id = "c" + ci + "-o" + (oi < 0 ? "none" : oi);
  input.id = id;
  input.type = type;
  input.dataset.contest = ci;
  input.dataset.option = oi;
  if (type === "radio") { input.name = "contest-" + ci; input.checked = checked; }
  if (type === "number") {
    input.min = 0; input.max = c.option_max; input.step = 1; input.value = 0;
    input.inputMode = "numeric";
  }
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = title;
  if (type === "number") row.append(label, input); else row.append(input, label);
  return row;
}

function contestTotal(ci) {
  let total = 0;
  for (const input of document.querySelectorAll('input[data-contest="' + ci + '"]')) {
    const oi = Number(input.dataset.option);
    if (oi < 0) continue;
    if (input.type === "number") total += Math.max(0, Math.floor(Number(input.value) || 0));
    else if (input.checked) total += 1;
  }
  return total;
}

function updateCounter(ci) {
  const c = state.election.contests[ci];
  const n = contestTotal(ci);
  const unit = c.option_max > 1 ? "points" : "chosen";
  let text = c.option_max > 1 ? n + " of " + c.max_selections + " points given" : n + " " + unit + ", at most " + c.max_selections;
  if (n > c.max_selections) text += " — too many";
  else if (n < c.min_selections) text += " — at least " + c.min_selections + " needed";
  $("counter-" + ci).textContent = text;
}

// markedChoices reads the form into counts per contest per option.
function markedChoices() {
  return state.election.contests.map((c, ci) => c.options.map((o, oi) => {
    const input = $("c" + ci + "-o" + oi);
    if (input.type === "number") {
      const v = Number(input.value);
      if (!Number.isInteger(v) || v < 0) throw new Problem("invalid-choices", "In \u201c" + c.title + "\u201d, the points for \u201c" + o.title + "\u201d must be a whole number from 0 to " + c.option_max + ".");
      return v;
    }
    return input.checked ? 1 : 0;
  }));
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
  const info = $("credential-info");
  info.textContent = "Credential loaded (voter key " + cred.public.slice(0, 16) + "…). " + (cred.roll ? cred.roll.message : "");
  info.hidden = false;
  if (!state.votingOpen) {
    hide("step-ballot", "step-decide");
    setStatus("Voting has not opened yet. Come back then to vote with this credential.");
    return;
  }
  await lookupEarlier();
  if (state.earlier !== null) {
    info.textContent += " You have already voted (record " + state.earlier + "); you may vote again, and only your last ballot counts.";
  }
  show("step-ballot");
  setStatus("Mark your choices, then encrypt your ballot.");
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
      throw new Problem("exists", "This device already keeps a credential of voter " + voter + " for this election (shown above). Use that one, or forget it first to make a new one.");
    }
    const res = call("newCredential", { voter: voter });
    try {
      localStorage.setItem(storedPrefix() + res.voter, res.credential);
    } catch (e) {
      throw new Problem("storage", "This browser would not keep your credential (its storage is full or turned off), so the page dropped it. Nothing was sent. Use another browser, or the command evote voter keygen.", String(e));
    }
    $("voter-id").value = "";
    renderStored();
    const item = storedItem(res.voter);
    if (item) item.querySelector("h3").focus();
    setStatus("Your credential is made and kept in this browser. Export a copy as a backup, then send the registration request to the registrar.");
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
  $("h-stored").textContent = voters.length > 1 ? "Your credentials on this device" : "Your credential on this device";
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
  const h = el("h3", { id: "stored-h-" + i, tabIndex: -1, textContent: "Voter " + voter });
  item.setAttribute("role", "group");
  item.setAttribute("aria-labelledby", h.id);
  const status = el("p", { className: "roll-status" });
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  const use = el("button", { type: "button", className: "use", textContent: "Use it to vote" });
  const check = el("button", { type: "button", className: "check secondary", textContent: "Check that I am on the roll" });
  const exp = downloadLink(text, "evote-credential-" + voter + ".json", "Export credential", "application/json");
  exp.classList.add("export");
  const forget = el("button", { type: "button", className: "forget secondary", textContent: "Forget it\u2026" });
  const actions = el("div", { className: "actions" }, use, check, exp, forget);
  const keep = el("p", { className: "muted", textContent: "Export a copy of your credential and keep it safe, as a backup: if this browser's data is cleared, it is the only way to vote with this credential. Never give it to anyone, the registrar included." });

  const reg = el("div", { className: "registration" });
  reg.hidden = true;

  const sure = el("div", { className: "confirm note" });
  sure.hidden = true;
  const yes = el("button", { type: "button", className: "forget-yes", textContent: "Yes, forget it" });
  const no = el("button", { type: "button", className: "forget-no secondary", textContent: "Keep it" });
  const question = el("p", { id: "forget-q-" + i, textContent: "Forget the credential of voter " + voter + " on this device? Unless you exported a copy, you can then no longer vote with it, and nobody can give it back to you: while the roll is open you would have to make and register a new one." });
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
    status.textContent = res.message;
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
    status.textContent = "Reading the voter roll from the board…";
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
    setStatus("The credential of voter " + voter + " is forgotten on this device.");
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
  const copy = el("button", { type: "button", className: "copy secondary", textContent: "Copy the request" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(request);
      copied.textContent = "Copied. Paste it into your message to the registrar.";
    } catch (e) {
      area.focus();
      area.select();
      copied.textContent = "This browser did not let the page copy. The request is selected: copy it with Ctrl+C (\u2318C on a Mac), or download the file instead.";
    }
  });
  const dl = downloadLink(request + "\n", "registration.json", "Download registration.json", "application/json");
  dl.classList.add("download-registration");
  root.append(
    el("h4", { textContent: "Send your registration request to the registrar" }),
    el("p", { textContent: "Send this request to the registrar, as they ask you to (for example attached to an e-mail), and prove who you are as they ask. It holds your voter identifier and your public key, signed with your private key. Your private key is not in it: it never left this device. Once the registrar has put your key on the roll, check again here." }),
    el("label", { htmlFor: id, textContent: "Registration request of voter " + voter }),
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
  let choices;
  try {
    choices = markedChoices();
  } catch (err) { showError(err); return; }
  setStatus("Encrypting your ballot on this device…");
  $("encrypt").disabled = true;
  // Let the page paint the status before the module takes the thread.
  setTimeout(async () => {
    try {
      const prev = localStorage.getItem(deviceKey()) || "";
      const t0 = performance.now();
      const res = call("prepare", { choices: choices, prev: prev });
      window.evoteLastEncryptMs = performance.now() - t0;
      localStorage.setItem(deviceKey(), res.code);
      state.marked = choices;
      renderChoiceList($("marked-summary"), describeChoices(choices));
      $("code").textContent = res.short;
      $("code").dataset.full = res.code;
      await lookupEarlier();
      const note = $("revote-note");
      if (state.earlier !== null) {
        note.textContent = "You have already cast a ballot (record " + state.earlier + "). Casting this one replaces it: only your last ballot counts.";
        note.hidden = false;
      } else note.hidden = true;
      hide("step-ballot");
      show("step-decide");
      setStatus("Ballot encrypted in " + Math.round(window.evoteLastEncryptMs) + " ms. Confirmation code " + res.short + ".");
    } catch (err) {
      setStatus("");
      showError(err);
    } finally {
      $("encrypt").disabled = false;
    }
  }, 0);
}

// send posts the signed submission and checks the board's answer.
async function send(kind) {
  const sub = call(kind);
  let resp;
  try {
    resp = await fetch("/records", { method: "POST", headers: { "Content-Type": "application/json" }, body: sub.submission, cache: "no-store" });
  } catch (e) {
    throw new Problem("unreachable", "The election board cannot be reached, so your ballot was not " + (kind === "cast" ? "cast" : "challenged") + ". Check your connection, then encrypt your choices again.", String(e));
  }
  const body = await resp.text();
  return call("posted", { status: resp.status, body: body, board_key: $("board-key").value.trim() });
}

async function onCast() {
  clearError();
  setButtons(false);
  setStatus("Sending your ballot to the board…");
  try {
    await lookupEarlier();
    const earlier = state.earlier;
    const res = await send("cast");
    hide("step-decide");
    $("cast-summary").textContent = "Your ballot with confirmation code " + $("code").textContent + " is record " + res.index + " on the board.";
    const rv = $("cast-revote");
    if (earlier !== null && earlier !== res.index) {
      rv.textContent = "This ballot replaces your earlier ballot (record " + earlier + "), which no longer counts.";
      rv.hidden = false;
    } else rv.hidden = true;
    $("receipt-text").value = res.receipt;
    if (state.receiptURL) URL.revokeObjectURL(state.receiptURL);
    state.receiptURL = URL.createObjectURL(new Blob([res.receipt], { type: "text/plain" }));
    const a = $("receipt-download");
    a.href = state.receiptURL;
    a.download = "evote-receipt-" + res.index + ".txt";
    show("step-cast");
    setStatus("Ballot cast. Save your receipt.");
  } catch (err) {
    setStatus("");
    hide("step-decide");
    show("step-ballot", false);
    showError(err);
  } finally {
    setButtons(true);
  }
}

async function onChallenge() {
  clearError();
  setButtons(false);
  setStatus("Posting the challenged ballot to the board…");
  try {
    const res = await send("challenge");
    const rv = call("reveal", res.record);
    hide("step-decide");
    $("challenge-summary").textContent = "The ballot with confirmation code " + rv.short + " is record " + res.index +
      " on the board, with the randomness that opens it. Anyone can check it. Decrypted with that randomness, it contains:";
    renderRevealed(rv);
    const same = rv.challenged && JSON.stringify(rv.choices) === JSON.stringify(state.marked);
    const v = $("challenge-verdict");
    v.textContent = same
      ? "\u2714 This is exactly what you marked: this device encrypted your choices honestly."
      : "\u2716 This is NOT what you marked. Do not vote on this device; tell your election official.";
    v.dataset.ok = same ? "yes" : "no";
    show("step-challenged");
    setStatus("Ballot challenged and opened.");
  } catch (err) {
    setStatus("");
    hide("step-decide");
    show("step-ballot", false);
    showError(err);
  } finally {
    setButtons(true);
  }
}

// describeChoices lists choices per contest like the module's reveal does.
function describeChoices(choices) {
  return state.election.contests.map((c, ci) => ({
    title: c.title,
    selections: c.options.map((o, oi) => ({ title: o.title, count: choices[ci][oi] })).filter((s) => s.count > 0),
  }));
}

function renderRevealed(rv) { renderChoiceList($("revealed"), rv.contests); }

function renderChoiceList(root, contests) {
  root.replaceChildren();
  const dl = document.createElement("dl");
  for (const c of contests) {
    const dt = document.createElement("dt");
    dt.textContent = c.title;
    const dd = document.createElement("dd");
    dd.textContent = c.selections.length
      ? c.selections.map((s) => s.count > 1 ? s.title + " (" + s.count + ")" : s.title).join(", ")
      : "(nothing marked)";
    dl.append(dt, dd);
  }
  root.appendChild(dl);
}

function setButtons(on) { for (const id of ["cast", "challenge", "change"]) $(id).disabled = !on; }

function backToBallot() {
  clearError();
  hide("step-decide", "step-challenged", "step-cast");
  show("step-ballot");
  setStatus("Mark your choices, then encrypt your ballot.");
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
  showReceipt("Checking…");
  try {
    const file = $("receipt-file").files[0];
    if (!file) throw new Problem("bad-receipt", "Choose your receipt file first.");
    const receipt = await file.text();
    const info = call("receiptInfo", receipt);
    const checkpoint = await getText("/checkpoint");
    const latest = Number(checkpoint.split("\n")[1]);
    const consistency = JSON.parse(await getText("/proof/consistency?old=" + info.size + "&new=" + latest));
    const record = (await getText("/records/" + info.index)).trim();
    let res = call("checkReceipt", {
      receipt: receipt, board_key: $("board-key").value.trim(), checkpoint: checkpoint,
      consistency: consistency, record: record,
    });
    // The board sends at most a page of records per request.
    while (res.status === "pending" && res.next < res.latest) {
      showReceipt(res.message);
      const next = res.next;
      res = call("receiptScan", await getText("/records?start=" + next + "&end=" + res.latest));
      if (res.next === next) break; // nothing sent: receiptFinish says so
    }
    if (res.status === "pending") {
      res = call("receiptFinish", await getText("/proof/inclusion?index=" + (res.latest - 1) + "&size=" + res.latest));
    }
    showReceipt(res.message, res.status, res);
  } catch (err) {
    showReceipt(err instanceof Problem ? err.message : String(err), "");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("credential-file").addEventListener("change", onCredential);
  $("paste-form").addEventListener("submit", onPaste);
  $("register-form").addEventListener("submit", onRegister);
  $("ballot-form").addEventListener("submit", onEncrypt);
  $("cast").addEventListener("click", onCast);
  $("challenge").addEventListener("click", onChallenge);
  $("change").addEventListener("click", backToBallot);
  $("vote-again").addEventListener("click", backToBallot);
  $("revote").addEventListener("click", backToBallot);
  $("receipt-form").addEventListener("submit", onCheckReceipt);
  $("error").tabIndex = -1;
  boot();
});
