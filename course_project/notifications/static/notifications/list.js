// The notifications page: new notifications appear at the top as they arrive (badge.js
// dispatches them), with the same controls as the ones the server rendered; every time on the
// page is shown in one format, in the reader's own time zone; the buttons post with fetch() so
// the page does not reload.
"use strict";

const list = document.querySelector("#notification-list");
const testForm = document.querySelector("#send-test-form");
const status = document.querySelector("#notification-status");

// Intl formats in the reader's language and time zone. The server can only write its own zone
// (UTC): that text stays for browsers without JavaScript, and is replaced here.
const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });

/** Write a <time datetime="ISO"> in the page's one format: the day only when it is not today. */
function showTime(time) {
  const date = new Date(time.dateTime);
  const today = date.toDateString() === new Date().toDateString();
  time.textContent = (today ? timeOfDay : dayAndTime).format(date);
  time.title = fullDate.format(date);
}

/** A notification's link as an address for this page: a site path gets the site's prefix
 * (as Notification.url does on the server); anything but http(s) is no link at all. */
function linkUrl(link) {
  const href = link.startsWith("/") && !link.startsWith("//") ? siteUrls.page(link) : link;
  const url = new URL(href, window.location.href);
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

/** The "Mark read" form list.html renders, for notification `id`, with the page's CSRF token. */
function markReadForm(id) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = siteUrls.page(`notifications/${id}/read/`);
  form.className = "mark-read";
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "secondary";
  button.textContent = "Mark read";
  form.append(testForm.querySelector("[name=csrfmiddlewaretoken]").cloneNode(), button);
  return form;
}

/** Post `form` as fetch() and say on the page if that failed; true when the server took it. */
async function post(form) {
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form), // carries the csrfmiddlewaretoken field
      headers: { Accept: "application/json" },
    });
    // A session that ended answers with the login page (HTML), not the view's JSON.
    if (response.ok && response.headers.get("Content-Type")?.startsWith("application/json")) {
      status.textContent = "";
      return true;
    }
    status.textContent = "The server did not take that: reload the page (and log in) and try again.";
  } catch (error) {
    status.textContent = `The request failed (${error.message}); check the connection and try again.`;
  }
  return false;
}

document.addEventListener("notification", (event) => {
  const data = event.detail;
  if (list.querySelector(`li[data-id="${Number(data.id)}"]`)) return; // already on the page
  document.querySelector("#no-notifications")?.remove();
  const item = document.createElement("li");
  item.className = data.read ? "read" : "unread";
  item.dataset.id = data.id;
  const time = document.createElement("time");
  time.dateTime = data.created;
  showTime(time);
  const href = data.link ? linkUrl(data.link) : null;
  const text = document.createElement(href ? "a" : "span");
  text.className = "message";
  if (href) text.href = href;
  text.textContent = data.message;
  item.append(time, " ", text);
  if (!data.read) item.append(" ", markReadForm(data.id));
  list.prepend(item);
});

list.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.mark-read");
  if (!form) return;
  event.preventDefault();
  if (await post(form)) {
    // The badge follows by itself: the server pushes the new unread count to every tab.
    form.closest("li").classList.replace("unread", "read");
    form.remove();
  }
});

testForm.addEventListener("submit", (event) => {
  event.preventDefault();
  post(testForm); // the notification itself arrives over the socket, like any other
});

list.querySelectorAll("time[datetime]").forEach(showTime);
