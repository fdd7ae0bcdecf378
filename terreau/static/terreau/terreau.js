// Small progressive enhancements; every page works without JavaScript.
document.documentElement.classList.add("has-js");

document.addEventListener("htmx:responseError", function (event) {
  const target = document.getElementById("htmx-error");
  if (target) { target.textContent = "Le serveur n'a pas pu répondre. Réessayez dans un instant."; }
});

// Main menu: below 1200 px it folds behind a disclosure button (aria-expanded); Escape folds it back.
document.addEventListener("DOMContentLoaded", function () {
  const toggle = document.querySelector(".menu-toggle");
  const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) { return; }
  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  toggle.addEventListener("click", function () { setOpen(toggle.getAttribute("aria-expanded") !== "true"); });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); toggle.focus(); }
  });
});

// Multiple choices: every <select multiple> (a Django SelectMultiple, e.g. an event's themes, organisers and
// partnerships) becomes a searchable list of removable choices (Tom Select, loaded only on pages that have one;
// data-multiselect="off" keeps the plain list box). Without JavaScript the plain list box stays.
document.addEventListener("DOMContentLoaded", function () {
  const selects = document.querySelectorAll('select[multiple]:not([data-multiselect="off"])');
  const src = document.body.dataset.tomSelect;
  if (!selects.length || !src) { return; }
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = document.body.dataset.tomSelectCss;
  document.head.insertBefore(css, document.head.querySelector('link[href*="terreau.css"]'));
  const script = document.createElement("script");
  script.src = src;
  script.onload = function () {
    selects.forEach(function (select) {
      // Tom Select points the field's label at its own search box: the original list (kept, hidden, for the
      // form) keeps its name through aria-label.
      const label = select.id && document.querySelector('label[for="' + select.id + '"]');
      if (label && !select.hasAttribute("aria-label")) {
        select.setAttribute("aria-label", label.textContent.replace("*", "").trim());
      }
      const control = new TomSelect(select, {
        plugins: { remove_button: { title: "Retirer ce choix" } },
        maxOptions: null,
        hidePlaceholder: true,
        placeholder: select.dataset.placeholder || "Tapez pour chercher…",
        render: {
          no_results: function () { return '<div class="no-results">Aucun résultat</div>'; },
        },
      });
      select.dispatchEvent(new CustomEvent("terreau:multiselect", { detail: control }));
    });
  };
  document.head.appendChild(script);
});
