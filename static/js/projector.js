/* The projector screen (/scherm/<key>/) and the chair's page with its link.

   The screen asks every second whether the meeting changed, sending the ETag of what it shows
   (If-None-Match). Unchanged: a 304 without a body. Changed: the new stage, swapped in. The
   timer ticks in between from the numbers the server rendered, with this computer's clock.
   A failed poll shows "connection lost" and is tried again; a revoked link (404) says so.
   Without JavaScript the page refreshes itself every 10 seconds (<noscript> in the head). */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var SLOW_POLL_MS = 5000; // after several failures in a row
  var HIDE_CURSOR_MS = 3000;
  var HINT_MS = 20000;

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(seconds / 3600);
    var rest = seconds % 3600;
    if (hours) {
      return hours + ":" + pad(Math.floor(rest / 60)) + ":" + pad(rest % 60);
    }
    return Math.floor(rest / 60) + ":" + pad(rest % 60);
  }

  /* --- The timer -------------------------------------------------------------------------- */

  var timer = null;

  function startTimer(root) {
    var el = root.querySelector("[data-timer]");
    if (!el) {
      timer = null;
      return;
    }
    timer = {
      el: el,
      base: parseInt(el.dataset.elapsed, 10) || 0,
      limit: parseInt(el.dataset.limit, 10) || 0,
      amber: parseInt(el.dataset.amber, 10) || 0,
      running: el.dataset.running === "1",
      since: Date.now(),
      state: null
    };
    tick();
  }

  function tick() {
    if (!timer) {
      return;
    }
    var t = timer;
    var elapsed = t.base + (t.running ? (Date.now() - t.since) / 1000 : 0);
    var remaining = t.limit - elapsed;
    var state, text;
    if (!t.running) {
      state = "done";
      text = t.el.dataset.textDone.replace("%(clock)s", clock(elapsed));
    } else if (remaining < 0) {
      state = "red";
      text = t.el.dataset.textOver.replace("%(clock)s", clock(-remaining));
    } else {
      state = remaining <= t.amber ? "amber" : "ok";
      text = t.el.dataset.textLeft.replace("%(clock)s", clock(remaining));
    }
    var clockEl = t.el.querySelector("[data-timer-clock]");
    if (clockEl && clockEl.textContent !== text) {
      clockEl.textContent = text;
    }
    if (state !== t.state) {
      t.el.classList.remove("timer--ok", "timer--amber", "timer--red", "timer--done");
      t.el.classList.add("timer--" + state);
      var word = t.el.querySelector("[data-timer-word]");
      if (word) {
        word.textContent = t.el.dataset["word" + state.charAt(0).toUpperCase() + state.slice(1)];
      }
      t.state = state;
    }
  }

  /* --- The poll ----------------------------------------------------------------------------- */

  function projector(main) {
    var url = main.dataset.projectorState;
    var etag = main.dataset.etag || "";
    var stage = document.getElementById("projector-stage");
    var offline = document.getElementById("projector-offline");
    var gone = document.getElementById("projector-gone");
    var failures = 0;
    var stopped = false;

    function connection(ok) {
      failures = ok ? 0 : failures + 1;
      // One lost poll is not worth a message; two in a row are.
      offline.hidden = failures < 2;
    }

    function schedule() {
      if (!stopped) {
        window.setTimeout(poll, failures > 5 ? SLOW_POLL_MS : POLL_MS);
      }
    }

    function poll() {
      var headers = { "Accept": "text/html" };
      if (etag) {
        headers["If-None-Match"] = etag;
      }
      var controller = "AbortController" in window ? new AbortController() : null;
      var timeout = window.setTimeout(function () {
        if (controller) {
          controller.abort();
        }
      }, 5000);
      // cache: "no-store" so that the browser's cache never answers for the server (and
      // never turns our 304 into an old 200).
      fetch(url, {
        headers: headers,
        cache: "no-store",
        credentials: "same-origin",
        redirect: "error", // never swap in a page we were sent to (a login, a setup step)
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (response.status === 304) {
            connection(true);
            return null;
          }
          if (response.status === 404) {
            stopped = true;
            connection(true);
            gone.hidden = false;
            stage.setAttribute("aria-hidden", "true");
            stage.classList.add("projector__stage--gone");
            timer = null;
            return null;
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          var next = response.headers.get("ETag");
          if (!next) {
            throw new Error("no ETag: not the stage");
          }
          return response.text().then(function (html) {
            connection(true);
            stage.innerHTML = html;
            etag = next;
            if (window.htmx) {
              window.htmx.process(stage);
            }
            startTimer(stage);
          });
        })
        .catch(function () {
          connection(false);
        })
        .then(function () {
          window.clearTimeout(timeout);
          schedule();
        });
    }

    startTimer(stage);
    window.setInterval(tick, 250);
    schedule();

    // Nothing needs a mouse: F toggles full screen, and the pointer hides when still.
    var hint = document.getElementById("projector-hint");
    if (hint && document.fullscreenEnabled) {
      hint.hidden = false;
      window.setTimeout(function () {
        hint.hidden = true;
      }, HINT_MS);
    }
    document.addEventListener("keydown", function (event) {
      if ((event.key === "f" || event.key === "F") && !event.ctrlKey && !event.metaKey && !event.altKey) {
        if (document.fullscreenElement) {
          document.exitFullscreen();
        } else if (document.documentElement.requestFullscreen) {
          document.documentElement.requestFullscreen().catch(function () {});
        }
      }
    });
    document.addEventListener("fullscreenchange", function () {
      if (hint && document.fullscreenElement) {
        hint.hidden = true;
      }
    });
    var idle = null;
    document.addEventListener("mousemove", function () {
      document.body.classList.remove("projector--still");
      window.clearTimeout(idle);
      idle = window.setTimeout(function () {
        document.body.classList.add("projector--still");
      }, HIDE_CURSOR_MS);
    });
  }

  /* --- The chair's page: copy the link ------------------------------------------------------- */

  function copyLink(button) {
    var source = document.querySelector("[data-copy-source]");
    var status = document.querySelector("[data-copy-status]");
    if (!source || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(
        function () {
          status.textContent = button.dataset.copied;
        },
        function () {
          source.focus();
          source.select();
        }
      );
    });
    source.addEventListener("focus", function () {
      source.select();
    });
  }

  function init() {
    var main = document.querySelector("[data-projector-state]");
    if (main) {
      projector(main);
    }
    var copy = document.querySelector("[data-copy-button]");
    if (copy) {
      copyLink(copy);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
