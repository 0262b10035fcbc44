// The chat room page: one WebSocket to /ws/chat/<room>/, reconnecting if it drops.
// Messages are written with textContent, never innerHTML: what users type stays text.
"use strict";

const roomName = JSON.parse(document.getElementById("room-name").textContent);
const log = document.querySelector("#chat-log");
const input = document.querySelector("#chat-message-input");
const status = document.querySelector("#chat-status");
// site.js adds the site's prefix (behind a proxy) and picks wss: when the page came over https.
const url = siteUrls.socket(`ws/chat/${roomName}/`);
let socket = null;
let retryDelay = 1000;

function addMessage(data) {
  const item = document.createElement("li");
  if (data.history) item.classList.add("history");
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${new Date(data.timestamp).toLocaleTimeString()} ${data.user}`;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = data.message;
  item.append(meta, text);
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function connect() {
  socket = new WebSocket(url);
  socket.addEventListener("open", () => {
    status.textContent = "";
    retryDelay = 1000;
    log.replaceChildren(); // history is sent again on every (re)connect
    log.dataset.connected = "true"; // what sendMessage() needs; tests wait for it too
  });
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.error) {
      status.textContent = data.error;
    } else {
      status.textContent = "";
      addMessage(data);
    }
  });
  socket.addEventListener("close", () => {
    log.dataset.connected = "false";
    status.textContent = `Disconnected; retrying in ${retryDelay / 1000} s.`;
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  });
}

function sendMessage() {
  if (!input.value.trim() || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ message: input.value }));
  input.value = "";
  input.focus();
}

input.addEventListener("keydown", (e) => { if (e.key === "Enter") sendMessage(); });
document.querySelector("#chat-message-submit").addEventListener("click", sendMessage);
connect();
