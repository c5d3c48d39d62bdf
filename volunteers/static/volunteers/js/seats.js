/* Keeps seat counts of open activity pages fresh; the page works without it. */
(function () {
  "use strict";

  function update(root, data) {
    var row = root.querySelector('[data-shift="' + data.id + '"]');
    if (!row) return;
    var wasFull = row.classList.contains("is-full");
    row.classList.toggle("is-full", data.full);
    var seats = row.querySelector("[data-seats]");
    if (seats) seats.textContent = data.label;
    var waiting = row.querySelector("[data-waitlist]");
    if (waiting) waiting.textContent = data.waitlist_label;
    var button = row.querySelector("[data-sign-up]");
    if (button && data.full !== wasFull) {
      button.textContent = data.full ? root.getAttribute("data-label-waitlist") || button.textContent
                                     : root.getAttribute("data-label-sign-up") || button.textContent;
    }
    if (data.full !== wasFull) {
      var region = document.getElementById("seat-announcer");
      if (region) region.textContent = data.label;
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
