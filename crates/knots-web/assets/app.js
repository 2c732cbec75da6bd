// knots: the only hand-written script. It makes the body map's regions toggle the region
// checkboxes (click, Enter or Space), sets the side from the clicked shape, and keeps the
// session form's pressure inputs under the pressure ceiling. Every form works without it.
(function () {
  "use strict";
  function toggle(shape) {
    var region = shape.getAttribute("data-region");
    var side = shape.getAttribute("data-side");
    var box = document.querySelector('#find input[name="region"][value="' + region + '"]');
    if (!box) return;
    box.checked = !box.checked;
    var select = document.getElementById("side");
    if (select && box.checked && (side === "left" || side === "right")) {
      var other = select.value;
      select.value = (other !== side && document.querySelector('#find input[name="region"]:checked') !== box && other !== "both") ? "both" : side;
    }
    document.querySelectorAll('.region[data-region="' + region + '"]').forEach(function (g) {
      g.classList.toggle("selected", box.checked);
      g.setAttribute("aria-pressed", box.checked ? "true" : "false");
    });
  }
  function init() {
    document.querySelectorAll(".region").forEach(function (g) {
      if (g.dataset.bound) return;
      g.dataset.bound = "1";
      g.addEventListener("click", function () { toggle(g); });
      g.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(g); }
      });
    });
    var ceiling = document.getElementById("ceiling");
    if (ceiling && !ceiling.dataset.bound) {
      ceiling.dataset.bound = "1";
      ceiling.addEventListener("input", function () {
        document.querySelectorAll("input.pressure").forEach(function (p) { p.max = ceiling.value; });
      });
    }
  }
  function dropzone() {
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("files");
    if (!zone || !input || zone.dataset.bound) return;
    zone.dataset.bound = "1";
    zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("over");
      input.files = e.dataTransfer.files;
      document.getElementById("upload").requestSubmit();
    });
  }
  document.addEventListener("DOMContentLoaded", dropzone);
  document.addEventListener("htmx:load", dropzone);
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:load", init);
})();
