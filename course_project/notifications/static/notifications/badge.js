// Every page of a logged-in user: one socket to /ws/notifications/ keeps the unread badge live
// and re-dispatches each notification as a "notification" DOM event for pages that show them.
// After a reconnect it asks for everything newer than the newest notification it has seen
// (?after=ID), so a list on the page misses nothing that arrived while the socket was down.
"use strict";

(function () {
  const badge = document.querySelector("#notification-badge");
  const url = siteUrls.socket("ws/notifications/"); // site.js: the prefix, and wss: on https
  let failures = 0; // failed connects in a row, for reconnectDelay() (static/js/reconnect.js)
  let newestId = null;

  function showUnread(count) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function connect() {
    const socket = new WebSocket(newestId === null ? url : `${url}?after=${newestId}`);
    socket.addEventListener("open", () => { failures = 0; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (typeof data.unread === "number") showUnread(data.unread);
      if (data.type === "notification") {
        newestId = Math.max(newestId ?? 0, data.id);
        document.dispatchEvent(new CustomEvent("notification", { detail: data }));
      }
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, reconnectDelay(failures));
      failures += 1;
    });
  }

  connect();
})();
