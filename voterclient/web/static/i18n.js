// The pages' message catalogue (internal/i18n, served as /messages.json):
// picks the reader's language from navigator.languages, or the one they
// chose with the switcher, translates every element marked data-i18n
// (text) or data-i18n-html (the catalogue's own markup), and offers
// window.i18n.t(key, ...args) and window.i18n.time(rfc3339) to the
// page's scripts. Without the catalogue the page stays in English, the
// language of its HTML.
"use strict";

(() => {
  const STORE = "evote-lang";
  let cat = null;        // {languages, messages}
  let lang = "en";
  const listeners = [];

  // match returns the catalogue language best matching prefs, BCP 47 tags
  // in order of preference: the first whose tag or primary language is
  // one of the catalogue's, as golang.org/x/text/language's Matcher
  // chooses among these base languages (i18n.Match); English otherwise.
  function match(prefs, langs) {
    for (const p of prefs || []) {
      const tag = String(p).toLowerCase();
      if (langs.includes(tag)) return tag;
      const base = tag.split("-")[0];
      if (langs.includes(base)) return base;
    }
    return langs[0] || "en";
  }

  // format replaces the verbs of a catalogue message (%s, %d, %v, %[n]s)
  // with args, as Go's message.Printer does for strings. An argument
  // {key, args} is itself a message of the catalogue (a part of a
  // sentence the voting module tells, voterclient.Message), translated.
  function format(msg, args) {
    let next = 0;
    return msg.replace(/%(\[([0-9]+)\])?([sdvq%])/g, (m, idx, n, verb) => {
      if (verb === "%") return "%";
      const i = idx ? Number(n) - 1 : next;
      next = i + 1;
      if (i >= args.length) return m;
      const a = args[i];
      return a && typeof a === "object" && a.key ? t(a.key, ...(a.args || [])) : String(a);
    });
  }

  function t(key, ...args) {
    // Before the catalogue arrives a message shows as its key; say()'s
    // elements are translated when it does.
    const m = cat ? cat.messages[lang][key] || cat.messages.en[key] : undefined;
    return format(m === undefined ? key : m, args);
  }

  // has reports whether the catalogue, once loaded, has the message key.
  function has(key) { return !!cat && cat.messages.en[key] !== undefined; }

  function apply() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n, ...JSON.parse(el.dataset.i18nArgs || "[]"));
    for (const el of document.querySelectorAll("[data-i18n-html]")) el.innerHTML = t(el.dataset.i18nHtml);
    const sel = document.getElementById("lang");
    if (sel) sel.value = lang;
    for (const f of listeners) f(lang);
  }

  // time shows an RFC 3339 UTC time in the reader's time zone and
  // language, with the UTC time beside it; to the second if seconds.
  function time(iso, seconds) {
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const opts = { dateStyle: "medium", timeStyle: seconds ? "medium" : "short" };
    const local = new Intl.DateTimeFormat(lang, opts).format(d);
    const utc = new Intl.DateTimeFormat(lang, Object.assign({ timeZone: "UTC" }, opts)).format(d);
    return t("time.local-utc", local, utc);
  }

  function switcher() {
    const sel = document.getElementById("lang");
    if (!sel) return;
    sel.replaceChildren();
    for (const l of cat.languages) {
      const o = document.createElement("option");
      o.value = l;
      o.lang = l;
      o.textContent = cat.messages[l]["lang.name"];
      sel.appendChild(o);
    }
    sel.addEventListener("change", () => {
      lang = sel.value;
      try { localStorage.setItem(STORE, lang); } catch (e) { /* storage off: the choice lasts this page */ }
      apply();
    });
    document.getElementById("lang-switch").hidden = false;
  }

  const ready = fetch("/messages.json").then((r) => r.ok ? r.json() : null).then((c) => {
    if (!c) return;
    cat = c;
    let stored = null;
    try { stored = localStorage.getItem(STORE); } catch (e) { /* storage off */ }
    lang = cat.languages.includes(stored) ? stored : match(navigator.languages || [navigator.language], cat.languages);
    switcher();
    apply();
  }).catch(() => { /* the page stays in English */ });

  // own sets el's text, written by the page's script: the catalogue no
  // longer translates el's HTML text into it.
  function own(el, text) {
    delete el.dataset.i18n;
    delete el.dataset.i18nArgs;
    el.textContent = text;
  }

  // say sets el's text to the message key with args, kept in the page's
  // language when the reader switches.
  function say(el, key, ...args) {
    el.dataset.i18n = key;
    el.dataset.i18nArgs = JSON.stringify(args);
    el.textContent = t(key, ...args);
  }

  window.i18n = {
    t, has, time, ready, match, own, say,
    get lang() { return lang; },
    // onChange calls f with the new language whenever the reader switches.
    onChange(f) { listeners.push(f); },
  };
})();
