// Answering a questionnaire one question per screen (terreau/templates/evaluation/answer_question.html).
// Without this script each « Suivant » is a plain form post. With it the answer is posted with fetch; when the
// connection is lost the answer is kept on the device (localStorage, by response token), a message says so,
// and it is sent again when the connection comes back (the `online` event, or every few seconds), then the
// page moves on. Answers kept from an earlier visit are sent first when the page opens.
(function () {
  "use strict";
  var form = document.querySelector("form[data-answer-form]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var token = form.getAttribute("data-token");
  var key = "terreau-evaluation-pending-" + token;
  var statusBox = document.getElementById("answer-status");
  var errorBox = document.getElementById("answer-error");
  var LOST = "Connexion perdue\u00a0: vos réponses sont gardées sur cet appareil et seront envoyées dès le retour de la connexion.";
  var BACK = "Connexion rétablie\u00a0: vos réponses sont envoyées.";
  var timer = null;
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function store(list) {
    try {
      if (list.length) { window.localStorage.setItem(key, JSON.stringify(list)); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* private browsing: the answers stay in memory for this page */ }
  }
  var memory = load();

  function say(text) { if (statusBox) { statusBox.textContent = text; } }

  function post(entry) {
    var body = new URLSearchParams();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": entry.csrf }
    }).then(function (res) {
      return res.json().then(
        function (data) { return { status: res.status, data: data }; },
        function () { return { status: res.status, data: { next: res.url } }; }
      );
    });
  }

  // Sends the kept answers in order; resolves with the server's last answer (its next page), rejects offline.
  function flush() {
    if (!memory.length) { return Promise.resolve(null); }
    var entry = memory[0];
    return post(entry).then(function (result) {
      // A server in trouble (5xx, a proxy's 502) or a refused token (403: the session changed) has not taken
      // the answer: it stays on the device and is sent again, as when the connection is lost.
      if (result.status >= 500 || result.status === 403) { throw new Error("not taken"); }
      memory.shift();
      store(memory);
      if (result.status >= 400) { return result; }
      return memory.length ? flush() : result;
    });
  }

  function retryLater() {
    if (timer === null) { timer = window.setInterval(attempt, 4000); }
  }

  function attempt() {
    if (sending || !memory.length) { return; }
    sending = true;
    flush().then(function (result) {
      sending = false;
      if (timer !== null) { window.clearInterval(timer); timer = null; }
      if (!result) { return; }
      if (result.status >= 400 && result.data && result.data.error) {
        say("");
        if (errorBox) { errorBox.textContent = result.data.error; }
        return;
      }
      if (result.data && result.data.next) {
        say(BACK);
        window.location.assign(result.data.next);
      }
    }, function () {
      sending = false;
      say(LOST);
      retryLater();
    });
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var data = new FormData(form);
    var fields = [];
    data.forEach(function (value, name) { fields.push([name, String(value)]); });
    if (submitter && submitter.name) { fields.push([submitter.name, submitter.value]); }
    event.preventDefault();
    if (errorBox) { errorBox.textContent = ""; }
    var csrf = (form.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
    memory.push({ fields: fields, csrf: csrf });
    store(memory);
    attempt();
  });

  window.addEventListener("online", attempt);
  if (memory.length) { say(LOST); attempt(); }
}());
