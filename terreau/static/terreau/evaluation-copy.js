// Copy buttons of the evaluation page: [data-copy="<id of a read-only input>"] copies its value to the
// clipboard and says so in the nearest [role=status]. The buttons stay hidden without JavaScript (the input
// is still selectable by hand).
(function () {
  "use strict";
  function announce(button, text) {
    var section = button.closest("section");
    var status = (section && section.querySelector("[role=status]")) || document.querySelector(".copy-status");
    if (status) { status.textContent = text; }
  }
  function init() {
    if (!navigator.clipboard) { return; }
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) { return; }
        navigator.clipboard.writeText(source.value).then(
          function () { announce(button, "Lien copié dans le presse-papiers."); },
          function () { source.select(); announce(button, "Copie impossible : le lien est sélectionné, copiez-le avec Ctrl+C."); }
        );
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
