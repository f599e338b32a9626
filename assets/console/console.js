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

// The code editor: a textarea (which stays the real input, so forms, keyboard and screen
// readers work as without script) with line numbers beside it and highlighting drawn behind
// its transparent text. Lines named in data-error-lines are marked in the gutter.
(function () {
  var RHAI = /(\/\/[^\n]*)|("(?:\\.|[^"\\\n])*"|`[^`]*`)|(\b\d[\d_]*(?:\.\d+)?\b)|(\b(?:let|const|if|else|fn|return|true|false|switch|while|loop|for|in|throw|try|catch|this|break|continue)\b)/g;
  var TOML = /(#[^\n]*)|("(?:\\.|[^"\\\n])*"|'[^'\n]*')|(\b\d[\d_]*(?:\.\d+)?\b)|(^[ \t]*\[[^\]\n]*\]+)/gm;
  var CLASSES = ["c", "s", "n", "k"];
  function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function paint(text, re) {
    var out = "", last = 0, m;
    re.lastIndex = 0;
    while ((m = re.exec(text)) !== null) {
      if (m[0] === "") { re.lastIndex++; continue; }
      out += esc(text.slice(last, m.index));
      for (var g = 1; g <= 4; g++) {
        if (m[g] !== undefined) { out += '<span class="t' + CLASSES[g - 1] + '">' + esc(m[0]) + "</span>"; break; }
      }
      last = m.index + m[0].length;
    }
    return out + esc(text.slice(last)) + "\n";
  }
  document.querySelectorAll("textarea.code").forEach(function (area) {
    var re = area.dataset.lang === "rhai" ? RHAI : area.dataset.lang === "toml" ? TOML : null;
    var errors = (area.dataset.errorLines || "").split(",").filter(Boolean);
    var wrap = document.createElement("div");
    wrap.className = "code-editor";
    var gutter = document.createElement("div");
    gutter.className = "gutter";
    gutter.setAttribute("aria-hidden", "true");
    var stage = document.createElement("div");
    stage.className = "stage";
    var back = document.createElement("pre");
    back.className = "paint";
    back.setAttribute("aria-hidden", "true");
    area.parentNode.insertBefore(wrap, area);
    wrap.appendChild(gutter);
    wrap.appendChild(stage);
    stage.appendChild(back);
    stage.appendChild(area);
    function update() {
      var n = area.value.split("\n").length, rows = "";
      for (var i = 1; i <= n; i++) {
        rows += errors.indexOf(String(i)) >= 0 ? '<span class="err">' + i + "</span>\n" : i + "\n";
      }
      gutter.innerHTML = rows;
      back.innerHTML = re ? paint(area.value, re) : esc(area.value) + "\n";
      sync();
    }
    function sync() {
      gutter.scrollTop = area.scrollTop;
      back.scrollTop = area.scrollTop;
      back.scrollLeft = area.scrollLeft;
    }
    area.addEventListener("input", update);
    area.addEventListener("scroll", sync);
    update();
  });
})();
