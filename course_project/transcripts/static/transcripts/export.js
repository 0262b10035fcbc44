// The room page's "Export transcript" button: posts with fetch() (the form carries the CSRF
// token) and shows the server's answer as text. The download link arrives later, as a
// notification from the worker; badge.js re-dispatches it here.
"use strict";

(function () {
  const form = document.querySelector("#transcript-form");
  const status = document.querySelector("#transcript-status");
  // From a press of the button until its transcript's notification arrives. Notifications of
  // older transcripts (replayed when the page connects) are not shown; and since the worker can
  // be quicker than the answer to the request, that answer must not replace the link.
  let waiting = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    waiting = true;
    status.textContent = "Asking the worker…";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (data.error) {
        waiting = false; // nothing was queued: no notification will come
        status.textContent = data.error;
      } else if (waiting) {
        status.textContent = data.message;
      }
    } catch (error) {
      waiting = false;
      status.textContent = `The request failed (${error.message}); reload the page and try again.`;
    }
  });

  document.addEventListener("notification", (event) => {
    const data = event.detail;
    if (!waiting || !data.link || !data.link.startsWith("/transcripts/")) return;
    waiting = false;
    const link = document.createElement("a");
    link.href = siteUrls.page(data.link); // a path inside the site: site.js adds the prefix
    link.textContent = "Download";
    status.replaceChildren(`${data.message} `, link);
  });
})();
