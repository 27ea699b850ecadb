// Sortable tables (the 周通报 ranking): a click on a column heading of a table.kcbx-sortable
// sorts its rows; a second click reverses. Numbers and percentages sort as numbers, other
// text in Chinese order; blanks and "—" always go last. The first click puts the most
// urgent first: largest first, except the columns named in data-ascending-first (入学率).
// Without script (print, JupyterLab) the table keeps the order it was written in.
(function () {
  "use strict";
  function cellKey(cell) {
    var text = cell ? cell.textContent.trim() : "";
    if (text === "" || text === "\u2014") { return null; }
    var number = Number(text.replace(/[%,\s]/g, ""));
    return isNaN(number) ? text : number;
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a).localeCompare(String(b), "zh");
  }
  function sortBy(table, column, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: cellKey(row.cells[column]), position: position };
    });
    rows.sort(function (x, y) {
      if (x.key === null || y.key === null) {
        return (x.key === null) - (y.key === null) || x.position - y.position;
      }
      var order = compare(x.key, y.key);
      return (descending ? -order : order) || x.position - y.position;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.kcbx-sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    var ascendingFirst = (table.getAttribute("data-ascending-first") || "").split("|");
    var headings = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(headings, function (heading, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kcbx-sort";
      while (heading.firstChild) { button.appendChild(heading.firstChild); }
      heading.appendChild(button);
      button.addEventListener("click", function () {
        var current = heading.getAttribute("aria-sort");
        var descending = current ? current === "ascending"
          : ascendingFirst.indexOf(button.textContent.trim()) < 0;
        Array.prototype.forEach.call(headings, function (other) { other.removeAttribute("aria-sort"); });
        heading.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortBy(table, column, descending);
      });
    });
  });
})();
