// Embeds the web chat in a ward website: a floating button that opens the chat in an iframe.
// Usage (one line before </body>):  <script src="https://tro-ly.phuong-mau.gov.vn/chat/embed.js" async></script>
// The chat itself runs in the iframe, on the assistant's own origin: the host page's scripts and styles cannot reach it.
(function () {
  "use strict";
  if (window.__thutucChatEmbedded) return;
  window.__thutucChatEmbedded = true;

  var script = document.currentScript;
  var chatUrl = new URL("./", script && script.src ? script.src : window.location.href).toString();
  var label = (script && script.getAttribute("data-label")) || "Hỏi đáp thủ tục";

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  var b = button.style;
  b.position = "fixed"; b.right = "16px"; b.bottom = "16px"; b.zIndex = "2147483646";
  b.padding = "12px 18px"; b.borderRadius = "999px"; b.border = "none"; b.cursor = "pointer";
  b.background = "#b3261e"; b.color = "#fff"; b.font = "600 15px system-ui, sans-serif";
  b.boxShadow = "0 2px 10px rgba(0,0,0,.25)";

  var frame = null;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = chatUrl;
      frame.title = "Trợ lý thủ tục hành chính";
      var f = frame.style;
      f.position = "fixed"; f.right = "16px"; f.bottom = "76px"; f.zIndex = "2147483647";
      f.width = "min(400px, calc(100vw - 32px))"; f.height = "min(640px, calc(100vh - 100px))";
      f.border = "none"; f.borderRadius = "12px"; f.boxShadow = "0 4px 24px rgba(0,0,0,.3)"; f.background = "#fff";
      document.body.appendChild(frame);
    }
    frame.style.display = "block";
    button.setAttribute("aria-expanded", "true");
  }

  function close() {
    if (frame) frame.style.display = "none";
    button.setAttribute("aria-expanded", "false");
  }

  button.addEventListener("click", function () {
    if (button.getAttribute("aria-expanded") === "true") close(); else open();
  });

  if (document.body) document.body.appendChild(button);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(button); });
})();
