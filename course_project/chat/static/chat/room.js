// The chat room page: one WebSocket to /ws/chat/<room>/, and no message lost or shown twice.
//
// Every message carries its number in the room, `seq`: 1, 2, 3... The page shows messages in
// that order, each once. A copy it already has is dropped; a hole ("41, 43: where is 42?") is
// filled by asking the server for what is missing; after a reconnect it asks for everything
// after the last message it has (?after=N). What you send waits in an outbox, with an id of
// its own, until the server acknowledges it; it is sent again after a reconnect, and the server
// stores it once however often it arrives. Text is written with textContent, never innerHTML:
// what users type stays text.
"use strict";

const roomName = JSON.parse(document.getElementById("room-name").textContent);
const log = document.querySelector("#chat-log");
const outboxList = document.querySelector("#chat-outbox");
const input = document.querySelector("#chat-message-input");
const status = document.querySelector("#chat-status");
const url = siteUrls.socket(`ws/chat/${roomName}/`); // site.js: the prefix, and wss: on https

// Messages from two server processes can arrive slightly out of order: a hole is given this
// long (ms) to fill by itself before the page asks for it.
const HOLE_WAIT = 300;
// A message lost at the very end of a burst leaves no hole to notice. So the page asks "anything
// after my last one?" this long after the last message arrived, and then now and again.
const QUIET_CHECK = 2000;
const IDLE_CHECK = 30000;
const RESEND_WAIT = 1000; // ms before a message the server asked us to retry goes again
const OUTBOX_KEY = `chat-outbox:${roomName}`; // survives a reload of this tab

let socket = null;
let failures = 0; // failed connects in a row, for reconnectDelay() (static/js/reconnect.js)
let lastSeq = null; // the newest message shown; every one before it is shown too
const early = new Map(); // seq -> message that arrived ahead of a hole
const outbox = new Map(); // id -> {text, item}: sent (or to be sent), not yet acknowledged
let holeTimer = null;
let checkTimer = null;

function newId() {
  // crypto.randomUUID() exists only on https:// and localhost pages; this works everywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function render(data) {
  const item = document.createElement("li");
  item.dataset.seq = data.seq;
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

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

// Receiving: in order, once, without holes.

function receive(data) {
  if (lastSeq === null) {
    // The first message on a new page: the room's history starts wherever it starts; a live
    // message first means the room was empty when we joined.
    lastSeq = data.history ? data.seq - 1 : 0;
  }
  if (data.seq <= lastSeq || early.has(data.seq)) return; // a copy of one we have
  early.set(data.seq, data);
  while (early.has(lastSeq + 1)) {
    lastSeq += 1;
    render(early.get(lastSeq));
    early.delete(lastSeq);
  }
  log.dataset.lastSeq = lastSeq;
  if (early.size && holeTimer === null) holeTimer = setTimeout(fillHole, HOLE_WAIT);
  scheduleCheck(QUIET_CHECK);
}

function fillHole() {
  holeTimer = null;
  if (!early.size) return;
  send({ type: "fetch", after: lastSeq, before: Math.min(...early.keys()) });
  holeTimer = setTimeout(fillHole, RESEND_WAIT * 2); // in case that answer goes missing too
}

function scheduleCheck(delay) {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => {
    if (lastSeq !== null) send({ type: "fetch", after: lastSeq });
    scheduleCheck(IDLE_CHECK);
  }, delay);
}

// Sending: an outbox until the server says "stored".

function saveOutbox() {
  const entries = Array.from(outbox, ([id, entry]) => [id, entry.text]);
  sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(entries));
}

function addToOutbox(id, text) {
  const item = document.createElement("li");
  item.className = "pending";
  item.textContent = text;
  outboxList.append(item);
  outbox.set(id, { text, item });
}

function transmit(id) {
  const entry = outbox.get(id);
  if (entry) send({ message: entry.text, id });
}

function sendMessage() {
  const text = input.value.trim();
  if (!text) return;
  const id = newId();
  addToOutbox(id, text);
  saveOutbox();
  input.value = "";
  input.focus();
  transmit(id);
}

function acknowledged(id) {
  const entry = outbox.get(id);
  if (!entry) return;
  entry.item.remove();
  outbox.delete(id);
  saveOutbox();
}

function refused(data) {
  status.textContent = data.error;
  const entry = data.id && outbox.get(data.id);
  if (!entry) return;
  if (data.retry) {
    setTimeout(() => transmit(data.id), RESEND_WAIT); // not stored yet: the server asks again
    return;
  }
  // Refused for good (too long, say): give the text back to its writer rather than lose it.
  outbox.delete(data.id);
  saveOutbox();
  if (input.value) {
    entry.item.className = "refused";
    entry.item.title = data.error;
  } else {
    entry.item.remove();
    input.value = entry.text;
  }
}

// The socket.

function connect() {
  socket = new WebSocket(lastSeq === null ? url : `${url}?after=${lastSeq}`);
  socket.addEventListener("open", () => {
    failures = 0;
    status.textContent = "";
    log.dataset.connected = "true"; // tests wait for it
    for (const id of outbox.keys()) transmit(id); // what waited while we were away
    scheduleCheck(QUIET_CHECK);
  });
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.error) {
      refused(data);
      return;
    }
    if (data.ack) acknowledged(data.ack);
    else status.textContent = ""; // the room is flowing: an earlier notice is out of date
    if (typeof data.seq === "number") receive(data);
  });
  socket.addEventListener("close", () => {
    log.dataset.connected = "false";
    clearTimeout(checkTimer);
    const delay = reconnectDelay(failures);
    failures += 1;
    status.textContent = `Disconnected; trying again in ${Math.ceil(delay / 1000)} s.`;
    setTimeout(connect, delay);
  });
}

for (const [id, text] of JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "[]")) {
  addToOutbox(id, text);
}
input.addEventListener("keydown", (e) => { if (e.key === "Enter") sendMessage(); });
document.querySelector("#chat-message-submit").addEventListener("click", sendMessage);
connect();
