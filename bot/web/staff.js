/* What every staff page (clerk page, operators' dashboard, review of unanswered questions) does the same way: JSON
   requests with the session cookie and the anti-CSRF header, errors that carry the server's Vietnamese message,
   the login form and the logout button of the shared staff login (POST /clerk/login, /clerk/logout), and small DOM
   helpers. Loaded before the page's own script; everything it defines is on window.ThutucStaff. */
(function () {
  "use strict";

  var CSRF_HEADER = { "X-Requested-With": "thutuc-clerk" };
  var UNREACHABLE = "Chưa kết nối được máy chủ. Vui lòng thử lại.";

  function byId(id) { return document.getElementById(id); }
  function show(node, visible) { node.hidden = !visible; }
  function setError(node, message) { node.textContent = message || ""; show(node, !!message); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* fetch(path) as JSON. Resolves with the body of a 2xx answer; rejects with an Error whose `status` is the HTTP
     status (undefined when the server was not reached) and whose `userMessage` is the server's `error` text or a
     polite default. `onUnauthorized` (optional) is called on a 401 before rejecting. */
  function request(path, options, onUnauthorized) {
    options = Object.assign({}, options || {});
    options.credentials = "same-origin";
    options.headers = Object.assign({}, CSRF_HEADER, options.headers || {});
    if (options.json !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) return body;
        if (response.status === 401 && onUnauthorized) onUnauthorized();
        var error = new Error(String(response.status));
        error.status = response.status;
        error.userMessage = body && body.error ? body.error : UNREACHABLE;
        throw error;
      });
    }, function () {
      var error = new Error("network");
      error.userMessage = UNREACHABLE;
      throw error;
    });
  }

  /* The login form of the shared staff login (#login-form with #name, #password, #login-error): on success the
     password box is emptied and `onSession(session)` gets {name, role}. */
  function bindLogin(onSession) {
    byId("login-form").addEventListener("submit", function (event) {
      event.preventDefault();
      request("/clerk/login", { method: "POST", json: { name: byId("name").value.trim(), password: byId("password").value } })
        .then(function (session) {
          byId("password").value = "";
          setError(byId("login-error"), "");
          onSession(session);
        }, function (error) {
          byId("password").value = "";
          setError(byId("login-error"), error.userMessage);
        });
    });
  }

  /* The logout button (#logout): ends the session, then `afterLogout()` whether or not the server answered. */
  function bindLogout(afterLogout) {
    var button = byId("logout");
    if (!button) return;
    button.addEventListener("click", function () {
      request("/clerk/logout", { method: "POST" }).catch(function () {}).then(afterLogout);
    });
  }

  window.ThutucStaff = {
    UNREACHABLE: UNREACHABLE, byId: byId, show: show, setError: setError, el: el, request: request,
    bindLogin: bindLogin, bindLogout: bindLogout,
  };
})();
