// Handoff's own script: no framework, no inline code (the Content-Security-Policy
// forbids it). It tells the server the browser's time zone and keeps the inbox live.
(function () {
  "use strict";
  var body = document.body;

  // The server shows times in the zone of the handoff_tz cookie. When it rendered in
  // another one, set the cookie and reload the list.
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz = ""; }
  if (tz && body.dataset.zone !== tz) {
    document.cookie = "handoff_tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    body.dataset.zone = tz;
    if (document.getElementById("inbox-list") && window.htmx) {
      htmx.trigger(body, "inbox-changed");
    }
  }

  // The inbox updates by itself: the server sends an "inbox" event when a task arrives
  // in or leaves it, and the list reloads (htmx, hx-trigger="inbox-changed from:body").
  if (document.getElementById("inbox-list") && window.EventSource) {
    var events = new EventSource("/inbox/events");
    events.addEventListener("inbox", function () {
      htmx.trigger(body, "inbox-changed");
    });
    body.dataset.live = "connecting";
    // Once the stream is open (first time or again), reload: a change made before it
    // opened was not sent on it.
    events.addEventListener("open", function () {
      body.dataset.live = "open";
      htmx.trigger(body, "inbox-changed");
    });
    events.addEventListener("error", function () { body.dataset.live = "retrying"; });
  }

  // A form's fields post to the server as the person types (htmx, on the element with
  // data-resolve); the server answers the fields as they stand and this shows and
  // hides them as the answer says, without replacing what is being typed. Which field
  // shows is the server's decision alone (visible_when, evaluated in Go).
  body.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-resolve") || !e.detail.successful) { return; }
    var answer = new DOMParser().parseFromString(e.detail.xhr.responseText, "text/html");
    answer.querySelectorAll("[data-field]").forEach(function (w) {
      var mine = document.getElementById(w.id);
      if (mine) { mine.hidden = w.hidden; }
    });
    elt.dataset.resolved = String(Number(elt.dataset.resolved || "0") + 1);
  });
})();
