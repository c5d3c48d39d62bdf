/* Poll page: keeps turnout and tally bars in step with every ballot cast.
 *
 * The server sends a snapshot on (re)subscribe, with the number of eligible voters,
 * and then one small event per ballot without it; the eligible count is kept from the
 * last snapshot. When voting closes the page reloads once to show the outcome.
 */
(function () {
  "use strict";
  var poll = document.getElementById("poll");
  if (!poll || !window.PortalLive) return;
  var eligible = parseInt(poll.getAttribute("data-eligible"), 10) || 0;
  var status = poll.getAttribute("data-status");
  var announce = poll.querySelector("[data-tally-announce]");
  var turnoutText = poll.querySelector("[data-turnout-text]");
  var turnoutTemplate = turnoutText ? turnoutText.getAttribute("data-template") : "";
  var lastBallots = null;

  function pct(part, whole) {
    return whole ? Math.round((1000 * part) / whole) / 10 : 0;
  }

  function showTurnout(ballots) {
    var meter = poll.querySelector("[data-turnout-meter]");
    var value = pct(ballots, eligible);
    if (meter) {
      meter.value = value;
      meter.textContent = value + "%";
    }
    if (turnoutText && turnoutTemplate) {
      // The translated sentence orders the numbers as its language needs.
      turnoutText.textContent = turnoutTemplate
        .replace("__N__", ballots)
        .replace("__T__", eligible)
        .replace("__P__", value);
    }
  }

  function showOptions(options, ballots) {
    (options || []).forEach(function (o) {
      var row = poll.querySelector('[data-option-id="' + o.id + '"]');
      if (!row) return;
      var share = pct(o.votes, ballots);
      row.querySelector("[data-votes]").textContent = o.votes;
      row.querySelector("[data-percent]").textContent = share;
      row.querySelector(".tally-fill").style.width = share + "%";
    });
  }

  function apply(data) {
    if (typeof data.eligible === "number") eligible = data.eligible;
    showTurnout(data.ballots);
    showOptions(data.options, data.ballots);
    poll.setAttribute("data-ballots", data.ballots);
    if (announce && lastBallots !== null && data.ballots !== lastBallots) {
      announce.textContent = turnoutText ? turnoutText.textContent : "";
    }
    lastBallots = data.ballots;
    if (data.closed && status !== "closed") {
      status = "closed";
      window.location.reload();
    }
  }

  window.PortalLive.subscribe(poll.getAttribute("data-poll-topic"), {
    snapshot: apply,
    event: apply,
  });
})();
