// A print button for printable pages (inline handlers are avoided).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
