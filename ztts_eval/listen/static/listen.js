// ztts-eval blind listening test. Trials come from the JSON block in the page; votes are kept in
// localStorage (a reload resumes), POSTed to ./votes when served by `ztts-eval listen --serve`, and
// exported as a JSON file when opened from disk. Every text is written with textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("test-data").textContent);
  var app = document.getElementById("app");
  var served = location.protocol === "http:" || location.protocol === "https:";
  var RATER = /^[A-Za-z0-9_-]{1,32}$/;
  var S = { rater: null, order: [], votes: [], pos: 0, answers: {}, shownAt: 0, listened: {} };

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function storageKey() { return "ztts-listen:" + data.test_id + ":" + S.rater; }
  function save() {
    try { localStorage.setItem(storageKey(), JSON.stringify(S.votes)); } catch (e) { /* private mode: export still works */ }
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey()) || "[]"); } catch (e) { return []; }
  }
  function seededOrder(n, text) {
    var h = 2166136261;  // FNV-1a of the rater id seeds a mulberry32 shuffle: each rater has an own order
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    var rand = function () {
      h = (h + 0x6D2B79F5) >>> 0;
      var t = h;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    var order = [];
    for (var k = 0; k < n; k++) order.push(k);
    for (var j = n - 1; j > 0; j--) { var r = Math.floor(rand() * (j + 1)); var tmp = order[j]; order[j] = order[r]; order[r] = tmp; }
    return order;
  }
  function status(text) { var s = document.getElementById("save-status"); if (s) s.textContent = text; }
  function send() {
    if (!served) return;
    var unsent = S.votes.filter(function (v) { return !v.sent; });
    unsent.forEach(function (v) {
      var body = Object.assign({}, v); delete body.sent;
      fetch("votes", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) {
          if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.status); });
          v.sent = true; save(); status("saved on the server (" + S.votes.filter(function (x) { return x.sent; }).length + ")");
        })
        .catch(function (e) { status("not saved on the server (" + e.message + "); your votes stay in this browser: export them"); });
    });
  }
  function exportObject() {
    return { test_id: data.test_id, rater: S.rater, exported_at: new Date().toISOString(),
             votes: S.votes.map(function (v) { var c = Object.assign({}, v); delete c.sent; return c; }) };
  }
  function exportVotes() {
    var blob = new Blob([JSON.stringify(exportObject(), null, 1)], { type: "application/json" });
    var a = el("a", null, { href: URL.createObjectURL(blob), download: "votes-" + data.test_id + "-" + S.rater + ".json" });
    document.body.appendChild(a); a.click(); a.remove();
    status("exported " + S.votes.length + " vote(s) as " + a.getAttribute("download"));
  }
  function current() { return data.trials[S.order[S.pos]]; }
  function play(which) {
    ["prompt", "a", "b"].forEach(function (w) {
      var au = document.getElementById("audio-" + w);
      if (!au) return;
      if (w === which) { au.currentTime = 0; au.play().catch(function () {}); S.listened[w] = true; } else { au.pause(); }
    });
  }
  function answer(choice) {
    var qs = data.questions.map(function (q) { return q.id; });
    var open = qs.filter(function (q) { return !S.answers[q]; });
    S.answers[open.length ? open[0] : qs[qs.length - 1]] = choice;
    renderAnswers();
  }
  function renderAnswers() {
    data.questions.forEach(function (q) {
      document.querySelectorAll('.question[data-q="' + q.id + '"] button').forEach(function (b) {
        b.classList.toggle("chosen", S.answers[q.id] === b.dataset.answer);
      });
    });
    var next = document.getElementById("next");
    if (next) next.disabled = !S.answers.overall;
  }
  function submit() {
    if (!S.answers.overall) return;
    var t = current(), answers = {};
    data.questions.forEach(function (q) { answers[q.id] = S.answers[q.id] || null; });
    S.votes = S.votes.filter(function (v) { return v.trial !== t.id; });
    S.votes.push({ test_id: data.test_id, trial: t.id, rater: S.rater, answers: answers, listened: S.listened,
                   ms: Date.now() - S.shownAt, at: new Date().toISOString(), sent: false });
    save(); send(); advance();
  }
  function advance() {
    var done = {};
    S.votes.forEach(function (v) { done[v.trial] = true; });
    S.pos = S.order.findIndex(function (i) { return !done[data.trials[i].id]; });
    S.answers = {}; S.listened = {};
    if (S.pos < 0) renderDone(); else renderTrial();
  }
  function player(label, key, which, src) {
    var box = el("div", null, { class: "player" });
    box.appendChild(el("div", label + " [" + key + "]", { class: "plabel" }));
    var au = el("audio", null, { id: "audio-" + which, controls: "", preload: "auto", src: src });
    au.addEventListener("play", function () { S.listened[which] = true; });
    box.appendChild(au);
    return box;
  }
  function header() {
    var n = S.votes.length, total = data.trials.length;
    var h = el("div", null, { class: "head" });
    var bar = el("progress", null, { id: "progress", max: String(total), value: String(n) });
    h.appendChild(bar);
    h.appendChild(el("span", n + " / " + total + " done · rater " + S.rater, { id: "progress-text" }));
    h.appendChild(el("span", "", { id: "save-status" }));
    return h;
  }
  function renderTrial() {
    var t = current();
    app.textContent = "";
    app.appendChild(header());
    var box = el("section", null, { id: "trial", "data-trial-id": t.id });
    box.appendChild(el("h2", "Trial " + (S.votes.length + 1) + " of " + data.trials.length + " · language " + t.language));
    box.appendChild(el("p", t.text, { id: "text", class: "text" }));
    var players = el("div", null, { class: "players" });
    players.appendChild(player("Prompt: the voice to match", "p", "prompt", t.prompt));
    players.appendChild(player("A", "a", "a", t.a));
    players.appendChild(player("B", "b", "b", t.b));
    box.appendChild(players);
    data.questions.forEach(function (q) {
      var row = el("div", null, { class: "question", "data-q": q.id });
      row.appendChild(el("span", q.text + (q.id === "overall" ? "" : " (optional)"), { class: "qtext" }));
      [["A", "A [1]"], ["tie", "tie [2]"], ["B", "B [3]"]].forEach(function (c) {
        var b = el("button", c[1], { type: "button" });
        b.dataset.answer = c[0];
        b.addEventListener("click", function () { S.answers[q.id] = c[0]; renderAnswers(); });
        row.appendChild(b);
      });
      box.appendChild(row);
    });
    var next = el("button", "Next [Enter]", { id: "next", type: "button", class: "next" });
    next.addEventListener("click", submit);
    box.appendChild(next);
    box.appendChild(el("p", "Keys: p / a / b play · 1 A · 2 tie · 3 B (answers the next open question) · Backspace clears · Enter next · e export", { class: "keys" }));
    app.appendChild(box);
    S.shownAt = Date.now();
    renderAnswers();
  }
  function renderDone() {
    app.textContent = "";
    app.appendChild(header());
    var box = el("section", null, { id: "done" });
    box.appendChild(el("h2", "All " + data.trials.length + " trials done. Thank you!"));
    box.appendChild(el("p", served ? "Your votes are saved on the server; exporting a copy is optional."
                                    : "Export your votes and send the file to whoever runs the test."));
    var b = el("button", "Export votes (JSON) [e]", { id: "export", type: "button" });
    b.addEventListener("click", exportVotes);
    box.appendChild(b);
    app.appendChild(box);
    send();
  }
  function renderStart() {
    app.textContent = "";
    var box = el("section", null, { id: "start-screen" });
    box.appendChild(el("h1", "Listening test"));
    box.appendChild(el("p", "Each trial plays a prompt (the voice to match) and two versions, A and B, of the same sentence. " +
      "Choose the one you prefer, or tie. There are " + data.trials.length + " trials; your progress is kept in this browser."));
    box.appendChild(el("p", "Rater id: a short code you were given (letters, digits, - or _). Please do not type your name.", { class: "keys" }));
    var input = el("input", null, { id: "rater", autocomplete: "off", maxlength: "32", placeholder: "e.g. r07" });
    var q = new URLSearchParams(location.search).get("rater");
    if (q) input.value = q;
    var go = el("button", "Start [Enter]", { id: "start", type: "button" });
    var err = el("p", "", { class: "err", id: "rater-error" });
    function start() {
      if (!RATER.test(input.value)) { err.textContent = "The rater id must be 1–32 letters, digits, - or _."; return; }
      S.rater = input.value;
      S.order = seededOrder(data.trials.length, S.rater);
      S.votes = load();
      advance();
    }
    go.addEventListener("click", start);
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); start(); } });
    box.appendChild(input); box.appendChild(go); box.appendChild(err);
    app.appendChild(box);
    input.focus();
  }
  document.addEventListener("keydown", function (e) {
    if (!S.rater || e.target.tagName === "INPUT" || e.ctrlKey || e.metaKey || e.altKey) return;
    var onTrial = !!document.getElementById("trial");
    if (e.key === "e") { exportVotes(); return; }
    if (!onTrial) return;
    var k = e.key;
    if (k === "p" || k === "a" || k === "b") play(k === "p" ? "prompt" : k);
    else if (k === "1") answer("A");
    else if (k === "2") answer("tie");
    else if (k === "3") answer("B");
    else if (k === "Backspace") { S.answers = {}; renderAnswers(); }
    else if (k === "Enter") submit();
    else return;
    e.preventDefault();
  });
  window.zttsListen = { data: data, state: S, exportObject: exportObject };
  renderStart();
})();
