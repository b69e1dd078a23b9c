// The console's live parts: the board refreshes every second (server-rendered HTML:
// replaced when what it lists changed, else only its clocks are updated), and an unacknowledged emergency beeps when the operator turned the
// sound on (browsers play sound only after a click).
(function () {
  "use strict";
  var board = document.getElementById("board");
  var button = document.getElementById("sound");
  var sound = false;
  var audio = null;

  function beep() {
    if (!sound || !audio) { return; }
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.3;
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  }

  if (button) {
    button.addEventListener("click", function () {
      sound = !sound;
      if (sound && !audio) { audio = new (window.AudioContext || window.webkitAudioContext)(); }
      button.textContent = sound ? button.dataset.off : button.dataset.on;
    });
  }

  function unacked() {
    var root = board && board.querySelector(".board");
    return root ? Number(root.dataset.unacked || "0") : 0;
  }

  function refresh() {
    // A form being typed into is not replaced under the operator's fingers.
    if (board.contains(document.activeElement) && document.activeElement.tagName === "INPUT") {
      return;
    }
    fetch(board.dataset.live, { credentials: "same-origin", cache: "no-store" })
      .then(function (reply) {
        if (reply.redirected || !reply.ok) { throw new Error("logged out"); }
        return reply.text();
      })
      .then(function (html) {
        var fresh = document.createElement("template");
        fresh.innerHTML = html;
        var next = fresh.content.querySelector(".board");
        var now = board.querySelector(".board");
        if (next && now && next.dataset.version === now.dataset.version) {
          // the same items: only their clocks move (what the operator points at stays)
          next.querySelectorAll("[data-since]").forEach(function (span) {
            var old = now.querySelector('[data-since="' + span.dataset.since + '"]');
            if (old) { old.textContent = span.textContent; }
          });
        } else {
          board.innerHTML = html;
        }
        board.classList.remove("stale");
        board.dataset.updated = String(Date.now());
        if (unacked() > 0) { beep(); }
      })
      .catch(function () { board.classList.add("stale"); });
  }

  if (board) {
    setInterval(refresh, 1000);
  }
})();
