/* The feed's interactions, sent to /app/events (POST /v1/events' contract, with the session and its CSRF
   token): an impression when a card is half on screen, watch time when it leaves (or the page hides),
   a cart_tap when a card's link or yellow cart is tapped. Batched; sendBeacon-free so the header goes too. */
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  if (!feed || feed.dataset.tracking !== "on" || !("IntersectionObserver" in window)) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var queue = [], seen = {}, visibleSince = {}, n = 0, timer = null;
  var page = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);

  function ids(card) {
    var out = {product_id: Number(card.dataset.product)};
    if (card.dataset.content) out.content_id = Number(card.dataset.content);
    return out;
  }
  function push(type, card, extra) {
    var ev = Object.assign({client_event_id: "web:" + page + ":" + (n++), type: type,
                            occurred_at: new Date().toISOString()}, ids(card), extra || {});
    queue.push(ev);
    if (!timer) timer = setTimeout(flush, 1500);
  }
  function flush(keepalive) {
    timer = null;
    if (!queue.length) return Promise.resolve();
    var events = queue.splice(0, 1000);
    return fetch("/app/events", {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({events: events})
    }).then(function (r) { feed.dataset.sent = String(Number(feed.dataset.sent || 0) + (r.ok ? events.length : 0)); })
      .catch(function () {});
  }
  function left(card) {
    var key = card.dataset.product, since = visibleSince[key];
    if (since === undefined) return;
    delete visibleSince[key];
    var ms = Math.round(performance.now() - since);
    if (ms >= 300) push("view", card, {watch_ms: ms});
  }
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      var card = e.target, key = card.dataset.product;
      if (e.isIntersecting) {
        if (!seen[key]) { seen[key] = true; push("impression", card); }
        visibleSince[key] = performance.now();
      } else { left(card); }
    });
  }, {threshold: 0.5});
  function watch(root) { root.querySelectorAll(".fcard").forEach(function (c) { if (!c.dataset.watched) { c.dataset.watched = "1"; io.observe(c); } }); }
  watch(document);
  document.body.addEventListener("htmx:afterSwap", function () { watch(feed); });
  feed.addEventListener("click", function (e) {
    var tap = e.target.closest(".tap"), card = e.target.closest(".fcard");
    if (!tap || !card) return;
    left(card);
    push("cart_tap", card);
    flush(true);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { feed.querySelectorAll(".fcard").forEach(left); flush(true); }
  });
  window.ycFlushEvents = flush;  // tests (and curious developers) can force a send
})();
