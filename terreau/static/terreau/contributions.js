// Recording a contribution: show only the valuation inputs the chosen kind uses (progressive disclosure; without
// script every input shows with its help text).
(function () {
  "use strict";
  function update(form) {
    var select = form.querySelector("select[name=kind]");
    if (!select) return;
    var kind = select.value;
    form.querySelectorAll(".kind-field[data-kinds]").forEach(function (block) {
      var kinds = block.getAttribute("data-kinds").split(" ");
      block.hidden = kind !== "" && kinds.indexOf(kind) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.contribution-form").forEach(function (form) {
      update(form);
      form.addEventListener("change", function (event) {
        if (event.target && event.target.name === "kind") update(form);
      });
    });
  });
})();
