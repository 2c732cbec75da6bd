// knots: the session form's body map (knots_web::bodymap::session_map), shared by the single-user
// app and clinic mode: a click on a trigger point fills the next finding row without one (its
// trigger point and side) and moves to its tenderness. The form works without it.
(function () {
  "use strict";
  // The session form's map: a click on a trigger point fills the next finding row without one.
  function sessionMap() {
    var map = document.getElementById("session-map");
    if (!map || map.dataset.bound) return;
    map.dataset.bound = "1";
    map.addEventListener("click", function (e) {
      var dot = e.target.closest("a.dot");
      if (!dot) return;
      e.preventDefault();
      for (var i = 0; i < 50; i++) {
        var select = document.querySelector('select[name="f' + i + '_tp"]');
        if (!select) return;
        if (!select.value) {
          select.value = dot.getAttribute("data-tp");
          var side = document.querySelector('select[name="f' + i + '_side"]');
          if (side) side.value = dot.getAttribute("data-side");
          dot.classList.add("chosen");
          var tenderness = document.querySelector('input[name="f' + i + '_tenderness"]');
          if (tenderness) tenderness.focus();
          return;
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", sessionMap);
  document.addEventListener("htmx:load", sessionMap);
})();
