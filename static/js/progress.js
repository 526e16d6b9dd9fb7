// Progress of a file being checked: asks the server every 2 s and moves the <progress> bar;
// reloads the page when the check is over. Without JavaScript a meta refresh does the same.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) { return; }
  var bar = document.getElementById("batch-progress-bar");
  var text = document.getElementById("batch-progress-text");
  var url = box.getAttribute("data-progress-url");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (data.status !== "validating") { window.location.reload(); return; }
        bar.value = data.percent;
        bar.textContent = data.percent + " %";
        text.textContent = text.textContent.replace(/^[\d'’ ]+/, data.done.toLocaleString("de-CH") + " ");
        window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
