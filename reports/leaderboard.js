(function () {
  "use strict";
  function activate(tab) {
    var list = tab.closest('[role="tablist"]');
    list.querySelectorAll('[role="tab"]').forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.tabIndex = on ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    });
  }
  document.querySelectorAll('[role="tablist"]').forEach(function (list) {
    var tabs = list.querySelectorAll('[role="tab"]');
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { activate(tab); });
    });
    if (tabs.length) { activate(tabs[0]); }
  });
  function key(row, index) {
    var cell = row.cells[index];
    var value = cell ? cell.getAttribute("data-v") : null;
    return value === null || value === "" ? null : value;
  }
  function sortBy(table, head, index) {
    var numeric = head.getAttribute("data-type") !== "text";
    var current = head.getAttribute("aria-sort");
    var descending = current ? current === "ascending" : head.getAttribute("data-hib") === "1";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
    head.setAttribute("aria-sort", descending ? "descending" : "ascending");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, index), y = key(b, index);
        if (x === null || y === null) { return (x === null) - (y === null); }
        var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, index) {
      var button = head.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, head, index); }); }
    });
  });
})();
