// The process owner's editor: line numbers beside the YAML, the validator's errors
// marked on their lines, and a click on an error puts the cursor at its line and
// column. Validation itself is the server's (htmx posts the text as the owner types).
(function () {
  "use strict";
  var source = document.getElementById("source");
  var gutter = document.getElementById("gutter");
  if (!source || !gutter) { return; }

  function badLines() {
    var bad = {};
    document.querySelectorAll("#checks .goto").forEach(function (b) { bad[b.dataset.line] = true; });
    return bad;
  }

  function number() {
    var n = source.value.split("\n").length;
    var bad = badLines();
    var out = [];
    for (var i = 1; i <= n; i++) {
      out.push(bad[i] ? '<span class="bad">' + i + "</span>" : String(i));
    }
    gutter.innerHTML = out.join("\n");
    gutter.scrollTop = source.scrollTop;
  }

  // offset is the textarea position of a 1-based line and column (columns count
  // characters, as the validator does).
  function offset(line, column) {
    var lines = source.value.split("\n");
    var at = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { at += lines[i].length + 1; }
    var here = lines[Math.min(line, lines.length) - 1] || "";
    return at + Math.min(Math.max(column - 1, 0), here.length);
  }

  function go(line, column) {
    var at = offset(line, column);
    source.focus();
    source.setSelectionRange(at, at);
    // Scroll the line into view: the textarea's line height times the line above it.
    var lh = parseFloat(getComputedStyle(source).lineHeight) || 18;
    source.scrollTop = Math.max(0, (line - 4) * lh);
    gutter.scrollTop = source.scrollTop;
  }

  source.addEventListener("input", number);
  source.addEventListener("scroll", function () { gutter.scrollTop = source.scrollTop; });
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("#checks .goto");
    if (b) { go(parseInt(b.dataset.line, 10), parseInt(b.dataset.column, 10)); }
  });
  document.body.addEventListener("htmx:afterSwap", number);
  // Tab indents (two spaces) instead of leaving the editor; Escape then Tab leaves it.
  var escaped = false;
  source.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { escaped = true; return; }
    if (e.key === "Tab" && !e.shiftKey && !escaped) {
      e.preventDefault();
      source.setRangeText("  ", source.selectionStart, source.selectionEnd, "end");
      source.dispatchEvent(new Event("input", { bubbles: true }));
    }
    escaped = false;
  });
  number();
})();
