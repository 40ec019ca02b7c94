// Behaviour for the shell and the staff pages, kept out of the templates: the Content-Security-Policy
// allows no inline script. Each behaviour hangs off a data attribute or class, so templates stay
// declarative.
(function () {
  "use strict";

  // Staff tables scroll inside their own box on narrow screens instead of widening the page.
  document.querySelectorAll(".staff-page table.table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll")) return;
    var box = document.createElement("div");
    box.className = "table-scroll";
    // A region that scrolls must be reachable and named for keyboard and screen-reader users.
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    var caption = table.querySelector("caption") || document.querySelector("h1");
    box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });

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

  // Small screens: the admin hides its sidebar below 768px; the menu button in the header opens it as
  // a drawer over the page. Escape, a click outside or the button again closes it, and focus returns.
  var menuButton = document.querySelector(".shell-menu-button");
  var sidebar = document.getElementById("nav-sidebar");
  if (menuButton && sidebar) {
    var setOpen = function (open) {
      document.body.classList.toggle("shell-nav-open", open);
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var first = sidebar.querySelector("a[aria-current=page]") || sidebar.querySelector("a, input");
        if (first) first.focus();
      }
    };
    menuButton.addEventListener("click", function () {
      setOpen(!document.body.classList.contains("shell-nav-open"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && document.body.classList.contains("shell-nav-open")) {
        setOpen(false);
        menuButton.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!document.body.classList.contains("shell-nav-open")) return;
      if (sidebar.contains(event.target) || menuButton.contains(event.target)) return;
      setOpen(false);
    });
    // Back to a wide screen: the drawer's state no longer applies.
    window.matchMedia("(min-width: 768px)").addEventListener("change", function (query) {
      if (query.matches) setOpen(false);
    });
  }

  // The user menu (<details>): Escape or a click elsewhere closes it.
  document.querySelectorAll("details.shell-user-menu").forEach(function (menu) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
})();
