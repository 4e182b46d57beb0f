// Per-item drill-down of the ztts-eval report: sort, filter and page through items; every value is
// written with textContent (never innerHTML), so result text cannot inject markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("drill-data").textContent);
  var PAGE = 20;
  var state = { sort: data.metrics.length ? "worst:" + data.metrics[0].name : "item", lang: "", flag: "", text: "", page: 0 };
  var table = document.getElementById("drilldown");
  var controls = document.getElementById("drill-controls");
  var pager = document.getElementById("drill-pager");
  var note = document.getElementById("drill-note");
  if (note) note.textContent = "Note: " + data.note + ".";

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function player(src) {
    if (!src) return el("span", "–", "muted");
    var a = document.createElement("audio");
    a.controls = true;
    a.preload = "none";
    a.src = src;
    return a;
  }
  function worst(item, metric) {
    var vals = [];
    data.systems.forEach(function (s) {
      var e = item.systems[s.name];
      if (!s.reference && e && e.values[metric.name] !== undefined) vals.push(e.values[metric.name]);
    });
    if (!vals.length) return null;
    return metric.higher_is_better ? Math.min.apply(null, vals) : Math.max.apply(null, vals);
  }
  function flagsOf(item) {
    var out = [];
    Object.keys(item.systems).forEach(function (k) {
      var e = item.systems[k];
      if (e.status === "failed") out.push("failed");
      e.flags.forEach(function (f) { out.push(f); });
    });
    return out;
  }
  function select(id, label, options, value, onChange) {
    var wrap = el("label", label + " ");
    var s = document.createElement("select");
    s.id = id;
    options.forEach(function (o) {
      var opt = el("option", o[1]);
      opt.value = o[0];
      s.appendChild(opt);
    });
    s.value = value;
    s.addEventListener("change", function () { onChange(s.value); state.page = 0; render(); });
    wrap.appendChild(s);
    controls.appendChild(wrap);
  }
  var langs = Array.from(new Set(data.items.map(function (i) { return i.language; }))).sort();
  var flags = Array.from(new Set([].concat.apply([], data.items.map(flagsOf)))).sort();
  var sorts = data.metrics.map(function (m) { return ["worst:" + m.name, "worst " + m.name + " first (" + m.direction + ")"]; });
  sorts.push(["item", "item id"], ["language", "language, then item"]);
  select("drill-sort", "Sort", sorts, state.sort, function (v) { state.sort = v; });
  select("drill-lang", "Language", [["", "all"]].concat(langs.map(function (l) { return [l, l]; })), "", function (v) { state.lang = v; });
  select("drill-flag", "Flag", [["", "any"], ["*", "any flag or failure"]].concat(flags.map(function (f) { return [f, f]; })), "", function (v) { state.flag = v; });
  var search = el("label", "Text ");
  var input = document.createElement("input");
  input.type = "search";
  input.id = "drill-text";
  input.addEventListener("input", function () { state.text = input.value.toLowerCase(); state.page = 0; render(); });
  search.appendChild(input);
  controls.appendChild(search);

  function visible() {
    var items = data.items.filter(function (i) {
      if (state.lang && i.language !== state.lang) return false;
      var f = flagsOf(i);
      if (state.flag === "*" && !f.length) return false;
      if (state.flag && state.flag !== "*" && f.indexOf(state.flag) < 0) return false;
      if (state.text && (i.item + " " + i.text).toLowerCase().indexOf(state.text) < 0) return false;
      return true;
    });
    var byId = function (a, b) { return a.item < b.item ? -1 : a.item > b.item ? 1 : a.seed - b.seed; };
    if (state.sort.indexOf("worst:") === 0) {
      var metric = data.metrics.filter(function (m) { return "worst:" + m.name === state.sort; })[0];
      var sign = metric.higher_is_better ? 1 : -1;
      items.sort(function (a, b) {
        var x = worst(a, metric), y = worst(b, metric);
        if (x === null && y === null) return byId(a, b);
        if (x === null) return 1;
        if (y === null) return -1;
        return sign * (x - y) || byId(a, b);
      });
    } else if (state.sort === "language") {
      items.sort(function (a, b) { return a.language < b.language ? -1 : a.language > b.language ? 1 : byId(a, b); });
    } else {
      items.sort(byId);
    }
    return items;
  }
  function systemCell(entry) {
    var td = el("td", null, "sys");
    if (!entry) { td.appendChild(el("span", "–", "muted")); return td; }
    td.appendChild(player(entry.audio));
    var vals = el("div", null, "vals");
    data.metrics.forEach(function (m) {
      if (entry.values[m.name] !== undefined) vals.appendChild(el("span", m.name + " " + entry.values[m.name].toFixed(2)));
    });
    td.appendChild(vals);
    if (entry.status !== "ok") td.appendChild(el("div", entry.status, "status"));
    if (entry.flags.length) td.appendChild(el("div", "flags: " + entry.flags.join(", "), "flags"));
    if (entry.error) td.appendChild(el("div", entry.error, "err"));
    if (entry.transcript) td.appendChild(el("div", "“" + entry.transcript + "”", "transcript"));
    return td;
  }
  function render() {
    var items = visible();
    var pages = Math.max(1, Math.ceil(items.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    table.textContent = "";
    var head = document.createElement("tr");
    ["item", "text", "prompt", "reference"].forEach(function (h) { head.appendChild(el("th", h, "l")); });
    data.systems.forEach(function (s) {
      var th = el("th", null, "l");
      var sw = el("span", null, "swatch");
      sw.style.background = s.color;
      th.appendChild(sw);
      th.appendChild(document.createTextNode(s.name));
      head.appendChild(th);
    });
    var thead = document.createElement("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = document.createElement("tbody");
    items.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (i) {
      var tr = document.createElement("tr");
      tr.dataset.item = i.item;
      tr.appendChild(el("td", i.item + (i.seed ? " #" + i.seed : "") + " · " + i.language, "l id"));
      tr.appendChild(el("td", i.text, "l text"));
      var p = el("td", null, "l"); p.appendChild(player(i.prompt)); tr.appendChild(p);
      var r = el("td", null, "l"); r.appendChild(player(i.reference)); tr.appendChild(r);
      data.systems.forEach(function (s) { tr.appendChild(systemCell(i.systems[s.name])); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    pager.textContent = "";
    var prev = el("button", "‹ previous"), next = el("button", "next ›");
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    pager.appendChild(prev);
    pager.appendChild(el("span", " items " + (items.length ? state.page * PAGE + 1 : 0) + "–" + Math.min(items.length, (state.page + 1) * PAGE) + " of " + items.length + " "));
    pager.appendChild(next);
  }
  render();
  window.zttsDrill = { state: state, render: render, visible: visible, data: data };
})();
