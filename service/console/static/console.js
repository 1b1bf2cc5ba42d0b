// Review console: keyboard moves and selected words as spans. Every page works without it.
//  queue: j/k move through the rows, Enter opens the selected claim;
//  claim: n/p open the next/previous claim of the article, v focuses the verdict form;
//  claim and article: words selected in the text fill the span form's start and end.
(function () {
  "use strict";

  function typing(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey;
  }

  function queueKeys() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.claim-row"));
    if (!rows.length) return;
    var current = -1;
    function select(index) {
      if (index < 0 || index >= rows.length) return;
      if (current >= 0) rows[current].classList.remove("selected");
      current = index;
      rows[current].classList.add("selected");
      rows[current].querySelector("td.text a").focus();
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event)) return;
      var tag = (event.target.tagName || "").toLowerCase();
      if (event.key === "j") { select(current + 1); event.preventDefault(); }
      else if (event.key === "k") { select(Math.max(current - 1, 0)); event.preventDefault(); }
      else if (event.key === "Enter" && current >= 0 && tag !== "a" && tag !== "button") { window.location = rows[current].querySelector("td.text a").href; }
    });
  }

  function claimKeys() {
    if (!document.querySelector(".claim-nav")) return;
    document.addEventListener("keydown", function (event) {
      if (typing(event)) return;
      var link = null;
      if (event.key === "n") link = document.querySelector("a[rel=next]");
      else if (event.key === "p") link = document.querySelector("a[rel=prev]");
      else if (event.key === "v") {
        var status = document.getElementById("status");
        if (status) { status.focus(); status.scrollIntoView({block: "center"}); event.preventDefault(); }
        return;
      }
      if (link) { event.preventDefault(); window.location = link.href; }
    });
  }

  // The offset in the article of a point in the text: the run holding it says where it starts
  // (data-start); the tags after highlights ([speaker · stance · status]) are not article text.
  function offsetOf(node, offset) {
    var element = node.nodeType === 3 ? node.parentElement : node;
    if (!element || element.closest(".claim-tag")) return null;
    var run = element.closest("[data-start]");
    if (!run) return null;
    var start = parseInt(run.dataset.start, 10);
    if (node.nodeType !== 3) return offset === 0 ? start : start + run.textContent.length;
    return start + offset;
  }

  function selections() {
    var areas = Array.prototype.slice.call(document.querySelectorAll(".selectable[data-span-form]"));
    if (!areas.length) return;
    document.addEventListener("selectionchange", function () {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) return;
      var range = selection.getRangeAt(0);
      var area = areas.find(function (a) { return a.contains(range.commonAncestorContainer); });
      if (!area) return;
      var start = offsetOf(range.startContainer, range.startOffset);
      var end = offsetOf(range.endContainer, range.endOffset);
      if (start === null || end === null || end <= start) return;
      var text = range.toString();
      // Start and end at the words, as the service asks.
      var lead = text.length - text.replace(/^\s+/, "").length;
      var trail = text.length - text.replace(/\s+$/, "").length;
      start += lead; end -= trail;
      if (end <= start) return;
      var form = document.getElementById(area.dataset.spanForm);
      if (!form) return;
      form.querySelector("input[name=start]").value = start;
      form.querySelector("input[name=end]").value = end;
      var preview = document.getElementById(area.dataset.spanForm + "-preview");
      if (preview) preview.textContent = "Selected: \u201c" + text.trim() + "\u201d (" + start + "\u2013" + end + ")";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    queueKeys();
    claimKeys();
    selections();
  });
}());
