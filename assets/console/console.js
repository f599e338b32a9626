// The console's own script (progressive enhancement only: every page works without it).
// The questionnaire's progress: how many questions have an answer.
(function () {
  var form = document.getElementById("questionnaire");
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  if (!form || !bar) return;
  function update() {
    var sets = form.querySelectorAll("fieldset.question");
    var done = 0;
    sets.forEach(function (s) { if (s.querySelector("input:checked")) done++; });
    bar.value = done;
    if (text) text.textContent = "已答 " + done + " / " + sets.length + " 题";
  }
  form.addEventListener("change", update);
  update();
})();
