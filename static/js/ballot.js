/* A resident's ballot (templates/problems/ballot.html, meetings/rounds/views/ballot.py).
 *
 * Progressive enhancement: without JavaScript the ballot is a plain form with a number per
 * problem and the server says how many points are left. With it:
 *  - big − and + buttons beside each number (the field can still be typed in);
 *  - "X points left" updates as you go, in a live region that screen readers announce;
 *  - the total never goes over the budget: + stops when no points are left or the problem has
 *    the most one problem may get, and a typed number is lowered to what is still free.
 * The server checks everything again: this only helps.
 */
(function () {
  "use strict";

  function whole(input) {
    var n = parseInt(input.value, 10);
    return isNaN(n) || n < 0 ? 0 : n;
  }

  function init(form) {
    var budget = parseInt(form.getAttribute("data-points"), 10) || 0;
    var most = parseInt(form.getAttribute("data-max"), 10) || 0;
    var live = form.querySelector("[data-ballot-left]");
    var rows = [];

    function text(left) {
      var n = Math.abs(left);
      var key = left < 0 ? (n === 1 ? "data-over-one" : "data-over-many")
        : (n === 1 ? "data-left-one" : "data-left-many");
      return (form.getAttribute(key) || "").replace("__N__", String(n));
    }

    function used(except) {
      var total = 0;
      rows.forEach(function (row) {
        if (row.input !== except) { total += Math.min(whole(row.input), most); }
      });
      return total;
    }

    function disable(button, off) {
      button.setAttribute("aria-disabled", off ? "true" : "false");
    }

    function update() {
      var left = budget - used(null);
      if (live) {
        var words = text(left);
        if (live.textContent !== words) { live.textContent = words; }
        live.classList.toggle("ballot-left--over", left < 0);
      }
      rows.forEach(function (row) {
        var value = whole(row.input);
        disable(row.less, value <= 0);
        disable(row.more, value >= most || left <= 0);
      });
    }

    // A typed number: whole, not below 0, not above the most per problem or what is free.
    function settle(input) {
      var free = budget - used(input);
      var value = Math.max(0, Math.min(whole(input), most, free));
      if (input.value !== "" || value !== 0) { input.value = String(value); }
    }

    function button(label, sign, extra) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "ballot-step " + extra;
      b.setAttribute("aria-label", label);
      b.textContent = sign;
      return b;
    }

    form.querySelectorAll("[data-ballot-stepper]").forEach(function (stepper) {
      var input = stepper.querySelector("input");
      if (!input) { return; }
      var less = button(stepper.getAttribute("data-less") || "−", "−", "ballot-step--less");
      var more = button(stepper.getAttribute("data-more") || "+", "+", "ballot-step--more");
      less.setAttribute("aria-controls", input.id);
      more.setAttribute("aria-controls", input.id);
      stepper.insertBefore(less, input);
      input.insertAdjacentElement("afterend", more);
      var row = { input: input, less: less, more: more };
      rows.push(row);

      less.addEventListener("click", function () {
        if (less.getAttribute("aria-disabled") === "true") { return; }
        input.value = String(Math.max(0, Math.min(whole(input), most) - 1));
        update();
      });
      more.addEventListener("click", function () {
        if (more.getAttribute("aria-disabled") === "true") { return; }
        var value = Math.min(whole(input), most);
        if (value < most && used(null) < budget) { input.value = String(value + 1); }
        update();
      });
      input.addEventListener("input", update);
      input.addEventListener("change", function () { settle(input); update(); });
    });

    form.addEventListener("submit", function () {
      rows.forEach(function (row) { settle(row.input); });
      update();
    });

    form.classList.add("ballot--enhanced");
    update();
  }

  function start() {
    document.querySelectorAll("form[data-ballot]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
