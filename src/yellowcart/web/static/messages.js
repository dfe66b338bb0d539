/* A conversation's messages, live (the shopper's order page, the seller centre's and the console's
   conversation pages): the conversation's SSE stream (GET /app/conversations/{id}/stream, the
   session's twin of GET /v1/conversations/{id}/stream) appends each new message the way the server renders
   them, once per message id. It resumes after the newest message on the page (the server's "after"), and an
   EventSource reconnect sends Last-Event-ID, so nothing posted meanwhile is lost. A message's text only ever
   goes in as textContent: it is never parsed as HTML. */
(function () {
  "use strict";
  var section = document.querySelector("[data-stream]");  /* the order page's section, or a thread's list */
  var list = section && (section.matches("ol.messages") ? section : section.querySelector("ol.messages"));
  if (!list || !("EventSource" in window)) return;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function pad(n) { return String(n).padStart(2, "0"); }
  function node(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text != null) el.textContent = text;
    return el;
  }
  function shown() {
    return Array.prototype.map.call(list.querySelectorAll("li[data-id]"), function (li) { return Number(li.dataset.id); });
  }
  function who(m) {  /* as order.html: You, Automatic answer, or the sender's role capitalised */
    if (m.from_me) return "You";
    if (m.auto_answer) return "Automatic answer";
    var role = String(m.sender_role || "");
    return role.charAt(0).toUpperCase() + role.slice(1).toLowerCase();
  }
  function stamp(iso) {  /* "%b %d, %H:%M" in UTC, as the server renders it */
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return MONTHS[d.getUTCMonth()] + " " + pad(d.getUTCDate()) + ", " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function add(m) {
    if (!m || !Number.isInteger(m.id) || shown().indexOf(m.id) >= 0) return;
    var li = node("li", "msg " + (m.from_me ? "me" : "them"));
    li.dataset.id = String(m.id);
    li.appendChild(node("span", "who", who(m)));
    li.appendChild(node("p", "", m.text == null ? "" : String(m.text)));
    var time = node("time", "muted", stamp(m.created_at));
    time.setAttribute("datetime", String(m.created_at || ""));
    li.appendChild(time);
    var empty = list.querySelector("li[data-empty]");
    if (empty) empty.remove();
    var later = Array.prototype.filter.call(list.querySelectorAll("li[data-id]"), function (x) {
      return Number(x.dataset.id) > m.id;
    })[0];
    list.insertBefore(li, later || null);  /* frames come oldest first; keep the list in id order anyway */
  }

  var after = Math.max.apply(null, [0].concat(shown()));
  var url = section.dataset.stream + (section.dataset.stream.indexOf("?") < 0 ? "?" : "&") + "after=" + after;
  var source = new EventSource(url);
  source.addEventListener("ready", function () { section.dataset.live = "on"; });
  source.addEventListener("message", function (e) {
    var m;
    try { m = JSON.parse(e.data); } catch (err) { return; }
    add(m);
  });
  source.addEventListener("error", function () {
    /* CONNECTING: the browser retries by itself (with Last-Event-ID); CLOSED: refused (signed out, 404). */
    section.dataset.live = source.readyState === EventSource.CLOSED ? "off" : "reconnecting";
  });
})();
