// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:responseError", function (event) {
  const target = document.getElementById("htmx-error");
  if (target) { target.textContent = "Le serveur n'a pas pu répondre. Réessayez dans un instant."; }
});
