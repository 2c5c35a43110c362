// The supervisor dashboard: sortable tables and the charts (Chart.js, vendored). Without this
// script the page still shows every number in its tables.
(function () {
  "use strict";

  // --- sortable tables: a button in each header; a cell's value is its data-sort, else its text ----
  function sortValue(cell, numeric) {
    if (!cell) return null;
    const value = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    if (value === "" || value === undefined) return null; // nothing to measure: always last
    return numeric ? parseFloat(value) : value;
  }

  function sortBy(table, index, numeric, button) {
    const ascending = button.getAttribute("aria-sort") !== "ascending";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).filter((row) => row.cells.length > index);
    rows.sort((a, b) => {
      const x = sortValue(a.cells[index], numeric);
      const y = sortValue(b.cells[index], numeric);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      const order = numeric ? x - y : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
    table.querySelectorAll("thead th").forEach((th) => th.removeAttribute("aria-sort"));
    button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
    button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table[data-sortable]").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm p-0 text-reset fw-semibold text-decoration-none dashboard-sort";
      button.textContent = th.textContent;
      button.setAttribute("data-testid", "sort-" + th.dataset.key);
      button.addEventListener("click", () => sortBy(table, index, th.hasAttribute("data-numeric"), button));
      th.textContent = "";
      th.appendChild(button);
    });
  });

  // --- charts ----------------------------------------------------------------------------------
  const data = document.getElementById("dashboard-charts");
  if (!data || typeof Chart === "undefined") return;
  const charts = JSON.parse(data.textContent);
  const options = {
    trend: { type: "line" },
    aging: { type: "bar" },
    coverage: { type: "bar", scales: { y: { beginAtZero: true, max: 100 } } },
    concerns: { type: "bar", scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  };
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const name = canvas.dataset.chart;
    const chart = charts[name];
    if (!chart) return;
    new Chart(canvas, {
      type: options[name].type,
      data: { labels: chart.labels, datasets: chart.series },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: options[name].scales || { y: { beginAtZero: true } },
        plugins: { legend: { display: chart.series.length > 1 } },
      },
    });
  });
})();
