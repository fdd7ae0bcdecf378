// Commune autocomplete: fills the input's <datalist> from territories:commune_lookup as one types.
// Without JavaScript the field still accepts a name, a postal code or an INSEE code.
(function () {
  "use strict";
  function attach(input) {
    const url = input.dataset.lookupUrl;
    const list = document.getElementById(input.getAttribute("list"));
    if (!url || !list) { return; }
    let timer = null;
    let last = "";
    input.addEventListener("input", function () {
      const term = input.value.trim();
      if (term.length < 2 || term === last || /^\d[\dAB]\d{3} — /i.test(term)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = term;
        fetch(url + "?q=" + encodeURIComponent(term), { headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren();
            (data.results || []).forEach(function (c) {
              const option = document.createElement("option");
              option.value = c.code + " — " + c.name + " (" + c.department + ")";
              list.appendChild(option);
            });
          })
          .catch(function () { /* the typed value is still accepted by the server */ });
      }, 250);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-lookup-url][list]").forEach(attach);
  });
})();
