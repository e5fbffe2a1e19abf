// The credentials page: mints through the JSON endpoint and shows the token
// once.  Without this script the same form posts and the server answers
// with the page and the token.
(function () {
  'use strict';

  var app = document.getElementById('app');
  var form = document.getElementById('mint-form');
  if (!app || !form) return;

  var tokenUrl = app.getAttribute('data-token-url');
  var mcpUrl = app.getAttribute('data-mcp-url');
  var maxSeconds = Number(app.getAttribute('data-max-seconds'));
  var button = document.getElementById('generate');
  var status = document.getElementById('status');
  var dateInput = document.getElementById('date');
  var custom = document.getElementById('lifetime-custom');
  var result = document.getElementById('result');
  var errors = {
    lifetime: document.getElementById('lifetime-error'),
    authorities: document.getElementById('authorities-error')
  };

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function localDate(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
  }

  // "+01:00" for the offset the browser's zone has at that instant.
  function offsetOf(d) {
    var minutes = -d.getTimezoneOffset();
    var sign = minutes < 0 ? '-' : '+';
    minutes = Math.abs(minutes);
    return sign + pad(Math.floor(minutes / 60)) + ':' + pad(minutes % 60);
  }

  function endOfDay(value) {
    var p = value.split('-');
    return new Date(Number(p[0]), Number(p[1]) - 1, Number(p[2]), 23, 59, 59);
  }

  // Tomorrow, up to the last day whose end is within the maximum.
  function dateBounds() {
    var now = new Date();
    var tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    var limit = new Date(now.getTime() + maxSeconds * 1000);
    var last = new Date(limit.getFullYear(), limit.getMonth(), limit.getDate(), 23, 59, 59);
    if (last.getTime() > limit.getTime()) last.setDate(last.getDate() - 1);
    return { min: localDate(tomorrow), max: localDate(last) };
  }

  function syncCustom() {
    dateInput.disabled = !custom.checked;
    dateInput.required = custom.checked;
  }

  function clearErrors() {
    errors.lifetime.textContent = '';
    errors.authorities.textContent = '';
  }

  function showError(field, message) {
    (errors[field] || errors.lifetime).textContent = message;
    status.textContent = 'The token was not generated.';
  }

  function checkedValues(name) {
    var out = [];
    var boxes = form.querySelectorAll('input[name="' + name + '"]');
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) out.push(boxes[i].value);
    return out;
  }

  function requestBody() {
    var choice = form.querySelector('input[name="lifetime"]:checked');
    var body = {};
    if (!choice) return { error: 'Choose when the token expires.' };
    if (choice.value === 'custom') {
      var bounds = dateBounds();
      if (!dateInput.value) return { error: 'Choose a date.' };
      if (dateInput.value < bounds.min || dateInput.value > bounds.max)
        return { error: 'Choose a date from ' + bounds.min + ' to ' + bounds.max + '.' };
      var end = endOfDay(dateInput.value);
      body.expiresAt = dateInput.value + 'T23:59:59' + offsetOf(end);
    } else {
      body.expiresIn = choice.value;
    }
    if (form.querySelector('input[name="roles_shown"]'))
      body.authorities = checkedValues('authorities');
    return { body: body };
  }

  function shellQuote(s) { return "'" + s.replace(/'/g, "'\\''") + "'"; }

  function isSse(url) { return /\/sse\/?(?:[?#].*)?$/.test(url); }

  // No space in any argument: Claude Desktop on Windows passes them to npx
  // unquoted.  mcp-remote expands ${AUTH_HEADER} from env.
  function configs(token) {
    var sse = isSse(mcpUrl);
    var claude = { mcpServers: { atoti: {
      command: 'npx',
      args: ['-y', 'mcp-remote', mcpUrl, '--transport', sse ? 'sse-only' : 'http-only',
             '--header', 'Authorization:${AUTH_HEADER}'],
      env: { AUTH_HEADER: 'Bearer ' + token }
    } } };
    var http = { mcpServers: { atoti: {
      type: sse ? 'sse' : 'http', url: mcpUrl, headers: { Authorization: 'Bearer ' + token }
    } } };
    var init = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",' +
      '"capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}';
    var curl = 'curl -sS -H ' + shellQuote('Authorization: Bearer ' + token) +
      " -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' --data " +
      shellQuote(init) + ' ' + shellQuote(mcpUrl);
    return {
      claude: JSON.stringify(claude, null, '\t'),
      http: JSON.stringify(http, null, '\t'),
      curl: curl
    };
  }

  function showExpiry(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return;
    document.getElementById('expires-local').textContent =
      d.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'long' });
    document.getElementById('expires-utc').textContent = iso.replace('T', ' ').replace('Z', ' UTC');
  }

  function showResult(answer) {
    var cfg = configs(answer.token);
    document.getElementById('token').value = answer.token;
    document.getElementById('jti').textContent = answer.jti;
    document.getElementById('cfg-claude').textContent = cfg.claude;
    document.getElementById('cfg-http').textContent = cfg.http;
    document.getElementById('cfg-curl').textContent = cfg.curl;
    showExpiry(answer.expiresAt);
    var marks = result.querySelectorAll('.copied');
    for (var i = 0; i < marks.length; i++) marks[i].textContent = '';
    result.hidden = false;
    result.focus();
    status.textContent = 'Token generated. Copy it now: it is shown once.';
  }

  function fieldOf(code) {
    return code === 'invalid_authorities' ? 'authorities' : 'lifetime';
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearErrors();
    var built = requestBody();
    if (built.error) { showError('lifetime', built.error); return; }
    button.disabled = true;
    button.textContent = 'Generating…';
    status.textContent = 'Generating token…';
    fetch(tokenUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(built.body)
    }).then(function (response) {
      // A sign-in that has ended: form login redirects to its login page,
      // Basic answers 401.
      if (response.redirected || response.status === 401) {
        showError('lifetime', 'You are no longer signed in. Reload the page to sign in again.');
        return;
      }
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok && answer.token) { showResult(answer); return; }
        showError(fieldOf(answer.error), answer.message || (response.ok
          ? 'The server sent an unexpected answer. Reload the page and try again.'
          : 'The server could not make a token (HTTP ' + response.status + '). Try again later.'));
      });
    }).catch(function () {
      showError('lifetime', 'The server could not be reached. Try again.');
    }).then(function () {
      button.disabled = false;
      button.textContent = 'Generate token';
    });
  });

  function copyText(id) {
    var el = document.getElementById(id);
    var text = el.value !== undefined ? el.value : el.textContent;
    if (navigator.clipboard && window.isSecureContext)
      return navigator.clipboard.writeText(text);
    // Older or non-secure contexts: select the text and copy it, in a
    // helper that keeps tabs and newlines and does not scroll the page;
    // the focus then goes back to the Copy button.
    var area = el;
    var active = document.activeElement;
    var ok = false;
    if (el.tagName !== 'TEXTAREA') {
      area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.setAttribute('aria-hidden', 'true');
      area.tabIndex = -1;
      area.className = 'copy-helper';
      document.body.appendChild(area);
    }
    area.select();
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    if (area !== el) document.body.removeChild(area);
    if (active && active.focus) active.focus();
    return ok ? Promise.resolve() : Promise.reject(new Error('copy refused'));
  }

  result.addEventListener('click', function (event) {
    var target = event.target;
    if (!target.classList || !target.classList.contains('copy')) return;
    var mark = target.parentNode.querySelector('.copied');
    copyText(target.getAttribute('data-copy')).then(function () {
      mark.textContent = 'Copied.';
    }, function () {
      mark.textContent = 'Copy failed: select the text and copy it by hand.';
    });
  });

  var radios = form.querySelectorAll('input[name="lifetime"]');
  for (var i = 0; i < radios.length; i++) radios[i].addEventListener('change', syncCustom);
  var bounds = dateBounds();
  dateInput.min = bounds.min;
  dateInput.max = bounds.max;
  document.getElementById('tz').value = offsetOf(new Date());
  syncCustom();
  if (!result.hidden) showExpiry(document.getElementById('expires-utc').textContent);
})();
