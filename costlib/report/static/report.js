/* costlib client report: the print mode. With #print in the address (as `costlib report
   --pdf` opens it), charts are drawn static at the printed width; printed from a browser,
   they are resized to the printed width for the print and back after. The printed width
   and height scale come from this script element's data-print-width and
   data-print-height-scale. */
(function () {
  var me = document.currentScript;
  var W = Number(me && me.dataset.printWidth) || 680;
  var H = Number(me && me.dataset.printHeightScale) || 0.8;
  var printing = /(^#|&)print\b/.test(window.location.hash);
  if (printing) {
    document.documentElement.classList.add("costlib-print");
    var newPlot = Plotly.newPlot;
    Plotly.newPlot = function (div, data, layout, config) {
      var height = Math.round((layout.height || 450) * H);
      var el = typeof div === "string" ? document.getElementById(div) : div;
      [el, el.parentElement].forEach(function (e) {  // to_html sizes the wrapper too
        e.style.height = height + "px"; e.style.width = W + "px"; });
      layout = Object.assign({}, layout, {width: W, height: height});
      config = Object.assign({}, config, {staticPlot: true, responsive: false});
      return newPlot.call(Plotly, div, data, layout, config);
    };
  }
  function plots() { return document.querySelectorAll(".js-plotly-plot"); }
  window.addEventListener("beforeprint", function () {
    if (!printing) plots().forEach(function (p) { Plotly.relayout(p, {width: W}); });
  });
  window.addEventListener("afterprint", function () {
    if (!printing) plots().forEach(function (p) {
      Plotly.relayout(p, {width: null}); Plotly.Plots.resize(p); });
  });
})();
