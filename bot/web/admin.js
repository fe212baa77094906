/* The operators' dashboard: reads /admin/api/report for a date range and shows its figures, charts and tables;
   every table links to its CSV export. All text from the server is set with textContent; the charts are SVG built
   by the server from numbers and escaped labels, parsed as SVG (never as HTML). */
(function () {
  "use strict";

  var TEXT = {
    loading: "Đang tải…",
    shown: "Số liệu từ {from} đến {to} (giờ Việt Nam).",
    empty: "Không có dữ liệu trong khoảng thời gian này.",
    csv: "Tải CSV",
  };
  var CARDS = [
    ["conversations", "Cuộc trò chuyện", "int"],
    ["messages", "Tin nhắn của người dân", "int"],
    ["answered_rate", "Trả lời được bằng một thủ tục", "percent"],
    ["fallback_rate", "Không hiểu câu hỏi (fallback)", "percent"],
    ["clarifying_rate", "Hỏi lại để làm rõ", "percent"],
    ["handoff_tickets", "Phiếu chuyển cán bộ", "int"],
    ["handoff_median_minutes", "Trung vị phút đến lúc cán bộ trả lời", "float"],
    ["thumbs_up", "Hài lòng (👍)", "int"],
    ["thumbs_down", "Chưa hài lòng (👎)", "int"],
    ["unanswered", "Câu hỏi chưa trả lời được", "int"],
    ["knowledge_issues", "Mục dữ liệu cần xem lại", "int"],
  ];
  var WIDE_TABLES = { daily: true, knowledge: true, unanswered: true, handoff: true };
  var PERCENT_COLUMNS = { rates: [2] };

  var staff = window.ThutucStaff;  // bot/web/staff.js
  var $ = staff.byId, show = staff.show, el = staff.el, setError = staff.setError, request = staff.request;

  var integer = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 0 });
  var decimal = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  function format(value, kind) {
    if (value === null || value === undefined) return "—";
    if (kind === "percent") return decimal.format(value * 100) + " %";
    if (kind === "float" || (typeof value === "number" && !Number.isInteger(value))) return decimal.format(value);
    if (typeof value === "number") return integer.format(value);
    return String(value);
  }

  // ------------------------------------------------------------------------------------------- views
  function showOnly(view) {
    ["login-view", "forbidden-view", "app-view"].forEach(function (id) { show($(id), id === view); });
    show($("logout"), view !== "login-view");
  }

  function handleRefusal(error) {
    if (error.status === 401) { showOnly("login-view"); $("name").focus(); return true; }
    if (error.status === 403) { $("forbidden-message").textContent = error.userMessage; showOnly("forbidden-view"); return true; }
    return false;
  }

  staff.bindLogin(function () { load(); });
  staff.bindLogout(function () { showOnly("login-view"); });

  // ------------------------------------------------------------------------------------------- range
  function isoDay(date) {
    var local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return local.toISOString().slice(0, 10);
  }
  function lastDays(days) {
    var today = new Date();
    $("to").value = isoDay(today);
    $("from").value = isoDay(new Date(today.getTime() - (days - 1) * 86400000));
  }
  function query() {
    var params = new URLSearchParams();
    if ($("from").value) params.set("from", $("from").value);
    if ($("to").value) params.set("to", $("to").value);
    return params.toString();
  }
  $("range-form").addEventListener("submit", function (event) { event.preventDefault(); load(); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-days]"), function (button) {
    button.addEventListener("click", function () { lastDays(Number(button.getAttribute("data-days"))); load(); });
  });

  // ------------------------------------------------------------------------------------------- report
  var loadSeq = 0;
  function load() {
    var seq = ++loadSeq;
    $("range-note").textContent = TEXT.loading;
    var params = new URLSearchParams(window.location.search);
    var q = query() || params.toString();
    request("/admin/api/report" + (q ? "?" + q : "")).then(function (report) {
      if (seq !== loadSeq) return;
      showOnly("app-view");
      setError($("report-error"), "");
      render(report);
    }, function (error) {
      if (seq !== loadSeq) return;
      $("range-note").textContent = "";
      if (!handleRefusal(error)) { showOnly("app-view"); setError($("report-error"), error.userMessage); }
    });
  }

  function render(report) {
    $("from").value = report.period.from;
    $("to").value = report.period.to;
    $("range-note").textContent = TEXT.shown.replace("{from}", report.period.from).replace("{to}", report.period.to);
    $("who").textContent = report.staff || "";
    show($("who"), !!report.staff);
    renderCards(report.summary);
    Object.keys(report.charts).forEach(function (name) { renderChart(name, report.charts[name]); });
    renderTables(report.tables, report.period);
  }

  function renderCards(summary) {
    var box = $("cards");
    box.textContent = "";
    CARDS.forEach(function (card) {
      var node = el("div", "card");
      node.setAttribute("data-figure", card[0]);
      node.appendChild(el("span", "value", format(summary[card[0]], card[2])));
      node.appendChild(el("span", "label", card[1]));
      box.appendChild(node);
    });
  }

  function renderChart(name, markup) {
    var holder = $("chart-" + name);
    if (!holder) return;
    holder.textContent = "";
    var parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    var svg = parsed.documentElement;
    if (!svg || svg.nodeName !== "svg" || parsed.getElementsByTagName("parsererror").length) return;
    holder.appendChild(document.importNode(svg, true));
  }

  function renderTables(tables, period) {
    var box = $("tables");
    box.textContent = "";
    tables.forEach(function (table) {
      var section = el("section", "table-box" + (WIDE_TABLES[table.name] ? " wide" : ""));
      section.id = "table-" + table.name;
      section.setAttribute("data-table", table.name);
      var head = el("div", "table-head");
      head.appendChild(el("h2", null, table.title));
      var link = el("a", "csv", TEXT.csv);
      link.href = "/admin/api/" + table.name + ".csv?from=" + encodeURIComponent(period.from) + "&to=" + encodeURIComponent(period.to);
      link.setAttribute("download", "");
      head.appendChild(link);
      section.appendChild(head);
      if (!table.rows.length) {
        section.appendChild(el("p", "empty", TEXT.empty));
        box.appendChild(section);
        return;
      }
      var scroll = el("div", "scroll");
      var grid = el("table");
      var headRow = el("tr");
      var numeric = table.columns.map(function (_, index) {
        return table.rows.every(function (row) { return row[index] === null || typeof row[index] === "number"; });
      });
      table.columns.forEach(function (column, index) { headRow.appendChild(el("th", numeric[index] ? "num" : null, column)); });
      var thead = el("thead");
      thead.appendChild(headRow);
      grid.appendChild(thead);
      var body = el("tbody");
      var percent = PERCENT_COLUMNS[table.name] || [];
      table.rows.forEach(function (row) {
        var tr = el("tr");
        row.forEach(function (value, index) {
          var cell = el("td", numeric[index] ? "num" : null, format(value, percent.indexOf(index) >= 0 ? "percent" : null));
          if (typeof value === "number") cell.setAttribute("data-value", String(value));
          tr.appendChild(cell);
        });
        body.appendChild(tr);
      });
      grid.appendChild(body);
      scroll.appendChild(grid);
      section.appendChild(scroll);
      box.appendChild(section);
    });
  }

  var initial = new URLSearchParams(window.location.search);
  if (initial.get("from")) $("from").value = initial.get("from");
  if (initial.get("to")) $("to").value = initial.get("to");
  load();
})();
