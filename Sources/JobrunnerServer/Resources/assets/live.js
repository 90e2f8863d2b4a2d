// Live updates of a pipeline page: new output and stage states while EXECUTE runs, fed by
// server-sent events from the store (so it works whichever node runs the script). The page
// works without it; this only saves reloading.
(function () {
  "use strict";
  var output = document.getElementById("output");
  if (!output || !output.dataset.events || !window.EventSource) return;
  var source = new EventSource(output.dataset.events);
  function pre(id) {
    var element = document.getElementById(id);
    if (!element) {
      var none = document.getElementById("no-output");
      if (none) none.remove();
      var heading = document.createElement("h3");
      heading.textContent = id;
      element = document.createElement("pre");
      element.id = id;
      output.appendChild(heading);
      output.appendChild(element);
    }
    return element;
  }
  source.addEventListener("output", function (event) {
    var data = JSON.parse(event.data);
    var element = pre(data.stream);
    if (data.reset) element.textContent = "";
    element.textContent += data.text;
  });
  source.addEventListener("progress", function (event) {
    var data = JSON.parse(event.data);
    var section = document.getElementById("progress-section");
    var bar = document.getElementById("progress");
    if (!section || !bar) return;
    section.hidden = false;
    if (data.max !== undefined) { bar.max = data.max; bar.value = data.done; } else { bar.removeAttribute("value"); }
    document.getElementById("progress-text").textContent = data.text;
  });
  source.addEventListener("stages", function (event) {
    var data = JSON.parse(event.data);
    var status = document.getElementById("status");
    if (status) { status.textContent = data.status; status.className = "badge " + data.status; }
    data.stages.forEach(function (stage) {
      var row = document.getElementById("stage-" + stage.kind);
      if (!row) return;
      row.dataset.state = stage.state;
      var badge = row.querySelector(".badge");
      if (badge) { badge.textContent = stage.state; badge.className = "badge " + stage.state; }
    });
  });
  source.addEventListener("end", function () {
    source.close();
    window.location.reload();
  });
})();
