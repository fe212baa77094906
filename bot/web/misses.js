// Review of unanswered questions (/admin/misses/): operators only; login through the clerk page's API.
(function () {
  "use strict";
  var staff = window.ThutucStaff;  // bot/web/staff.js
  var facets = [];
  var reasonLabels = {};

  function $(selector, root) { return (root || document).querySelector(selector); }
  function show(id, visible) { staff.show(staff.byId(id), visible); }

  function load() {
    staff.request("api/groups").then(function (body) {
      facets = body.facets;
      reasonLabels = body.reasons || {};
      show("login-view", false); show("app-view", true);
      render(body.groups);
    }, function (error) {
      if (error.status === 401) { show("login-view", true); show("app-view", false); return; }
      if (error.status === 403) {
        show("login-view", false); show("app-view", false);
        staff.byId("denied").textContent = error.userMessage;
        show("denied", true);
        return;
      }
      show("app-view", true);
      staff.setError(staff.byId("list-error"), error.userMessage);
    });
  }

  function render(groups) {
    var list = document.getElementById("groups");
    list.textContent = "";
    var reviewed = groups.filter(function (g) { return g.review; }).length;
    document.getElementById("summary").textContent = groups.length
      ? groups.length + " nhóm câu hỏi, " + reviewed + " nhóm đã rà soát."
      : "Chưa có câu hỏi nào bot chưa trả lời được.";
    groups.forEach(function (group) { list.appendChild(groupItem(group)); });
  }

  function stateText(review) {
    if (!review) { return "Chưa rà soát"; }
    var facet = facets.filter(function (f) { return f.name === review.facet; })[0];
    var who = " — " + review.reviewer;
    if (review.out_of_scope) { return "Đã rà soát: ngoài phạm vi" + who; }
    return "Đã rà soát: " + (review.name || "") + " (mã " + review.code + "), " + (facet ? facet.label : review.facet) + who;
  }

  function groupItem(group) {
    var item = document.getElementById("group-template").content.firstElementChild.cloneNode(true);
    item.dataset.id = group.id;
    $(".count", item).textContent = group.count;
    $(".example", item).textContent = group.example;
    $(".state", item).textContent = stateText(group.review);
    item.classList.toggle("reviewed", !!group.review);
    var reasons = Object.keys(group.reasons || {}).map(function (r) {
      return (reasonLabels[r] || r) + " × " + group.reasons[r];
    });
    $(".reasons", item).textContent = reasons.join(" · ");
    var others = group.texts.filter(function (t) { return t !== group.example; });
    if (others.length) {
      others.forEach(function (t) { var li = document.createElement("li"); li.textContent = t; $(".texts", item).appendChild(li); });
    } else {
      $(".more", item).hidden = true;
    }
    var select = $(".facet", item);
    facets.forEach(function (f) {
      var option = document.createElement("option");
      option.value = f.name; option.textContent = f.label;
      select.appendChild(option);
    });
    var chosen = { code: null, name: null };
    if (group.review && !group.review.out_of_scope) {
      chosen = { code: group.review.code, name: group.review.name };
      select.value = group.review.facet;
      $(".chosen", item).textContent = "Đã chọn: " + (chosen.name || "") + " (mã " + chosen.code + ")";
    }
    $(".undo", item).hidden = !group.review;
    var search = $(".proc-search", item);
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { findProcedures(item, search.value, chosen); }, 200);
    });
    $(".save", item).addEventListener("click", function () {
      if (!chosen.code) { groupError(item, "Vui lòng tìm và chọn một thủ tục (hoặc bấm «Ngoài phạm vi»)."); return; }
      decide(group.id, item, { code: chosen.code, facet: select.value });
    });
    $(".oos", item).addEventListener("click", function () { decide(group.id, item, { out_of_scope: true }); });
    $(".undo", item).addEventListener("click", function () {
      staff.request("api/groups/" + encodeURIComponent(group.id) + "/undo", { method: "POST" }).then(load,
        function (error) { groupError(item, error.userMessage); });
    });
    return item;
  }

  function findProcedures(item, query, chosen) {
    var list = $(".proc-results", item);
    query = query.trim();
    if (!query) { list.textContent = ""; return; }
    // the clerk page's search API: one search for every staff page
    staff.request("/clerk/api/search?q=" + encodeURIComponent(query)).then(function (body) {
      list.textContent = "";
      body.results.filter(function (hit) { return hit.status === "curated"; }).forEach(function (hit) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "proc";
        button.dataset.code = hit.code;
        button.textContent = hit.name;
        var code = document.createElement("span");
        code.className = "code"; code.textContent = "mã " + hit.code;
        button.appendChild(code);
        button.setAttribute("aria-pressed", String(hit.code === chosen.code));
        button.addEventListener("click", function () {
          chosen.code = hit.code; chosen.name = hit.name;
          $(".chosen", item).textContent = "Đã chọn: " + hit.name + " (mã " + hit.code + ")";
          Array.prototype.forEach.call(list.querySelectorAll("button"), function (b) {
            b.setAttribute("aria-pressed", String(b === button));
          });
        });
        li.appendChild(button);
        list.appendChild(li);
      });
    }, function (error) { list.textContent = ""; groupError(item, error.userMessage); });
  }

  function groupError(item, message) {
    var error = $(".group-error", item);
    error.textContent = message;
    error.hidden = false;
  }

  function decide(id, item, body) {
    staff.request("api/groups/" + encodeURIComponent(id) + "/review", { method: "POST", json: body }).then(load,
      function (error) { groupError(item, error.userMessage); });
  }

  staff.bindLogin(load);

  load();
})();
