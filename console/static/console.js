// sswbot console: live updates over server-sent events, canned replies and
// hand-off notifications. Every page works without this file (CSP allows
// no inline script; this is the only one).
(function () {
  'use strict';
  var body = document.body;
  var url = body.getAttribute('data-live');
  var page = body.getAttribute('data-page');
  var conv = body.getAttribute('data-conv');
  var baseTitle = document.title;
  var badge = document.getElementById('waiting');
  var waiting = badge ? parseInt(badge.textContent, 10) || 0 : 0;

  // Canned replies go into the reply box instead of reloading the page.
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[data-canned]');
    var box = document.getElementById('reply-text');
    if (!a || !box) return;
    e.preventDefault();
    var text = a.getAttribute('data-canned');
    var at = box.selectionStart || box.value.length;
    var sep = box.value && at === box.value.length && !/\n$/.test(box.value) ? '\n' : '';
    box.value = box.value.slice(0, at) + sep + text + box.value.slice(at);
    box.focus();
  });

  if (!url || !window.EventSource || !window.fetch) return;

  var notify = document.getElementById('notify');
  if (notify && window.Notification && Notification.permission === 'default') {
    notify.hidden = false;
    notify.addEventListener('click', function () {
      Notification.requestPermission().then(function () { notify.hidden = true; });
    });
  }

  function setWaiting(n) {
    if (badge) {
      badge.textContent = n;
      badge.classList.toggle('zero', n === 0);
    }
    document.title = (n > 0 ? '(' + n + ') ' : '') + baseTitle;
    if (n > waiting && window.Notification && Notification.permission === 'granted') {
      new Notification('sswbot: someone is waiting for a person', { body: n + ' waiting', tag: 'sswbot-handoff' });
    }
    waiting = n;
  }
  setWaiting(waiting);

  // refresh fetches the page again and swaps the parts marked
  // data-refresh, keeping what staff are typing. Changes arriving while a
  // fetch runs cause one more fetch, not one each.
  var timer = null, busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok || r.redirected) { location.reload(); return null; }
      return r.text();
    }).then(function (html) {
      if (html === null) return;
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var parts = document.querySelectorAll('[data-refresh]');
      for (var i = 0; i < parts.length; i++) {
        var el = parts[i], fresh = doc.getElementById(el.id);
        if (!fresh || el.contains(document.activeElement)) continue;
        var kept = {};
        el.querySelectorAll('textarea[id], input[id]:not([type=hidden])').forEach(function (f) { kept[f.id] = f.value; });
        el.innerHTML = fresh.innerHTML;
        Object.keys(kept).forEach(function (id) {
          var f = document.getElementById(id);
          if (f && kept[id]) f.value = kept[id];
        });
      }
    }).catch(function () {}).then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  function schedule() {
    if (!timer) timer = setTimeout(function () { timer = null; refresh(); }, 100);
  }

  var live = document.getElementById('live');
  var es = new EventSource(url);
  es.addEventListener('open', function () { if (live) live.hidden = false; });
  es.addEventListener('error', function () { if (live) live.hidden = true; });
  es.addEventListener('hello', function (e) { setWaiting(JSON.parse(e.data).waiting); });
  es.addEventListener('change', function (e) {
    var d = JSON.parse(e.data);
    setWaiting(d.waiting);
    if (page === 'list' || page === 'handoff' || (page === 'conversation' && d.c === conv)) schedule();
  });
})();
