// Every page of a logged-in user: one socket to /ws/notifications/ keeps the unread badge live
// and re-dispatches each notification as a "notification" DOM event for pages that show them.
"use strict";

(function () {
  const badge = document.querySelector("#notification-badge");
  const url = siteUrls.socket("ws/notifications/"); // site.js: the prefix, and wss: on https
  let retryDelay = 1000;

  function showUnread(count) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function connect() {
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => { retryDelay = 1000; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (typeof data.unread === "number") showUnread(data.unread);
      if (data.type === "notification") {
        document.dispatchEvent(new CustomEvent("notification", { detail: data }));
      }
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  connect();
})();
