(function () {
  "use strict";
  var table = document.getElementById("clusters");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");

  function filter() {
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var hit = terms.every(function (term) { return text.indexOf(term) !== -1; });
      row.hidden = !hit;
      if (hit) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " shown";
    noMatch.hidden = count !== 0;
  }

  function sortBy(button) {
    var th = button.parentNode;
    var column = th.cellIndex;
    var numeric = button.getAttribute("data-type") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var keyed = rows.map(function (row, index) {
      var value = row.cells[column].getAttribute("data-sort");
      return { row: row, key: numeric ? parseFloat(value) : value, index: index };
    });
    keyed.sort(function (a, b) {
      var order = a.key < b.key ? -1 : (a.key > b.key ? 1 : 0);
      return (ascending ? order : -order) || a.index - b.index;
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
  }

  table.tHead.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-type]");
    if (button) { sortBy(button); }
  });
  search.addEventListener("input", filter);
  document.getElementById("search-box").hidden = false;
  filter();
}());
