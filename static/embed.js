// slotdav embed: put on the coach's own website with an
// <iframe data-slotdav-embed src="https://…/book/COACH">. The framed
// booking page posts its height (/static/frame.js); this script sets the
// frame's height to it. It listens only to frames of the server it was
// loaded from (docs/embed.md).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, document.baseURI).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.slotdav !== "height") return;
    var height = Number(event.data.height);
    if (!isFinite(height)) return;
    height = Math.min(Math.max(Math.round(height), 200), 20000);
    var frames = document.querySelectorAll("iframe[data-slotdav-embed]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = height + "px";
      }
    }
  });
})();
