// slotdav: a booking page shown in a frame tells the page around it how
// tall it is, so /static/embed.js can size the frame (docs/embed.md).
// Only a height is sent; nothing runs when the page is not framed.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function post() {
    var h = Math.ceil(document.body ? document.body.getBoundingClientRect().height : 0) + 2;
    if (h !== last) {
      last = h;
      window.parent.postMessage({ slotdav: "height", height: h }, "*");
    }
  }
  window.addEventListener("load", post);
  window.addEventListener("resize", post);
  if (window.ResizeObserver) {
    new ResizeObserver(post).observe(document.documentElement);
  }
  document.addEventListener("DOMContentLoaded", post);
})();
