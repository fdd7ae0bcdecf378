// Commune suggestions as one types: every CommuneField input (terreau/territories/forms.py) names its own
// <datalist>, filled here from territories:commune_lookup; a polite status line says how many communes are
// proposed. Without JavaScript the field still accepts a name, a postal code or an INSEE code.
// The widget includes this script once per field: it runs once per page.
(function () {
  "use strict";
  if (window.terreauCommuneLookup) { return; }
  window.terreauCommuneLookup = true;

  function announce(status, count) {
    if (!status) { return; }
    let text = status.dataset.none;
    if (count === 1) { text = status.dataset.one; }
    if (count > 1) { text = (status.dataset.many || "").replace("{n}", String(count)); }
    status.textContent = text || "";
  }

  function attach(input) {
    if (input.dataset.communeLookupReady) { return; }
    input.dataset.communeLookupReady = "1";
    const url = input.dataset.lookupUrl;
    const listId = input.getAttribute("list");
    const list = document.getElementById(listId);
    if (!url || !list) { return; }
    const status = document.querySelector('[data-commune-status="' + listId + '"]');
    let timer = null;
    let last = "";
    let labels = new Set();
    input.addEventListener("input", function () {
      const term = input.value.trim();
      // A suggestion just chosen, or too little typed: nothing to fetch.
      if (term.length < 2 || term === last || labels.has(term)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = term;
        fetch(url + "?q=" + encodeURIComponent(term), { headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            const results = data.results || [];
            list.replaceChildren();
            labels = new Set();
            results.forEach(function (c) {
              const option = document.createElement("option");
              option.value = c.label;
              // Shown beside the name, and matched by the browser: typing a postal or INSEE code keeps it.
              const details = [c.department_name].concat(c.postal_codes || []);
              details.push("INSEE " + c.code);
              option.label = details.join(" · ");
              list.appendChild(option);
              labels.add(c.label);
            });
            announce(status, results.length);
          })
          .catch(function () { /* the typed value is still accepted by the server */ });
      }, 250);
    });
  }

  function attachAll() {
    document.querySelectorAll("input[data-lookup-url][list]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
})();
