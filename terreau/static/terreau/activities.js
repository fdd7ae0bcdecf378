// Session report (tablet): show the cancellation reason only when the session did not take place.
(function () {
  "use strict";
  function sync(form) {
    var checked = form.querySelector('input[name="held"]:checked');
    form.classList.toggle("is-cancelled", !!checked && checked.value === "0");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.tablet-form").forEach(function (form) {
      sync(form);
      form.addEventListener("change", function () { sync(form); });
    });
  });
})();
