// Review console: j/k move through the queue, Enter opens the selected claim. Pages work without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.claim-row"));
    if (!rows.length) return;
    var current = -1;
    function select(index) {
      if (index < 0 || index >= rows.length) return;
      if (current >= 0) rows[current].classList.remove("selected");
      current = index;
      rows[current].classList.add("selected");
      rows[current].querySelector("a").focus();
    }
    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "j") { select(current + 1); event.preventDefault(); }
      else if (event.key === "k") { select(Math.max(current - 1, 0)); event.preventDefault(); }
      else if (event.key === "Enter" && current >= 0 && tag !== "a" && tag !== "button") { window.location = rows[current].dataset.href; }
    });
  });
}());
