// Behaviour for the staff pages, kept out of the templates: the Content-Security-Policy allows no
// inline script. Each behaviour hangs off a data attribute or class, so templates stay declarative.
(function () {
  "use strict";

  // <form data-confirm="Delete …?">: asks before submitting.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // <select data-autosubmit>: submits its form as soon as a choice is made.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // The role matrix: a row's "all" box ticks or clears every box of the row, and follows them.
  document.querySelectorAll("#matrix-form tr[data-resource]").forEach(function (row) {
    var all = row.querySelector(".select-row");
    if (!all) return;
    var boxes = row.querySelectorAll("input[name=permission]:not([disabled])");
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = Array.prototype.every.call(boxes, function (b) { return b.checked; });
      });
    });
  });
})();
