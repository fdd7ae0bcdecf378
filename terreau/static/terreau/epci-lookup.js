// EPCI suggestions as one types (the diagnosis form, terreau/alliances/territory_fields.py): the input names
// its own <datalist>, filled from alliances:epci_lookup; a polite status line says how many are proposed.
// Without JavaScript the field still accepts a name or a SIREN. Runs once per page.
(function () {
  "use strict";
  if (window.terreauEpciLookup) { return; }
  window.terreauEpciLookup = true;

  function attach(input) {
    const url = input.dataset.epciLookupUrl;
    const listId = input.getAttribute("list");
    const list = document.getElementById(listId);
    if (!url || !list) { return; }
    const status = document.querySelector('[data-epci-status="' + listId + '"]');
    let timer = null;
    let last = "";
    let labels = new Set();
    input.addEventListener("input", function () {
      const term = input.value.trim();
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
            results.forEach(function (e) {
              const option = document.createElement("option");
              option.value = e.label;
              option.label = e.kind + " · SIREN " + e.code;
              list.appendChild(option);
              labels.add(e.label);
            });
            if (status) {
              let text = status.dataset.none;
              if (results.length === 1) { text = status.dataset.one; }
              if (results.length > 1) { text = (status.dataset.many || "").replace("{n}", String(results.length)); }
              status.textContent = text || "";
            }
          })
          .catch(function () { /* the typed value is still accepted by the server */ });
      }, 250);
    });
  }

  function attachAll() {
    document.querySelectorAll("input[data-epci-lookup-url][list]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
})();
