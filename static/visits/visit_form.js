// The visit form: add concerns, show each outcome's own fields, propose the due date the
// deadline policy allows, and add the location only when the cadre asks (never required).
(function () {
  "use strict";
  const form = document.querySelector("[data-visit-form]");
  if (!form) return;
  const deadlines = JSON.parse(document.getElementById("deadlines").textContent);
  const container = form.querySelector("[data-concerns]");
  const template = form.querySelector("[data-concern-template]");
  const total = form.querySelector('input[name="concerns-TOTAL_FORMS"]');

  function showOutcomeFields(concern) {
    const checked = concern.querySelector('input[type=radio][name$="-outcome"]:checked');
    const outcome = checked ? checked.value : "none";
    concern.querySelectorAll("[data-outcome-fields]").forEach(function (group) {
      group.hidden = !group.dataset.outcomeFields.split(" ").includes(outcome);
    });
  }

  function proposeDueDate(concern) {
    const category = concern.querySelector('select[name$="-category"]');
    const urgency = concern.querySelector('select[name$="-urgency"]');
    const due = concern.querySelector('input[name$="-due_date"]');
    if (!category || !urgency || !due) return;
    const latest = (deadlines[category.value] || {})[urgency.value];
    if (!latest) return;
    due.max = latest;
    due.min = new Date().toISOString().slice(0, 10);
    if (!due.value || due.value > latest || due.dataset.proposed === due.value) {
      due.value = latest;
      due.dataset.proposed = latest;
    }
  }

  function wire(concern) {
    concern.addEventListener("change", function () {
      showOutcomeFields(concern);
      proposeDueDate(concern);
    });
    showOutcomeFields(concern);
    proposeDueDate(concern);
  }

  container.querySelectorAll("[data-concern]").forEach(wire);

  form.querySelector("[data-add-concern]").addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const added = container.lastElementChild;
    wire(added);
    added.querySelector("select, textarea, input").focus();
  });

  const locate = form.querySelector("[data-locate]");
  const status = form.querySelector("[data-location-status]");
  locate.addEventListener("click", function () {
    if (!navigator.geolocation) {
      status.textContent = locate.dataset.unavailable || "";
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.querySelector('input[name="latitude"]').value = position.coords.latitude.toFixed(6);
        form.querySelector('input[name="longitude"]').value = position.coords.longitude.toFixed(6);
        form.querySelector('input[name="accuracy_m"]').value = Math.round(position.coords.accuracy);
        status.textContent = "✓ ±" + Math.round(position.coords.accuracy) + " m";
      },
      function () {
        status.textContent = "—";  // refused or unavailable: fine, the visit saves without it
      },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });
})();
