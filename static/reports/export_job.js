// The progress of a background export: polls its status until it is done or has failed.
(function () {
  "use strict";
  const box = document.querySelector("[data-export-job]");
  if (!box) return;
  const bar = box.querySelector("[data-job-progress]");
  const fill = bar.querySelector(".progress-bar");

  function show(job) {
    box.querySelector("[data-job-status]").textContent = job.status_label;
    box.querySelector("[data-job-rows]").textContent = job.rows_done;
    bar.setAttribute("aria-valuenow", job.percent);
    fill.style.width = job.percent + "%";
    fill.textContent = job.percent + "%";
    const finished = job.status === "done" || job.status === "failed";
    box.querySelector("[data-job-download]").hidden = job.status !== "done";
    box.querySelector("[data-job-failed]").hidden = job.status !== "failed";
    box.querySelector("[data-job-waiting]").hidden = finished;
    return finished;
  }

  function poll() {
    fetch(box.dataset.exportJob, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((job) => {
        if (!show(job)) setTimeout(poll, 1500);
      })
      .catch(() => setTimeout(poll, 5000));
  }
  poll();
})();
