// The observer's visit form.
(function () {
  // Bring the observer to the list of what needs correcting on a long form.
  var errors = document.getElementById("form-errors");
  if (errors) { errors.focus(); }
  // A second tap while the first is on its way would only be answered with the same visit;
  // disabling the button spares the observer the wait.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
})();
