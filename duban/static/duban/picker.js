/* The unit picker: a search over the unit tree, the chosen units shown as removable chips.

   Without scripts the page offers a plain <select multiple>; here that select is hidden and disabled,
   and each chip carries a hidden input of the same name, so the form posts the same field either way. */
(function () {
  "use strict";

  function chosenIds(picker) {
    return Array.prototype.map.call(picker.querySelectorAll("[data-chips] input[type=hidden]"),
      function (input) { return input.value; });
  }

  function say(picker, text) {
    var status = picker.querySelector("[data-picker-status]");
    if (status) status.textContent = text;
  }

  function markChosen(picker) {
    var ids = chosenIds(picker);
    picker.querySelectorAll("[data-picker-results] [data-unit-id]").forEach(function (button) {
      var taken = ids.indexOf(button.dataset.unitId) >= 0;
      button.disabled = taken;
      button.textContent = taken ? "已添加" : "添加";
    });
  }

  function addChip(picker, id, name) {
    if (chosenIds(picker).indexOf(String(id)) >= 0) return false;
    var li = document.createElement("li");
    li.className = "chip";
    var label = document.createElement("span");
    label.textContent = name;
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = picker.dataset.picker;
    input.value = id;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.setAttribute("aria-label", "移除 " + name);
    remove.textContent = "×";
    li.appendChild(label);
    li.appendChild(input);
    li.appendChild(remove);
    picker.querySelector("[data-chips]").appendChild(li);
    return true;
  }

  function setup(root) {
    root.querySelectorAll("[data-picker]").forEach(function (picker) {
      if (picker.dataset.ready) return;
      var select = picker.querySelector("select");
      var ui = picker.querySelector("[data-picker-ui]");
      var search = picker.querySelector("[data-picker-search]");
      if (!select || !ui || !search) return;
      picker.dataset.ready = "1";
      Array.prototype.forEach.call(select.selectedOptions, function (option) {
        addChip(picker, option.value, option.textContent.trim());
      });
      select.disabled = true;
      select.hidden = true;
      ui.hidden = false;
      var label = picker.querySelector("[data-picker-label]");
      if (label) label.htmlFor = search.id;
      var hint = picker.querySelector("[data-picker-nojs]");
      if (hint) hint.hidden = true;
      // Enter in the search box searches; it must not submit the task form half-filled.
      search.addEventListener("keydown", function (e) {
        if (e.key === "Enter") e.preventDefault();
      });
    });
  }

  document.addEventListener("click", function (e) {
    var add = e.target.closest("[data-picker] [data-unit-id]");
    if (add) {
      var picker = add.closest("[data-picker]");
      var name = add.dataset.unitName;
      if (addChip(picker, add.dataset.unitId, name)) say(picker, "已添加 " + name);
      markChosen(picker);
      return;
    }
    var remove = e.target.closest("[data-picker] .chip-remove");
    if (remove) {
      var holder = remove.closest("[data-picker]");
      var chip = remove.closest(".chip");
      var removed = chip.querySelector("span").textContent;
      chip.remove();
      say(holder, "已移除 " + removed);
      markChosen(holder);
      var search = holder.querySelector("[data-picker-search]");
      if (search) search.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  document.addEventListener("htmx:afterSettle", function (e) {
    setup(e.target);
    var picker = e.target.closest && e.target.closest("[data-picker]");
    if (picker) markChosen(picker);
  });
})();
