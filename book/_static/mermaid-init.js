// Draws the diagrams that a lesson's code printed (text/vnd.mermaid outputs, staged by
// tools/book.py as <pre class="mermaid">). The lessons' own diagrams are pictures already.
// mermaid.min.js comes from npm through tools/vendor.py; nothing is fetched from a CDN.
document.addEventListener("DOMContentLoaded", () => {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
  mermaid.run({ querySelector: "pre.mermaid" });
});
