/* The chair's agenda screen (templates/meetings/screen.html, meetings/room/views/screen.py).
 *
 * Progressive enhancement: without JavaScript every control is a form and the notes have a
 * Save button. With it:
 *  - the item's timer ticks on from the numbers the server rendered (the laptop's own clock),
 *    turning amber near the end of the time-box and red after it, with a word for each state;
 *  - the notes and decision save as you type (htmx, 800 ms after the last key). What is typed
 *    is kept in localStorage, per item, field and the version it was based on, until the server
 *    confirms it. When a save fails for network reasons the screen says so and tries again
 *    every few seconds and as soon as the browser is online; after a reload a draft that was
 *    not saved is put back and saved. A save based on an old version answers 409 with both
 *    texts (shown in place): unless it was this tab's own earlier save that landed while its
 *    answer got lost, in which case the text is simply sent again on the new version (another
 *    tab of the same browser is another writer: it gets the merge view too);
 *  - before a control (next, previous, done, end) unsaved text is sent first;
 *  - keyboard shortcuts: Alt+→ next item, Alt+← previous item, Alt+D mark done.
 */
(function () {
  "use strict";

  var DRAFT = "agenda-draft:";
  var SENT = "agenda-sent:";
  var RETRY_MS = 5000;
  var FLUSH_WAIT_MS = 3000;
  var SENT_KEEP = 5;

  var failing = {}; // "item:field" -> true while saves of that field fail
  var knownConflicts = {}; // draft keys whose off-screen save conflicted (until reload/online)
  var offscreenBusy = {};
  var pending = typeof WeakMap === "function" ? new WeakMap() : null; // xhr -> what was sent

  // --- Helpers ------------------------------------------------------------------------------

  function screen() { return document.getElementById("screen"); }
  function meetingId() { var s = screen(); return s ? s.getAttribute("data-meeting") : null; }
  function message(name) { var s = screen(); return (s && s.getAttribute("data-msg-" + name)) || ""; }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  /* What this tab sent is this tab's own: every tab is a writer of its own, so a text another
     tab of the same browser saved is a conflict here (the merge view), not "my save that
     landed". sessionStorage is per tab and survives a reload of that tab. */
  function tabStorage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function readJSON(key, store) {
    var s = store || storage();
    if (!s) { return null; }
    try { return JSON.parse(s.getItem(key) || "null"); } catch (e) { return null; }
  }

  function writeJSON(key, value, store) {
    var s = store || storage();
    if (!s) { return; }
    try { s.setItem(key, JSON.stringify(value)); } catch (e) { /* full: the field still saves */ }
  }

  function remove(key) {
    var s = storage();
    if (s) { try { s.removeItem(key); } catch (e) { /* ignore */ } }
  }

  function fieldKey(item, field) { return item + ":" + field; }

  function draftKey(item, field, base) {
    return DRAFT + meetingId() + ":" + item + ":" + field + ":" + base;
  }

  /* The drafts of this meeting (of one item and field when given), highest base first. */
  function drafts(item, field) {
    var s = storage(), found = [], prefix = DRAFT + meetingId() + ":";
    if (!s || !meetingId()) { return found; }
    for (var i = 0; i < s.length; i++) {
      var key = s.key(i);
      if (!key || key.indexOf(prefix) !== 0) { continue; }
      var parts = key.slice(prefix.length).split(":");
      if (parts.length !== 3) { continue; }
      if (item && (parts[0] !== String(item) || parts[1] !== field)) { continue; }
      var value = readJSON(key);
      if (!value || typeof value.text !== "string") { continue; }
      found.push({ key: key, item: parts[0], field: parts[1], base: parseInt(parts[2], 10) || 0,
                   text: value.text, url: value.url, heading: value.heading || "" });
    }
    found.sort(function (a, b) { return b.base - a.base; });
    return found;
  }

  function removeDrafts(item, field, upToBase) {
    drafts(item, field).forEach(function (d) {
      if (d.base <= upToBase) { remove(d.key); }
    });
  }

  function sentKey(item, field) { return SENT + meetingId() + ":" + item + ":" + field; }

  function rememberSent(item, field, text) {
    var list = readJSON(sentKey(item, field), tabStorage()) || [];
    if (list[list.length - 1] !== text) { list.push(text); }
    writeJSON(sentKey(item, field), list.slice(-SENT_KEEP), tabStorage());
  }

  function sentBefore(item, field, text) {
    return (readJSON(sentKey(item, field), tabStorage()) || []).indexOf(text) >= 0;
  }

  function boxOf(el) { return el && el.closest ? el.closest(".text-box") : null; }

  function versionInput(form) { return form ? form.querySelector("input[name=version]") : null; }

  function baseOf(textarea) {
    var input = versionInput(textarea.form);
    return input ? parseInt(input.value, 10) || 0 : 0;
  }

  /* The autosaving textarea of an item and field, when it is on the screen. */
  function liveTextarea(item, field) {
    var box = document.getElementById(field + "-field");
    if (!box || box.getAttribute("data-item") !== String(item)) { return null; }
    return box.querySelector("textarea[data-autosave]");
  }

  function setStatus(text, kind) {
    var el = document.getElementById("save-status");
    if (!el || !text) { return; }
    el.textContent = text;
    el.className = "save-status save-status--" + kind;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* Mirrors run_views.Conflict.merged: nothing of either text is left out. */
  function mergedText(theirs, mine) {
    if (mine.indexOf(theirs) >= 0) { return mine; }
    if (theirs.indexOf(mine) >= 0) { return theirs; }
    return theirs + "\n\n" + mine;
  }

  function conflictIn(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var box = doc.querySelector("[data-conflict]");
    if (!box) { return null; }
    return { theirs: box.getAttribute("data-theirs") || "",
             version: parseInt(box.getAttribute("data-conflict-version"), 10) || 0 };
  }

  // --- Keeping what is typed ---------------------------------------------------------------

  function keepDraft(textarea) {
    var box = boxOf(textarea);
    if (!box || !textarea.form) { return; }
    var item = box.getAttribute("data-item"), field = box.getAttribute("data-field");
    writeJSON(draftKey(item, field, baseOf(textarea)), {
      text: textarea.value, url: textarea.form.getAttribute("action"),
      heading: box.getAttribute("data-heading") || ""
    });
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!target.matches || !target.matches("textarea[data-draft]")) { return; }
    keepDraft(target);
    if (target.hasAttribute("data-autosave")) { target.setAttribute("data-dirty", "1"); }
  });

  /* After a reload (or when an item comes back on screen): put back a draft that the server
     does not have, and save it. Saved on the version it was based on, so a text someone else
     saved since is never overwritten (that answers 409 with both texts). */
  function restore(textarea) {
    var box = boxOf(textarea);
    if (!box) { return; }
    var item = box.getAttribute("data-item"), field = box.getAttribute("data-field");
    var found = drafts(item, field);
    if (!found.length) { return; }
    var best = found[0], server = textarea.defaultValue, version = baseOf(textarea);
    if (best.text === server || best.text === textarea.value && best.base >= version) {
      if (best.text === server) { removeDrafts(item, field, Infinity); }
      return;
    }
    textarea.value = best.text;
    versionInput(textarea.form).value = String(Math.min(best.base, version));
    textarea.setAttribute("data-dirty", "1");
    setStatus(message("restored"), "restored");
    saveNow(textarea);
  }

  function saveNow(textarea) {
    if (!window.htmx) { return; }
    window.htmx.process(textarea.form); // a no-op when htmx has set it up already
    window.htmx.trigger(textarea, "save-now");
  }

  // --- Saving ------------------------------------------------------------------------------

  function textRequest(detail) {
    var box = boxOf(detail.elt);
    return box ? box : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = textRequest(event.detail);
    var config = event.detail.requestConfig || {};
    if (!box || !config.formData) { return; }
    var item = box.getAttribute("data-item"), field = box.getAttribute("data-field");
    var sent = { item: item, field: field, text: String(config.formData.get("text") || ""),
                 base: parseInt(config.formData.get("version"), 10) || 0 };
    if (pending && event.detail.xhr) { pending.set(event.detail.xhr, sent); }
    box._sent = sent;
    rememberSent(item, field, sent.text);
  });

  function sentFor(detail) {
    var found = pending && detail.xhr ? pending.get(detail.xhr) : null;
    return found || (boxOf(detail.elt) || {})._sent || null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail, status = detail.xhr.status;
    if (!textRequest(detail) || (status !== 409 && status !== 400)) { return; }
    var sent = sentFor(detail);
    if (status === 409 && sent) {
      var conflict = conflictIn(detail.serverResponse);
      var textarea = liveTextarea(sent.item, sent.field);
      if (conflict && textarea && sentBefore(sent.item, sent.field, conflict.theirs)) {
        // Our own earlier save landed and only its answer got lost: not someone else's text.
        detail.shouldSwap = false;
        detail.isError = false;
        versionInput(textarea.form).value = String(conflict.version);
        keepDraft(textarea);
        window.setTimeout(function () { saveNow(textarea); }, 0);
        return;
      }
      if (textarea) { sent.live = textarea.value; }
    }
    detail.shouldSwap = true; // the conflict view, or the field's error
    detail.isError = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail, sent = sentFor(detail);
    if (!sent || !detail.xhr) { return; }
    var status = detail.xhr.status, key = fieldKey(sent.item, sent.field);
    if (status >= 200 && status < 300) {
      failing[key] = false;
      removeDrafts(sent.item, sent.field, sent.base);
      var textarea = liveTextarea(sent.item, sent.field);
      if (textarea) {
        if (textarea.value !== sent.text) {
          keepDraft(textarea); // typed on while the save was under way: kept on the new version
        } else {
          textarea.removeAttribute("data-dirty");
        }
      }
    } else if (status === 409) {
      failing[key] = false;
      var box = document.getElementById(sent.field + "-field");
      var merge = box && box.hasAttribute("data-conflict") ? box.querySelector("textarea") : null;
      if (merge && sent.live !== undefined && sent.live !== sent.text) {
        // Typed on while the save was under way: the merge starts from all of it.
        merge.value = mergedText(box.getAttribute("data-theirs") || "", sent.live);
        var mine = document.getElementById(sent.field + "-mine");
        if (mine) { mine.textContent = sent.live; }
      }
    } else if (status >= 500 || status === 0 || status === 403) {
      failing[key] = true;
      setStatus(message("error"), "error");
    }
  });

  function offline(event) {
    var sent = sentFor(event.detail);
    if (sent) { failing[fieldKey(sent.item, sent.field)] = true; }
    setStatus(message("offline"), "offline"); // also when a control could not be sent
  }
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:timeout", offline);

  /* A draft of an item that is not on the screen (the chair moved on before it was saved):
     sent in the background, as htmx would. */
  function saveOffscreen(draft) {
    if (offscreenBusy[draft.key] || knownConflicts[draft.key] || !draft.url || !window.fetch) { return; }
    offscreenBusy[draft.key] = true;
    var body = new URLSearchParams({ field: draft.field, text: draft.text, version: String(draft.base) });
    rememberSent(draft.item, draft.field, draft.text);
    window.fetch(draft.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      if (response.ok) {
        removeDrafts(draft.item, draft.field, draft.base);
        return null;
      }
      if (response.status !== 409) { return null; }
      return response.text().then(function (html) {
        var conflict = conflictIn(html);
        if (!conflict) { return; }
        if (conflict.theirs === draft.text) {
          removeDrafts(draft.item, draft.field, Infinity);
        } else if (sentBefore(draft.item, draft.field, conflict.theirs)) {
          remove(draft.key); // our own save landed: send this text again on the new version
          writeJSON(draftKey(draft.item, draft.field, conflict.version),
                    { text: draft.text, url: draft.url, heading: draft.heading });
        } else {
          knownConflicts[draft.key] = true; // kept: merged when that item is opened again
          setStatus(message("other") + " " + draft.heading, "conflict");
        }
      });
    }).catch(function () {
      setStatus(message("offline"), "offline");
    }).then(function () {
      offscreenBusy[draft.key] = false;
    });
  }

  function retry() {
    if (!meetingId()) { return; }
    document.querySelectorAll("textarea[data-autosave]").forEach(function (textarea) {
      var box = boxOf(textarea);
      var key = fieldKey(box.getAttribute("data-item"), box.getAttribute("data-field"));
      if (failing[key]) { saveNow(textarea); }
    });
    drafts().forEach(function (draft) {
      if (!liveTextarea(draft.item, draft.field) && !isConflictOnScreen(draft)) {
        saveOffscreen(draft);
      }
    });
  }

  function isConflictOnScreen(draft) {
    var box = document.getElementById(draft.field + "-field");
    return !!box && box.getAttribute("data-item") === draft.item && box.hasAttribute("data-conflict");
  }

  window.setInterval(retry, RETRY_MS);
  window.addEventListener("online", function () {
    knownConflicts = {};
    retry();
  });
  window.addEventListener("offline", function () { setStatus(message("offline"), "offline"); });

  // --- Controls ----------------------------------------------------------------------------

  /* Unsaved text goes first; then the control (it would replace the fields). */
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-control")) { return; }
    var dirty = Array.prototype.slice.call(
      document.querySelectorAll("textarea[data-autosave][data-dirty]")
    );
    if (!dirty.length || !window.htmx) { return; }
    event.preventDefault();
    var gone = false, waiting = dirty.length;
    function go() {
      if (gone) { return; }
      gone = true;
      event.detail.issueRequest(true);
    }
    dirty.forEach(function (textarea) {
      textarea.addEventListener("htmx:afterRequest", function () {
        waiting -= 1;
        if (waiting <= 0) { go(); }
      }, { once: true });
      window.htmx.trigger(textarea, "save-now");
    });
    window.setTimeout(go, FLUSH_WAIT_MS);
  });

  var focusAfterSwap = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-control")) {
      var active = document.activeElement;
      focusAfterSwap = active && active.id ? active.id : null;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!focusAfterSwap || !event.detail.elt || event.detail.elt.id !== "screen") { return; }
    var again = document.getElementById(focusAfterSwap);
    focusAfterSwap = null;
    if (again && !again.disabled) {
      again.focus();
    } else {
      var title = document.getElementById("current-title");
      if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
    }
  });

  var SHORTCUTS = { ArrowRight: "next-item", ArrowLeft: "previous-item", KeyD: "mark-done" };
  document.addEventListener("keydown", function (event) {
    // With Alt only: also while typing in the notes (a bare key would be typed).
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var id = SHORTCUTS[event.code];
    var button = id ? document.getElementById(id) : null;
    if (!button || button.disabled) { return; }
    event.preventDefault();
    button.click();
  });

  // --- Timers ------------------------------------------------------------------------------

  function clock(seconds) {
    seconds = Math.max(seconds, 0);
    var hours = Math.floor(seconds / 3600), rest = seconds % 3600;
    var minutes = Math.floor(rest / 60), secs = rest % 60;
    var tail = (secs < 10 ? "0" : "") + secs;
    if (hours) { return hours + ":" + (minutes < 10 ? "0" : "") + minutes + ":" + tail; }
    return minutes + ":" + tail;
  }

  function startClocks(root) {
    var now = Date.now();
    var found = root.querySelectorAll ? root.querySelectorAll("[data-timer], [data-tick]") : [];
    Array.prototype.forEach.call(found, function (el) { el._t0 = now; });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-timer]").forEach(function (el) {
      if (el.getAttribute("data-running") !== "1") { return; }
      if (!el._t0) { el._t0 = now; }
      var elapsed = (parseInt(el.getAttribute("data-elapsed"), 10) || 0) + Math.floor((now - el._t0) / 1000);
      var limit = parseInt(el.getAttribute("data-limit"), 10) || 0;
      var amber = parseInt(el.getAttribute("data-amber"), 10) || 0;
      var state = elapsed > limit ? "red" : (limit - elapsed <= amber ? "amber" : "ok");
      var clockEl = el.querySelector("[data-timer-clock]");
      var wordEl = el.querySelector("[data-timer-word]");
      if (clockEl) { clockEl.textContent = clock(elapsed); }
      if (wordEl) { wordEl.textContent = el.getAttribute("data-word-" + state) || wordEl.textContent; }
      ["ok", "amber", "red"].forEach(function (name) {
        el.classList.toggle("screen-timer--" + name, name === state);
      });
    });
    document.querySelectorAll("[data-tick]").forEach(function (el) {
      if (!el._t0) { el._t0 = now; }
      el.textContent = clock((parseInt(el.getAttribute("data-tick"), 10) || 0) + Math.floor((now - el._t0) / 1000));
    });
  }

  // --- Start -------------------------------------------------------------------------------

  function init(root) {
    startClocks(root);
    var areas = [];
    if (root.matches && root.matches("textarea[data-autosave]")) { areas.push(root); }
    if (root.querySelectorAll) {
      Array.prototype.push.apply(areas, root.querySelectorAll("textarea[data-autosave]"));
    }
    areas.forEach(restore);
  }

  function start() {
    if (!screen()) { return; }
    // The page and new content (the screen after a control, a field after a merge) are set up
    // once htmx has processed them; 409 (someone else saved) and 400 (a field error) are
    // swapped in place: see beforeSwap.
    if (window.htmx) {
      window.htmx.onLoad(init);
    } else {
      init(document.body);
    }
    if (navigator.onLine === false) { setStatus(message("offline"), "offline"); }
    window.setInterval(tick, 1000);
    tick();
    retry();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
