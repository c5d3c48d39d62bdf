/* Keeps seat counts of open activity pages fresh; the page works without it. */
(function () {
  "use strict";

  // Labels come from the page, in the reader's language; the server sends only numbers.
  function label(root, name, values) {
    var text = root.getAttribute("data-label-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  function seatsText(root, data) {
    if (data.cancelled) return label(root, "cancelled");
    if (data.full) return label(root, "full");
    return label(root, "free", { free: data.free, capacity: data.capacity });
  }

  function update(root, data) {
    var row = root.querySelector('[data-shift="' + data.id + '"]');
    if (!row) return;
    var wasFull = row.classList.contains("is-full");
    row.classList.toggle("is-full", data.full);
    var seats = row.querySelector("[data-seats]");
    if (seats) seats.textContent = seatsText(root, data);
    var waiting = row.querySelector("[data-waitlist]");
    if (waiting) waiting.textContent = data.waitlist ? label(root, "waiting", { count: data.waitlist }) : "";
    var button = row.querySelector("[data-sign-up]");
    if (button && data.full !== wasFull) {
      button.textContent = label(root, data.full ? "waitlist" : "sign-up") || button.textContent;
    }
    if (data.full !== wasFull) {
      var region = document.getElementById("seat-announcer");
      if (region) region.textContent = seatsText(root, data);
    }
  }

  function bind() {
    if (!window.PortalLive) return;
    document.querySelectorAll("[data-activity-topic]").forEach(function (root) {
      window.PortalLive.subscribe(root.getAttribute("data-activity-topic"), {
        snapshot: function (data) {
          data.shifts.forEach(function (shift) { update(root, shift); });
        },
        event: function (event) {
          if (event.kind === "shift") update(root, event.shift);
        },
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
