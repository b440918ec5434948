// Small behaviours for server-rendered pages; everything works without them, only less smoothly.
(function () {
  "use strict";

  function updateSelectedCount() {
    const counter = document.querySelector("[data-selected-count]");
    if (!counter) return;
    const ticked = document.querySelectorAll('input[name="selected"]:checked').length;
    if (!counter.dataset.idle) counter.dataset.idle = counter.textContent;
    counter.textContent = ticked ? counter.dataset.template.replace("%s", ticked) : counter.dataset.idle;
    // The Export menu offers the ticked rows first once there are any.
    const exportTicked = document.querySelector("[data-needs-selection]");
    if (exportTicked && ticked) exportTicked.checked = true;
  }

  // The quick-info panel beside the customer list follows the ticked rows.
  function updateQuickPanel() {
    const panel = document.getElementById("quick-panel");
    if (!panel || !window.htmx || !window.bootstrap) return;
    const ids = Array.from(document.querySelectorAll('input[name="selected"]:checked')).map(function (box) {
      return "selected=" + encodeURIComponent(box.value);
    });
    const offcanvas = window.bootstrap.Offcanvas.getOrCreateInstance(panel);
    if (!ids.length) {
      offcanvas.hide();
      return;
    }
    window.htmx.ajax("GET", panel.dataset.url + "?" + ids.join("&"), { target: "#quick-panel-body", swap: "innerHTML" });
    offcanvas.show();
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    // A filter form reloads the list when one of its criteria changes, except for the controls
    // that send their requests themselves: search boxes (as one types) and [data-own-trigger]
    // ("add a criterion"). An htmx trigger filter could tell them apart only by evaluating
    // JavaScript, which the CSP forbids.
    const filterForm = target.form && target.form.closest("[data-filter-form]");
    if (filterForm && window.htmx && !target.matches('input[type="search"], [data-own-trigger]')) {
      window.htmx.trigger(filterForm, "filters-changed");
    }
    if (target.matches("select[data-template-for]") && target.value) {
      // A saved template fills the text (and the email subject); "input" lets the page count it.
      const option = target.selectedOptions[0];
      const text = document.querySelector(target.dataset.templateFor);
      const subject = target.dataset.templateSubject && document.querySelector(target.dataset.templateSubject);
      if (text) {
        text.value = option.dataset.text;
        text.dispatchEvent(new Event("input", { bubbles: true }));
      }
      if (subject && option.dataset.subject) subject.value = option.dataset.subject;
    }
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="selected"]').forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches('input[name="selected"], [data-select-all]')) {
      updateSelectedCount();
      updateQuickPanel();
    }
  });

  document.addEventListener("submit", function (event) {
    // Enter in a filter form: Chromium sends "change" and then "submit"; both become one
    // "filters-changed" (the form's trigger has a short delay that merges them). Enter in a
    // control that sends its own request (the customer search box) stays with that request.
    if (event.target.matches("[data-filter-form]") && window.htmx) {
      event.preventDefault();
      const active = document.activeElement;
      if (!(active && event.target.contains(active) && active.matches("[data-own-trigger]"))) {
        window.htmx.trigger(event.target, "filters-changed");
      }
      return;
    }
    if (event.target.matches("[data-column-chooser]")) {
      // htmx has changed the address since the page loaded: come back to the list as it is now.
      event.target.querySelector('input[name="next"]').value = window.location.pathname + window.location.search;
    }
    const all = event.target.querySelector("input[name=all_matching]:checked");
    const exporting = event.submitter && event.submitter.hasAttribute("formaction");
    if (all && !exporting && !window.confirm(all.dataset.confirm)) event.preventDefault();
    if (event.target.matches("form[data-confirm]") && !window.confirm(event.target.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const add = event.target.closest("[data-add-item]");
    if (add) {
      const box = add.closest(".multiple-input");
      const items = box.querySelector(".multiple-input-items");
      const count = items.querySelectorAll(".multiple-input-item").length;
      if (count >= Number(box.dataset.max)) return;
      const copy = items.querySelector(".multiple-input-item").cloneNode(true);
      const input = copy.querySelector("input");
      input.value = "";
      input.removeAttribute("id");
      items.appendChild(copy);
      input.focus();
      add.hidden = count + 1 >= Number(box.dataset.max);
    }
    const move = event.target.closest("[data-move]");
    if (move) {
      const item = move.closest("[data-column]");
      const sibling = move.dataset.move === "up" ? item.previousElementSibling : item.nextElementSibling;
      if (sibling) {
        item.parentNode.insertBefore(item, move.dataset.move === "up" ? sibling : sibling.nextElementSibling);
      }
      move.focus();
    }
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const field = document.querySelector(copy.dataset.copy);
      field.select();
      (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject()).catch(function () {
        document.execCommand("copy");
      });
      copy.textContent = copy.dataset.copied;
    }
    const remove = event.target.closest("[data-remove-item]");
    if (remove) {
      const box = remove.closest(".multiple-input");
      const items = box.querySelectorAll(".multiple-input-item");
      if (items.length > 1) remove.closest(".multiple-input-item").remove();
      else items[0].querySelector("input").value = "";
      box.querySelector("[data-add-item]").hidden = false;
    }
  });

  document.addEventListener("htmx:afterSwap", updateSelectedCount);
})();
