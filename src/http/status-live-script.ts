/**
 * The status pages' one script, inline and allowed by the response's CSP
 * nonce. It polls the page's own JSON view (same path, `?format=json`, same
 * origin and credentials: `connect-src 'self'`) every refresh interval and
 * patches the page in place from the HTML parts that view carries — rendered
 * by the same server functions as the page, so the script formats nothing.
 * Parts equal to what is shown (isEqualNode) stay untouched, so focus and
 * hover survive; rows are matched by `data-probe`, so a changed order moves
 * rows. A failed poll says "updates paused: …" in a live region and the
 * next interval tries again. While the tab is hidden it does not poll.
 *
 * Plain ES2017 in a string (not a TypeScript function's toString: tsx and
 * tsc would emit different helpers into it). With scripts off, the
 * `<noscript>` meta refresh in the head reloads the page instead; with them
 * on, that meta is inert text, so the page never reloads itself.
 */
const SCRIPT = `(function () {
  'use strict';
  var me = document.currentScript;
  var every = Number(me.getAttribute('data-refresh')) * 1000;
  var url = location.pathname + '?format=json';
  var note = document.getElementById('live-note');
  var timer;
  function key(el, i) { return el.getAttribute('data-probe') || el.id || el.tagName + '#' + i; }
  function patch(parent, html) {
    if (parent === null) return;
    var t = document.createElement('template');
    t.innerHTML = html;
    var fresh = Array.prototype.slice.call(t.content.children);
    var old = {};
    Array.prototype.forEach.call(parent.children, function (el, i) { old[key(el, i)] = el; });
    fresh.forEach(function (el, i) {
      var k = key(el, i), prev = old[k];
      delete old[k];
      var keep = prev !== undefined && prev.isEqualNode(el) ? prev : el;
      if (prev !== undefined && keep !== prev) prev.remove();
      if (parent.children[i] !== keep) parent.insertBefore(keep, parent.children[i] || null);
    });
    Object.keys(old).forEach(function (k) { old[k].remove(); });
  }
  function apply(view) {
    document.title = view.title;
    Object.keys(view.parts).forEach(function (id) { patch(document.getElementById(id), view.parts[id]); });
    if (view.probes !== undefined && view.probes.length !== undefined) {
      patch(document.getElementById('probes'), view.probes.map(function (p) { return p.html; }).join(''));
    }
    document.documentElement.setAttribute('data-updated', String(view.generatedAt));
  }
  function paused(why) {
    note.textContent = 'updates paused: ' + why + ' \\u2014 trying again every ' + every / 1000 + 's';
    note.hidden = false;
  }
  function schedule(ms) { clearTimeout(timer); timer = setTimeout(poll, ms); }
  function poll() {
    if (document.hidden) return;
    var abort = new AbortController();
    var deadline = setTimeout(function () { abort.abort(); }, Math.min(every, 5000));
    fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin', signal: abort.signal })
      .then(function (response) {
        if (!response.ok) throw new Error('the service answered HTTP ' + response.status);
        return response.json();
      })
      .then(function (view) { apply(view); note.hidden = true; })
      .catch(function (error) { paused(error.name === 'AbortError' ? 'no answer within 5s' : error.message === 'Failed to fetch' ? 'the service is not reachable' : error.message); })
      .then(function () { clearTimeout(deadline); schedule(every); });
  }
  document.addEventListener('visibilitychange', function () { if (!document.hidden) schedule(0); });
  document.documentElement.setAttribute('data-live', 'on');
  schedule(every);
})();`;

/** The `<script>` element for a page; `nonce` is the one the response's CSP names. */
export function liveScript(nonce: string, refreshSeconds: number): string {
  return `<script nonce="${nonce}" data-refresh="${refreshSeconds}">${SCRIPT}</script>`;
}
