// Draws the run page's charts from their JSON (script type="application/json": data, never run).
// A file of this server's own, so the page's Content-Security-Policy allows it (no inline script).
(function () {
  "use strict";
  var config = {responsive: true, displaylogo: false, displayModeBar: "hover"};
  var specs = document.querySelectorAll("script[data-chart]");
  for (var i = 0; i < specs.length; i++) {
    var id = specs[i].getAttribute("data-chart");
    var target = document.getElementById(id);
    try {
      var spec = JSON.parse(specs[i].textContent);
      window.Plotly.newPlot(target, spec.data, spec.layout || {}, config);
    } catch (err) {
      target.textContent = "This chart could not be drawn: " + err;
    }
  }
  function fit(width) {
    var plots = document.querySelectorAll(".plot.js-plotly-plot");
    for (var k = 0; k < plots.length; k++) {
      var el = plots[k];
      if (width) {
        el.dataset.screenHeight = el.layout.height;
        window.Plotly.relayout(el, {width: width, autosize: false, height: Math.min(el.layout.height, 380)});
      } else {
        window.Plotly.relayout(el, {width: null, autosize: true, height: Number(el.dataset.screenHeight) || null});
      }
    }
  }
  function refit() {  // back on screen: each chart takes its box's width again
    window.requestAnimationFrame(function () {
      var plots = document.querySelectorAll(".plot.js-plotly-plot");
      for (var k = 0; k < plots.length; k++) { window.Plotly.Plots.resize(plots[k]); }
    });
  }
  window.addEventListener("beforeprint", function () { fit(700); });
  window.addEventListener("afterprint", function () { fit(0); refit(); });
  // afterprint may fire while the print layout still applies (a PDF printed by a headless browser):
  // resize once more when the page is back to the screen's media.
  var printing = window.matchMedia ? window.matchMedia("print") : null;
  if (printing && printing.addEventListener) {
    printing.addEventListener("change", function (e) { if (!e.matches) { refit(); } });
  }
})();
