// Click a column heading of a table.sortable to sort by it; click again to reverse.
document.addEventListener("click", (event) => {
  const th = event.target.closest("table.sortable thead th");
  if (!th) return;
  const table = th.closest("table");
  const body = table.tBodies[0];
  const index = Array.from(th.parentNode.children).indexOf(th);
  const ascending = th.dataset.order !== "asc";
  table.querySelectorAll("thead th").forEach((h) => delete h.dataset.order);
  th.dataset.order = ascending ? "asc" : "desc";
  const value = (row) => {
    const text = row.children[index] ? row.children[index].innerText.trim() : "";
    const number = parseFloat(text.replace(/[^0-9.\-]/g, ""));
    return /^[-#]?[0-9]/.test(text) && !Number.isNaN(number) ? number : text.toLowerCase();
  };
  const rows = Array.from(body.rows).filter((row) => !row.querySelector(".empty"));
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
  });
  rows.forEach((row) => body.appendChild(row));
});
