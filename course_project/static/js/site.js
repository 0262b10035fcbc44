// Where this site lives, for the other scripts: at "/" on a plain `make serve`, under a prefix
// behind a proxy (JupyterHub's /user/<name>/proxy/<port>/). The server writes the site's root
// into <html data-site-root> (base.html); every address a script builds starts from it, so the
// pages work wherever the site is mounted. Loaded before the other scripts.
"use strict";

const siteUrls = Object.freeze({
  root: document.documentElement.dataset.siteRoot || "/",

  /** The address of the site's page `path` ("chat/lobby/" or "/chat/lobby/"). */
  page(path) {
    return this.root + path.replace(/^\/+/, "");
  },

  /** The WebSocket URL of `path` ("ws/chat/lobby/"): wss: when the page came over https. */
  socket(path) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${this.page(path)}`;
  },
});
