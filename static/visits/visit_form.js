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

  // A page served from the offline cache, or left from the last visit, needs a fresh identity
  // and time; a page re-shown with errors keeps its id, so sending it again stays one visit.
  const hasErrors = form.querySelector(".is-invalid, .alert-danger, .invalid-feedback") !== null;
  if (!hasErrors && form.dataset.bound !== "true") freshIdentity();

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function localNow() {
    const d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function freshIdentity() {
    form.querySelector('input[name="id"]').value = newId();
    form.querySelector('input[name="visited_at"]').value = localNow();
  }

  function value(name) {
    const field = form.elements.namedItem(name);
    if (!field) return "";
    if (field instanceof RadioNodeList) return field.value;
    return field.value;
  }

  function asJson() {
    const offsetMinutes = -new Date().getTimezoneOffset();
    const sign = offsetMinutes >= 0 ? "+" : "-";
    const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
    const offset = sign + pad(offsetMinutes / 60) + ":" + pad(offsetMinutes % 60);
    const number = (name) => (value(name) === "" ? null : Number(value(name)));
    const concerns = [];
    container.querySelectorAll("[data-concern]").forEach((concern) => {
      const get = (suffix) => {
        const field = concern.querySelector('[name$="-' + suffix + '"]:not([type=radio]), [name$="-' + suffix + '"][type=radio]:checked');
        return field ? field.value : "";
      };
      if (!get("text").trim()) return;
      concerns.push({
        category: Number(get("category")), urgency: get("urgency"), text: get("text"), outcome: get("outcome") || "none",
        note: get("note"), pledge_text: get("pledge_text"), due_date: get("due_date") || null,
        petition_case: get("petition_case") ? Number(get("petition_case")) : null,
      });
    });
    return {
      id: value("id"), kind: value("kind"), household: number("household"), village: number("village"),
      visited_at: value("visited_at") + ":00" + offset, backdate_reason: value("backdate_reason"),
      latitude: value("latitude") || null, longitude: value("longitude") || null, accuracy_m: number("accuracy_m"),
      companions: Number(value("companions") || 0), thoughts: value("thoughts"), wants: value("wants"),
      hopes: value("hopes"), complaints: value("complaints"), policies_explained: value("policies_explained"),
      help_delivered: value("help_delivered"), concerns: concerns,
    };
  }

  // With no connection the visit is kept on the phone and sent when the connection returns.
  form.addEventListener("submit", function (event) {
    if (navigator.onLine || !window.grassrootsOutbox) return;
    event.preventDefault();
    const body = asJson();
    const household = form.querySelector('select[name="household"]');
    const summary = (household && household.selectedIndex > 0 ? household.options[household.selectedIndex].text : body.kind) + " · " + body.visited_at.slice(0, 16).replace("T", " ");
    // The photos wait with the visit, as files; the server checks and resizes them when they arrive.
    const photoInput = form.querySelector('input[name="photos"]');
    const photos = photoInput ? Array.from(photoInput.files) : [];
    window.grassrootsOutbox.add({ id: body.id, body: body, photos: photos, created: Date.now(), summary: summary }).then(function () {
      const saved = document.querySelector("[data-saved-offline]");
      if (saved) saved.hidden = false;
      form.reset();
      container.querySelectorAll("[data-concern]").forEach(function (concern, index) { if (index > 0) concern.remove(); });
      total.value = "1";
      container.querySelectorAll("[data-concern]").forEach(wire);
      freshIdentity();
      window.scrollTo(0, 0);
    });
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
