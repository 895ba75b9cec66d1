/* duban pages: small progressive enhancements. Every page works without them. */
(function () {
  "use strict";

  // Charts: <div class="chart" data-chart="ID"> with <script type="application/json" id="ID"> (an ECharts option).
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      var option = JSON.parse(source.textContent);
      chart.setOption(option);
      // A click on a bar or point follows the link the data carries (the list behind the figure).
      chart.on("click", function (p) {
        var links = option.links || {};
        var href = (p.data && p.data.href) || links[p.name];
        if (href) window.location.href = href;
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.drawn = "1";
    });
  }

  // Evidence files: drag and drop onto the zone; size and type checked before anything is sent.
  function setupDropzones(root) {
    root.querySelectorAll("[data-dropzone]").forEach(function (zone) {
      if (zone.dataset.ready) return;
      zone.dataset.ready = "1";
      var input = zone.querySelector("input[type=file]");
      var list = zone.querySelector(".filelist");
      var error = zone.parentElement.querySelector("[data-dropzone-error]");
      var maxBytes = parseInt(zone.dataset.maxBytes, 10);
      var allowed = (zone.dataset.allowed || "").split(",").filter(Boolean);
      function check(files) {
        var problems = [];
        Array.prototype.forEach.call(files, function (f) {
          var dot = f.name.lastIndexOf(".");
          var ext = dot >= 0 ? f.name.slice(dot + 1).toLowerCase() : "";
          if (allowed.length && allowed.indexOf(ext) < 0) problems.push("“" + f.name + "”的类型不允许上传（允许：" + allowed.join("、") + "）");
          else if (maxBytes && f.size > maxBytes) problems.push("“" + f.name + "”超过 " + Math.round(maxBytes / 1048576) + " MB");
        });
        return problems;
      }
      function show(files) {
        var problems = check(files);
        if (error) error.textContent = problems.join("；");
        if (problems.length) { input.value = ""; if (list) list.innerHTML = ""; return; }
        if (list) {
          list.innerHTML = "";
          Array.prototype.forEach.call(files, function (f) {
            var li = document.createElement("li");
            li.textContent = f.name + "（" + Math.max(1, Math.round(f.size / 1024)) + " KB）";
            list.appendChild(li);
          });
        }
      }
      input.addEventListener("change", function () { show(input.files); });
      ["dragenter", "dragover"].forEach(function (t) {
        zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (t) {
        zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
      });
      zone.addEventListener("drop", function (e) {
        if (!e.dataTransfer || !e.dataTransfer.files.length) return;
        input.files = e.dataTransfer.files;
        show(input.files);
      });
    });
  }

  // A button with data-confirm asks first.
  document.addEventListener("submit", function (e) {
    var button = e.submitter;
    var text = (button && button.dataset.confirm) || e.target.dataset.confirm;
    if (text && !window.confirm(text)) e.preventDefault();
  }, true);

  function enhance(root) { drawCharts(root); setupDropzones(root); }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (e) { enhance(e.target); });
})();
