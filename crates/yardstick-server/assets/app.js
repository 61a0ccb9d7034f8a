/* Yardstick (标尺) — page behaviour. No framework; loaded with `defer` after
   vendor/htmx.min.js and vendor/echarts.min.js. There are no inline scripts
   (CSP script-src 'self'): everything is wired through data-* attributes.

   - [data-chart="json-id"]            chart from <script type="application/json" id="json-id">
   - table.data th[data-sort]          click to sort (num | text | auto), aria-sort kept
   - input[data-filter-table="id"]     filters the rows of table#id by text
   - [data-filter-status="id"]         shows "{shown} / {total}" (its data-template) after filtering
   - [data-print]                      prints the page
   - button[data-withdraw="api-url"]   DELETE api-url after a confirmation, then reloads
   - [data-upload-param="q"]           inside such a form: its value is added as &q=…
   - form[data-upload="api-url"]       sends its file input's file as the body of a POST to
                                       api-url&name=<file name> (CSRF header), then reloads;
                                       the refusal's message goes to its [data-upload-status],
                                       with each located problem as an item of a list
   - <meta name="csrf-token">          sent as X-CSRF-Token on every htmx request and Yardstick.fetch
   - form [aria-invalid="true"]        the first such field gets the focus when the page loads
*/
(function () {
  "use strict";

  var ZH = /^zh/i.test(document.documentElement.lang || "zh");
  var T = ZH
    ? { target: "目标", score: "得分", grade: "等次", chartError: "图表数据无法读取。" }
    : { target: "Target", score: "Score", grade: "Grade", chartError: "The chart data could not be read." };

  /* ---------- helpers ---------- */
  function all(root, sel) {
    var out = Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(sel) : []);
    if (root.matches && root.matches(sel)) out.unshift(root);
    return out;
  }
  function num(v) {
    if (v === null || v === undefined || v === "") return null;
    var n = typeof v === "number" ? v : parseFloat(v);
    return isFinite(n) ? n : null;
  }
  function fmt(v) { return v === null || v === undefined ? "–" : Number(v).toFixed(2); }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function norm(s) { return (s.normalize ? s.normalize("NFKC") : s).toLocaleLowerCase(); }

  /* ---------- CSRF ---------- */
  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") || "" : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    var t = csrfToken();
    if (t) e.detail.headers["X-CSRF-Token"] = t;
  });
  function sameOrigin(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (_) { return false; }
  }
  /* fetch() with the CSRF header for same-origin URLs; use this instead of bare fetch. */
  function ysFetch(url, opts) {
    opts = Object.assign({ credentials: "same-origin" }, opts || {});
    var h = new Headers(opts.headers || {});
    var t = csrfToken();
    if (t && sameOrigin(url)) h.set("X-CSRF-Token", t);
    opts.headers = h;
    return fetch(url, opts);
  }

  /* ---------- charts ---------- */
  var GRADE_COLOURS = { g1: "#2e7d32", g2: "#1d4ed8", g3: "#d97706", g4: "#c2410c", veto: "#7f1d1d" };
  var PALETTE = ["#1d4ed8", "#c2410c", "#15803d", "#7c3aed", "#0e7490", "#a16207", "#be185d", "#4b5563"];
  var SYMBOLS = ["circle", "rect", "triangle", "diamond", "roundRect", "pin", "arrow", "emptyCircle"];
  var MARKS = ["●", "■", "▲", "◆", "■", "●", "➤", "○"]; /* tooltip stand-ins for SYMBOLS; colours in app.css .tip-mark.sN */
  var INK = "#1a1a1a", MUTED = "#4b5563", GRID = "#e5e7eb";
  var live = []; /* {el, chart, data} */

  /* Title and subtitle wrap to the chart's width (phones); head() says how tall they are. */
  var TITLE_LH = 22, SUB_LH = 16, TITLE_GAP = 8;
  function baseOption(d, el) {
    var w = Math.max(120, el.clientWidth - 8);
    return {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily, color: INK },
      aria: { enabled: true },
      title: {
        text: d.title || "", subtext: d.subtitle || "", left: 0, top: 0, padding: [0, 0, 0, 0], itemGap: TITLE_GAP,
        textStyle: { fontSize: 16, fontWeight: "bold", color: INK, width: w, overflow: "break", lineHeight: TITLE_LH },
        subtextStyle: { color: MUTED, fontSize: 12, width: w, overflow: "break", lineHeight: SUB_LH }
      },
      animationDuration: 400
    };
  }

  /* Lines a text takes at a width, breaking between CJK characters and between words, as ECharts' "break" does. */
  function textRows(text, font, width) {
    if (!text) return 0;
    measureCtx = measureCtx || document.createElement("canvas").getContext("2d");
    measureCtx.font = font;
    var tokens = String(text).match(/[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+/g) || [];
    var rows = 1, x = 0;
    tokens.forEach(function (t) {
      var w = measureCtx.measureText(t).width;
      if (x > 0 && x + measureCtx.measureText(t.replace(/\s+$/, "")).width > width) { rows++; x = 0; }
      x += w;
    });
    return rows;
  }

  /* Height of the title block in pixels. */
  function head(d, el) {
    var font = getComputedStyle(document.body).fontFamily;
    var w = Math.max(120, el.clientWidth - 8) * 0.98;
    var t = textRows(d.title || "", "bold 16px " + font, w);
    var s = textRows(d.subtitle || "", "12px " + font, w);
    return t * TITLE_LH + (s ? TITLE_GAP + s * SUB_LH : 0);
  }

  function nameWidth(el) { return Math.max(64, Math.min(180, Math.round(el.clientWidth * 0.32))); }

  function rankingOption(d, el) {
    var names = d.names || [], scores = d.scores || [], grades = d.grades || [];
    var classes = d.grade_classes || [], links = d.links || [];
    var rows = names.map(function (name, i) {
      return { name: name, score: num(scores[i]), grade: grades[i] || "", cls: classes[i] || "", link: links[i] || "", i: i };
    });
    rows.sort(function (a, b) {
      var x = a.score === null ? -Infinity : a.score, y = b.score === null ? -Infinity : b.score;
      return y - x || a.i - b.i;
    });
    /* grade colours: explicit class, else by order of first appearance (best grade first) */
    var seen = {}, order = ["g1", "g2", "g3", "g4"], k = 0;
    rows.forEach(function (r) {
      if (r.cls) return;
      if (/否决|veto/i.test(r.grade)) { r.cls = "veto"; return; }
      if (!(r.grade in seen)) seen[r.grade] = order[Math.min(k++, 3)];
      r.cls = r.grade ? seen[r.grade] : "g2";
    });
    var lines = (d.lines || []).filter(function (l) { return num(l.value) !== null; });
    var top = Math.max.apply(null, [0].concat(lines.map(function (l) { return num(l.value); })));
    lines.sort(function (a, b) { return num(a.value) - num(b.value); });
    var lineRows = Math.min(lines.length, 3);
    var opt = baseOption(d, el);
    opt.grid = {
      left: 4, right: rows.some(function (r) { return r.grade; }) ? 104 : 56,
      top: head(d, el) + 18 + lineRows * 15, bottom: 8
    };
    opt.tooltip = {
      trigger: "axis", axisPointer: { type: "shadow" }, textStyle: { color: INK },
      formatter: function (ps) {
        var r = rows[ps[0].dataIndex];
        return "<b>" + esc(r.name) + "</b><br>" + T.score + "：" + fmt(r.score) + (r.grade ? "<br>" + T.grade + "：" + esc(r.grade) : "");
      }
    };
    opt.xAxis = {
      type: "value", min: num(d.min) !== null ? num(d.min) : 0,
      max: num(d.max) !== null ? num(d.max) : function (v) { return v.max >= top ? null : Math.ceil(top * 1.02); },
      axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: GRID } }
    };
    opt.yAxis = {
      type: "category", inverse: true, data: rows.map(function (r) { return r.name; }),
      axisTick: { show: false },
      axisLabel: { color: INK, width: nameWidth(el), overflow: "truncate", ellipsis: "…" }
    };
    opt.series = [{
      type: "bar", barMaxWidth: 20, barCategoryGap: "30%",
      data: rows.map(function (r) { return { value: r.score, itemStyle: { color: GRADE_COLOURS[r.cls] || GRADE_COLOURS.g2 } }; }),
      label: {
        show: true, position: "right", color: INK, textBorderColor: "#fff", textBorderWidth: 3,
        formatter: function (p) { var r = rows[p.dataIndex]; return fmt(r.score) + (r.grade ? "  " + r.grade : ""); }
      },
      markLine: lines.length ? {
        symbol: "none", silent: true, animation: false,
        lineStyle: { type: "dashed", width: 1.5, color: "#374151" },
        /* labels sit above the plot, horizontal, staggered in up to 3 rows so close lines stay legible */
        data: lines.map(function (l, i) {
          return {
            xAxis: num(l.value), name: l.label,
            label: {
              formatter: (l.label ? l.label + " " : "") + fmt(l.value), color: INK, fontSize: 11,
              textBorderColor: "#fff", textBorderWidth: 3,
              position: "start", distance: 3 + (lineRows - 1 - i % lineRows) * 15
            }
          };
        })
      } : undefined
    }];
    return { option: opt, rows: rows };
  }

  /* How many rows ECharts' plain legend wraps into (icon 25 + gap 5 + text + itemGap 12). */
  var measureCtx = null;
  function legendRows(names, width) {
    measureCtx = measureCtx || document.createElement("canvas").getContext("2d");
    measureCtx.font = "12px " + getComputedStyle(document.body).fontFamily;
    var rows = 1, x = 0;
    names.forEach(function (n) {
      var w = 25 + 5 + measureCtx.measureText(String(n)).width + 12;
      if (x > 0 && x + w - 12 > width) { rows++; x = 0; }
      x += w;
    });
    return rows;
  }

  function trendOption(d, el) {
    var series = (d.series || []).map(function (s, i) {
      return {
        type: "line", name: s.name, connectNulls: false,
        data: (s.values || []).map(num),
        color: PALETTE[i % PALETTE.length], symbol: SYMBOLS[i % SYMBOLS.length], symbolSize: 7,
        lineStyle: { width: 2, type: i < PALETTE.length ? "solid" : "dotted" }
      };
    });
    var target = num(d.target);
    if (target !== null) {
      series.push({
        type: "line", name: (d.target_label || T.target) + " " + fmt(target),
        data: (d.periods || []).map(function () { return target; }),
        color: "#b91c1c", symbol: "line", showSymbol: false, silent: true,
        lineStyle: { type: "dashed", width: 2 }, tooltip: { show: false }
      });
    }
    var rows = series.length > 1 ? legendRows(series.map(function (s) { return s.name; }), el.clientWidth) : 0;
    var titleH = head(d, el) + 8;
    var opt = baseOption(d, el);
    opt.legend = rows ? { top: titleH, left: 0, itemGap: 12, textStyle: { color: INK, fontSize: 12 } } : undefined;
    opt.grid = { left: 4, right: 16, top: titleH + rows * 22 + 14, bottom: 8 };
    var n = (d.series || []).length;
    /* own markup, no style="" attributes: works under a strict style-src CSP too */
    opt.tooltip = {
      trigger: "axis", textStyle: { color: INK },
      formatter: function (ps) {
        var h = "<b>" + esc(ps.length ? ps[0].axisValueLabel : "") + "</b>";
        ps.forEach(function (p) {
          if (p.seriesIndex >= n) return;
          var k = p.seriesIndex % MARKS.length;
          h += '<br><span class="tip-mark s' + k + '">' + MARKS[k] + "</span> " + esc(p.seriesName) + "：" + fmt(num(p.value));
        });
        if (target !== null) h += '<br><span class="tip-mark target">┅</span> ' + esc(d.target_label || T.target) + "：" + fmt(target);
        return h;
      }
    };
    opt.xAxis = { type: "category", data: d.periods || [], boundaryGap: false, axisLabel: { color: MUTED } };
    opt.yAxis = {
      type: "value", scale: true,
      min: num(d.min) !== null ? num(d.min) : undefined, max: num(d.max) !== null ? num(d.max) : undefined,
      axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: GRID } }
    };
    opt.series = series;
    return { option: opt };
  }

  function initChart(el) {
    if (el.getAttribute("data-chart-ready") || !window.echarts) return;
    var src = document.getElementById(el.getAttribute("data-chart"));
    var d;
    try { d = JSON.parse(src.textContent); } catch (e) { d = null; }
    if (!d || (d.kind !== "ranking" && d.kind !== "trend")) {
      el.textContent = T.chartError;
      el.className += " chart-error";
      return;
    }
    el.setAttribute("data-chart-ready", "1");
    var h = num(el.getAttribute("data-height"));
    if (h === null) {
      h = d.kind === "ranking"
        ? Math.max(240, 28 * (d.names || []).length + head(d, el) + 52 + Math.min((d.lines || []).length, 3) * 15)
        : 280 + head(d, el);
    }
    el.style.height = h + "px";
    if (!el.hasAttribute("role")) el.setAttribute("role", "img");
    var chart = echarts.init(el, null, { renderer: "canvas", locale: ZH ? "ZH" : "EN" });
    var entry = { el: el, chart: chart, data: d, build: d.kind === "ranking" ? rankingOption : trendOption };
    entry.built = entry.build(d, el);
    chart.setOption(entry.built.option);
    chart.on("click", function (p) {
      var r = entry.built.rows && entry.built.rows[p.dataIndex];
      if (r && r.link) location.href = r.link;
    });
    if (d.title && !el.hasAttribute("aria-label")) el.setAttribute("aria-label", d.title);
    live.push(entry);
  }

  function prune() {
    live = live.filter(function (c) {
      if (c.el.isConnected) return true;
      c.chart.dispose();
      return false;
    });
  }

  function resizeAll(width) {
    prune();
    live.forEach(function (c) {
      c.chart.resize(width ? { width: width } : undefined);
      c.built = c.build(c.data, c.el); /* label widths and legend rows follow the width */
      c.chart.setOption(c.built.option);
    });
  }

  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; resizeAll(); });
  });

  /* Print: open the data tables behind charts (and a collapsed full explanation) and fit charts to A4 width (180 mm ≈ 680 px). */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = all(document, "details.chart-table:not([open]), details.explain-full:not([open])");
    opened.forEach(function (d) { d.open = true; });
    resizeAll(680);
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
    resizeAll();
  });

  /* Charts swapped out by htmx are disposed. */
  document.addEventListener("htmx:beforeCleanupElement", function (e) {
    var el = e.target;
    live = live.filter(function (c) {
      if (c.el === el || (el.contains && el.contains(c.el))) { c.chart.dispose(); return false; }
      return true;
    });
  });

  /* ---------- table sort ---------- */
  var collator = new Intl.Collator("zh", { numeric: true, sensitivity: "base" });

  function colIndex(th) {
    var i = 0;
    for (var c = th.parentNode.firstElementChild; c && c !== th; c = c.nextElementSibling) i += c.colSpan || 1;
    return i;
  }
  function cellAt(row, idx) {
    var i = 0;
    for (var c = row.firstElementChild; c; c = c.nextElementSibling) {
      i += c.colSpan || 1;
      if (idx < i) return c;
    }
    return null;
  }
  function parseNum(s) {
    var m = /^[+\-]?(\d+(\.\d*)?|\.\d+)/.exec(s.replace(/[,，\s]/g, "").replace(/[−－]/g, "-").replace(/^[▲▼+]/, ""));
    return m ? parseFloat(m[0]) : null;
  }
  function sortKey(cell, numeric) {
    if (!cell) return null;
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (raw === "") return null;
    if (!numeric) return raw;
    var v = parseNum(raw);
    if (v !== null && !cell.hasAttribute("data-value") && (cell.classList.contains("down") || cell.querySelector(".down"))) v = -v;
    return v;
  }

  function sortBy(th) {
    var table = th.closest("table");
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    all(table, "th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var idx = colIndex(th), mode = th.getAttribute("data-sort");
    Array.prototype.forEach.call(table.tBodies, function (tb) {
      var rows = Array.prototype.map.call(tb.rows, function (r, i) { return { r: r, i: i }; });
      var numeric = mode === "num" || (mode !== "text" && (th.classList.contains("num") || rows.every(function (x) {
        var c = cellAt(x.r, idx), t = c ? (c.getAttribute("data-value") || c.textContent).trim() : "";
        return t === "" || parseNum(t) !== null;
      })));
      rows.forEach(function (x) { x.k = sortKey(cellAt(x.r, idx), numeric); });
      rows.sort(function (a, b) {
        if (a.k === null || b.k === null) return a.k === b.k ? a.i - b.i : a.k === null ? 1 : -1; /* blanks last */
        var c = numeric ? a.k - b.k : collator.compare(a.k, b.k);
        return (dir === "ascending" ? c : -c) || a.i - b.i;
      });
      var frag = document.createDocumentFragment();
      rows.forEach(function (x) { frag.appendChild(x.r); });
      tb.appendChild(frag);
    });
  }

  function initSort(root) {
    all(root, "table.data th[data-sort]").forEach(function (th) {
      if (th.querySelector(":scope > button.sort")) return;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      while (th.firstChild) b.appendChild(th.firstChild);
      th.appendChild(b);
    });
  }

  /* ---------- table filter ---------- */
  function applyFilter(input) {
    var id = input.getAttribute("data-filter-table");
    var table = document.getElementById(id);
    if (!table) return;
    var terms = norm(input.value).split(/\s+/).filter(Boolean);
    var shown = 0, total = 0;
    Array.prototype.forEach.call(table.tBodies, function (tb) {
      Array.prototype.forEach.call(tb.rows, function (r) {
        var text = norm(r.textContent);
        var ok = terms.every(function (t) { return text.indexOf(t) >= 0; });
        r.hidden = !ok;
        total++;
        if (ok) shown++;
      });
    });
    all(document, '[data-filter-status="' + id + '"]').forEach(function (s) {
      var tpl = s.getAttribute("data-template") || "{shown} / {total}";
      s.textContent = terms.length ? tpl.replace("{shown}", shown).replace("{total}", total) : "";
    });
  }

  /* ---------- wiring ---------- */
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button.sort");
    if (b && b.parentNode.matches("table.data th[data-sort]")) { sortBy(b.parentNode); return; }
    if (e.target.closest && e.target.closest("[data-print]")) { e.preventDefault(); window.print(); }
  });
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input[data-filter-table]")) applyFilter(e.target);
  });

  function init(root) {
    root = root || document;
    initSort(root);
    all(root, "input[data-filter-table]").forEach(function (i) { if (i.value) applyFilter(i); });
    prune();
    all(root, "[data-chart]").forEach(initChart);
  }

  /* A form shown again with errors: put the cursor in the first field to fix. */
  function focusFirstError() {
    var bad = document.querySelector('form [aria-invalid="true"]');
    if (bad && !document.querySelector("[autofocus]")) bad.focus();
  }

  if (window.htmx && htmx.onLoad) htmx.onLoad(init);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFirstError);
  else focusFirstError();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(document); });
  else init(document);

  window.Yardstick = { fetch: ysFetch, csrfToken: csrfToken, init: init };
  /* ---------- evidence: withdraw ---------- */
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-withdraw]");
    if (!b) return;
    e.preventDefault();
    if (!window.confirm(ZH ? "撤回这个文件？（记录会保留）" : "Withdraw this file? (It stays on record.)")) return;
    ysFetch(b.getAttribute("data-withdraw"), { method: "DELETE" }).then(function (r) {
      if (r.ok) { location.reload(); return; }
      return r.json().then(function (j) { window.alert((j && j.error && j.error.message) || r.status); });
    });
  });

  /* ---------- evidence uploads ---------- */
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-upload]")) return;
    e.preventDefault();
    var input = form.querySelector('input[type="file"]');
    var status = form.querySelector("[data-upload-status]");
    var file = input && input.files && input.files[0];
    if (!file) return;
    var say = function (t, bad) { if (status) { status.textContent = t; status.className = "small" + (bad ? " error" : ""); } };
    say(ZH ? "正在上传…" : "Uploading…");
    var url = form.getAttribute("data-upload");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "name=" + encodeURIComponent(file.name);
    all(form, "[data-upload-param]").forEach(function (el) { url += "&" + el.getAttribute("data-upload-param") + "=" + encodeURIComponent(el.value); });
    ysFetch(url, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file }).then(function (r) {
      if (r.ok) { location.reload(); return; }
      return r.json().then(function (j) {
        say((j && j.error && j.error.message) || r.status, true);
        var ps = (j && j.error && j.error.problems) || [];
        if (status && ps.length) {
          var ul = document.createElement("ul");
          ul.className = "problems";
          ps.forEach(function (p) { var li = document.createElement("li"); li.textContent = p.text || p.message; ul.appendChild(li); });
          status.appendChild(ul);
        }
      }, function () { say(String(r.status), true); });
    }, function () { say(ZH ? "上传失败，请检查网络后重试。" : "The upload failed; check the network and try again.", true); });
  });
  /* ---------- imports: check or import a workbook, answer shown in place ---------- */
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-import]")) return;
    e.preventDefault();
    var input = form.querySelector('input[type="file"]');
    var out = form.querySelector("[data-import-result]");
    var file = input && input.files && input.files[0];
    if (!file || !out) return;
    var dry = !!(e.submitter && e.submitter.value === "true");
    var url = form.getAttribute("data-import").replace(/\{(\w+)\}/g, function (_, k) {
      var el = form.querySelector('[name="' + k + '"]');
      return encodeURIComponent(el ? el.value : "");
    });
    url += (url.indexOf("?") < 0 ? "?" : "&") + "name=" + encodeURIComponent(file.name) + "&dry_run=" + dry;
    var sub = form.querySelector('input[name="submit"]');
    if (sub && sub.checked && !dry) url += "&submit=true";
    out.className = "import-result";
    out.innerHTML = "<p class=\"small\">" + esc(ZH ? (dry ? "正在检查…" : "正在导入…") : (dry ? "Checking…" : "Importing…")) + "</p>";
    var buttons = all(form, "button");
    buttons.forEach(function (b) { b.disabled = true; });
    var done = function () { buttons.forEach(function (b) { b.disabled = false; }); };
    ysFetch(url, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, j: j }; }, function () { return { ok: false, status: r.status, j: null }; });
    }).then(function (x) {
      done();
      if (!x.ok) {
        var err = (x.j && x.j.error) || {};
        var probs = err.problems || [];
        var html = "<p class=\"error\" role=\"alert\">" + esc(err.message || String(x.status)) + "</p>";
        if (probs.length) {
          html += "<table class=\"data problems\"><thead><tr><th>" + (ZH ? "工作表" : "Sheet") + "</th><th>" + (ZH ? "行" : "Row") + "</th><th>" + (ZH ? "列" : "Column") + "</th><th>" + (ZH ? "问题" : "Problem") + "</th></tr></thead><tbody>";
          probs.forEach(function (p) {
            var pl = p.place || {};
            html += "<tr><td>" + esc(pl.sheet || pl.file || "") + "</td><td class=\"num\">" + esc(pl.line || "") + "</td><td>" + esc(pl.column || pl.field || "") + "</td><td>" + esc(p.message) + "</td></tr>";
          });
          html += "</tbody></table>";
        }
        out.innerHTML = html;
        return;
      }
      var j = x.j || {};
      var lines = [];
      var head = j.dry_run ? (ZH ? "检查通过，没有问题。导入将：" : "No problem found. The import will:") : (ZH ? "导入完成：" : "Imported:");
      if (j.counts) {
        var names = ZH ? { areas: "地区", categories: "类别", units: "单位", people: "人员", users: "用户" } : { areas: "areas", categories: "categories", units: "units", people: "people", users: "users" };
        Object.keys(names).forEach(function (k) {
          var c = j.counts[k];
          if (!c || (c.created + c.updated + c.unchanged) === 0) return;
          lines.push(ZH ? names[k] + "：新增 " + c.created + "，修改 " + c.updated + "，未变 " + c.unchanged
                        : names[k] + ": " + c.created + " new, " + c.updated + " changed, " + c.unchanged + " unchanged");
        });
      } else {
        lines.push(ZH ? j.units + " 个单位，" + j.values + " 个数值，其中变化 " + j.values_changed + " 个；新增事项 " + j.occurrences_added + " 条"
                      : j.units + " units, " + j.values + " values, " + j.values_changed + " of them changed; " + j.occurrences_added + " occurrences added");
        if (j.submitted) lines.push(ZH ? "已报送。" : "Submitted.");
      }
      var html2 = "<p class=\"ok\" role=\"status\">" + esc(head) + "</p><ul>" + lines.map(function (l) { return "<li>" + esc(l) + "</li>"; }).join("") + "</ul>";
      if (j.passwords && j.passwords.length) {
        html2 += "<p><strong>" + esc(ZH ? "新用户的初始密码（只显示这一次，请当面或密送交给本人）：" : "New users' first passwords (shown this once; hand them over in person):") + "</strong></p><table class=\"data\"><tbody>" +
          j.passwords.map(function (p) { return "<tr><td>" + esc(p.username) + "</td><td><code>" + esc(p.password) + "</code></td></tr>"; }).join("") + "</tbody></table>";
      }
      out.innerHTML = html2;
    }, function () { done(); out.innerHTML = "<p class=\"error\">" + esc(ZH ? "上传失败，请检查网络后重试。" : "The upload failed; check the network and try again.") + "</p>"; });
  });
})();
