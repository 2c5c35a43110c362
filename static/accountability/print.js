// Print buttons of the printable documents (reports, notices, archives); no inline handlers.
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
