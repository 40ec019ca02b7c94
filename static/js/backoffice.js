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

  // Admin controls that Django renders without a name of their own, named after what a sighted user
  // reads beside them: an autocomplete's combobox (select2 names it by the current choice only, so an
  // empty one has no name), the date and the time halves of a date-time field (the field's <label>
  // points at neither), and an inline row's "Delete?" box (its name is the column heading).
  var labelId = function (label) {
    if (!label.id) label.id = "label-" + (label.htmlFor || Math.random().toString(36).slice(2));
    return label.id;
  };
  var plainText = function (text) { return text.replace(/\s+/g, " ").trim().replace(/[:：]$/, ""); };
  var nameAdminControls = function (root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      if (!label || !container) return;
      container.querySelectorAll("[role=combobox], textarea.select2-search__field").forEach(function (box) {
        var named = (box.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean);
        if (named.indexOf(labelId(label)) === -1) box.setAttribute("aria-labelledby", [label.id].concat(named).join(" "));
      });
      // The current choice inside the combobox is part of its name, not a second (read-only, nameless)
      // text box.
      container.querySelectorAll(".select2-selection__rendered[role=textbox]").forEach(function (rendered) {
        rendered.removeAttribute("role");
        rendered.removeAttribute("aria-readonly");
      });
    });
    root.querySelectorAll("p.datetime input").forEach(function (input) {
      if (input.hasAttribute("aria-label")) return;
      var field = input.closest(".flex-container, td");
      var label = field && field.querySelector("label");
      var part = input.previousSibling && input.previousSibling.nodeType === Node.TEXT_NODE
        ? plainText(input.previousSibling.textContent) : "";
      var name = [label ? plainText(label.textContent) : "", part].filter(Boolean).join(" — ");
      if (name) input.setAttribute("aria-label", name);
    });
    root.querySelectorAll("td.delete input[type=checkbox]").forEach(function (box) {
      if (box.hasAttribute("aria-label")) return;
      var cell = box.closest("td");
      var heading = cell.closest("table").querySelectorAll("thead th")[cell.cellIndex];
      var original = cell.parentElement.querySelector("td.original p");
      var name = [heading ? plainText(heading.textContent) : "", original ? plainText(original.textContent) : ""];
      box.setAttribute("aria-label", name.filter(Boolean).join(" "));
    });
  };
  // After the admin's own scripts have built their widgets: select2 starts in a jQuery ready handler,
  // which jQuery runs after DOMContentLoaded (sometimes even after "load"); a handler added here runs
  // after it. Pages without the admin's jQuery have no such widgets.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(function () { nameAdminControls(document); });
  } else {
    nameAdminControls(document);
  }
  document.addEventListener("formset:added", function (event) {
    window.setTimeout(function () { nameAdminControls(event.target); }, 0);
  });

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
