/* Fold Datasette's list of column descriptions (shown above the table, which it pushes below
   the fold) into a closed <details>, and repeat each description as its header's tooltip. */
(function () {
  "use strict";
  var list = document.querySelector("dl.column-descriptions");
  if (list) {
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    details.className = "dedup-columns";
    summary.textContent = "What the " + list.querySelectorAll("dt").length + " columns mean";
    list.parentNode.insertBefore(details, list);
    details.appendChild(summary);
    details.appendChild(list);
  }
  Array.prototype.forEach.call(document.querySelectorAll("th[data-column-description]"), function (th) {
    th.title = th.getAttribute("data-column-description");
  });
}());
