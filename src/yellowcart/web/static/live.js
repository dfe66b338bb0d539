/* A live room: the room's public SSE stream (a snapshot, then changed keys) drives the pinned product and
   each running deal's countdown, ticking locally between updates from the server's clock. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !("EventSource" in window)) return;
  var state = {}, skew = 0;
  var usd = function (c) { return "$" + (c / 100).toFixed(2); };
  function text(el, value) { el.textContent = value; }
  function render() {
    text(document.getElementById("live-state"), state.live_state || "scheduled");
    text(document.getElementById("viewers"), state.viewers || 0);
    var pinned = document.getElementById("pinned"), products = state.products || [];
    var p = products.filter(function (x) { return x.product_id === state.pinned_product_id; })[0];
    pinned.textContent = "";
    if (p) {
      var a = document.createElement("a");
      a.href = "/products/" + p.product_id; a.className = "button";
      a.textContent = "Pinned: " + (p.title || ("product " + p.product_id)) + (p.price_cents ? " · " + usd(p.price_cents) : "");
      pinned.appendChild(a);
    } else { var m = document.createElement("p"); m.className = "muted"; m.textContent = "Nothing pinned right now."; pinned.appendChild(m); }
    tick();
  }
  function tick() {
    var list = document.getElementById("deals"), now = Date.now() + skew;
    list.textContent = "";
    (state.deals || []).forEach(function (d) {
      var li = document.createElement("li"), left = Math.max(0, Math.round((Date.parse(d.ends_at) - now) / 1000));
      li.className = "deal-row";
      li.textContent = (d.sku || ("Deal " + d.deal_id)) + (d.price_cents ? " · " + usd(d.price_cents) : "") +
        " · " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + " left" +
        (d.remaining != null ? " · " + d.remaining + " units" : "");
      list.appendChild(li);
    });
  }
  var src = new EventSource("/v1/live-rooms/" + root.dataset.room + "/stream");
  src.onmessage = function (e) {
    try { Object.assign(state, JSON.parse(e.data)); } catch (err) { return; }
    if (state.server_time) skew = Date.parse(state.server_time) - Date.now();
    render();
  };
  ["snapshot", "update", "state"].forEach(function (name) { src.addEventListener(name, src.onmessage); });
  setInterval(tick, 1000);
})();
