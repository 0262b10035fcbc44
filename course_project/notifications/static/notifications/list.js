// The notifications page: new notifications appear at the top as they arrive (badge.js
// dispatches them), and the test button posts with fetch() so the page does not reload.
"use strict";

const list = document.querySelector("#notification-list");
const form = document.querySelector("#send-test-form");

document.addEventListener("notification", (event) => {
  const data = event.detail;
  if (list.querySelector(`li[data-id="${data.id}"]`)) return; // already rendered by the server
  document.querySelector("#no-notifications")?.remove();
  const item = document.createElement("li");
  item.className = data.read ? "read" : "unread";
  item.dataset.id = data.id;
  const time = document.createElement("time");
  time.dateTime = data.created;
  time.textContent = new Date(data.created).toLocaleTimeString();
  const text = document.createElement(data.link ? "a" : "span");
  // The link is a path inside the site: site.js adds the prefix the site is served under.
  if (data.link) text.href = siteUrls.page(data.link);
  text.textContent = data.message;
  item.append(time, " ", text);
  list.prepend(item);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await fetch(form.action, {
    method: "POST",
    body: new FormData(form), // carries the csrfmiddlewaretoken field
    headers: { Accept: "application/json" },
  });
});
