// Earshot feed: live updates over SSE, actions without reloading, and the keyboard (j k a c / ?).
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  if (!feed) return;
  var isList = !!document.getElementById("feed-list") && !!document.getElementById("search");
  var selected = null;
  var seen = {};
  var sound = document.getElementById("sound");
  var statusLine = document.getElementById("live-status");

  function articles() { return Array.prototype.slice.call(feed.querySelectorAll("article.alert")); }
  function remember() { articles().forEach(function (a) { seen[a.dataset.id] = true; }); }
  function select(article) {
    articles().forEach(function (a) { a.classList.remove("selected"); });
    if (!article) return;
    selected = article.dataset.id;
    article.classList.add("selected");
    article.focus({ preventScroll: true });
    article.scrollIntoView({ block: "nearest" });
  }
  function current() {
    var list = articles();
    for (var i = 0; i < list.length; i++) if (list[i].dataset.id === selected) return list[i];
    return null;
  }
  function setTitle(unacked) {
    document.title = document.title.replace(/^\(\d+\)\s*/, "(" + unacked + ") ");
    var badge = document.getElementById("unacked-count");
    if (badge) { badge.textContent = unacked; badge.setAttribute("aria-label", unacked + " unacknowledged"); }
  }
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(); osc.frequency.value = 880; osc.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio: nothing to do */ }
  }
  function refresh() {
    if (!isList) { return fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("feed"); if (fresh) feed.innerHTML = fresh.innerHTML;
      document.title = doc.title;
    }); }
    return fetch("/feed/list" + location.search, { credentials: "same-origin" }).then(function (r) {
      if (r.redirected || r.status === 401) { location.href = "/login"; throw new Error("logged out"); }
      return r.text();
    }).then(function (html) {
      feed.innerHTML = html;
      var list = document.getElementById("feed-list");
      if (list) setTitle(list.dataset.unacked);
      var critical = false;
      articles().forEach(function (a) {
        if (!seen[a.dataset.id]) { a.classList.add("fresh"); if (a.dataset.urgency === "critical") critical = true; }
      });
      remember();
      if (critical && sound && sound.checked) beep();
      var again = current(); if (again) again.classList.add("selected");
    });
  }
  function say(text) { if (statusLine) statusLine.textContent = text; }
  function send(form) {
    var body = new FormData(form);
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { say("Action refused (" + r.status + ")"); });
      say("Done.");
      return refresh();
    });
  }
  feed.addEventListener("submit", function (event) {
    event.preventDefault();
    var article = event.target.closest("article"); if (article) selected = article.dataset.id;
    send(event.target);
  });
  function act(action) {
    var article = current(); if (!article) return;
    var button = article.querySelector('button[data-action="' + action + '"]');
    if (button && !button.disabled) send(button.form);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { if (event.key === "Escape") event.target.blur(); return; }
    var list = articles(); var index = list.indexOf(current());
    if (event.key === "j") { select(list[Math.min(index + 1, list.length - 1)] || list[0]); }
    else if (event.key === "k") { select(list[Math.max(index - 1, 0)]); }
    else if (event.key === "a") { act("ack"); }
    else if (event.key === "c") { act("claim"); }
    else if (event.key === "Enter" && current() && event.target === current()) { location.href = "/alerts/" + selected; }
    else if (event.key === "/") { var s = document.getElementById("search"); if (s) { s.focus(); s.select(); } }
    else if (event.key === "?") { var d = document.getElementById("keys"); if (d && d.showModal) d.showModal(); }
    else return;
    event.preventDefault();
  });
  var keysButton = document.getElementById("keys-button");
  if (keysButton) keysButton.addEventListener("click", function () { document.getElementById("keys").showModal(); });
  if (sound) {
    sound.checked = localStorage.getItem("earshot-sound") === "on";
    sound.addEventListener("change", function () { localStorage.setItem("earshot-sound", sound.checked ? "on" : "off"); });
  }
  remember();
  if (window.EventSource) {
    var source = new EventSource("/events");
    source.addEventListener("open", function () { if (statusLine) statusLine.textContent = "Live: new alerts appear by themselves."; });
    source.addEventListener("feed", function () { refresh(); });
    source.addEventListener("error", function () { if (statusLine) statusLine.textContent = "Live updates reconnecting…"; });
  }
})();
