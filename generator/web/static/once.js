// Forms marked "once": the button is disabled while the request runs and says what is happening.
(function () {
  var forms = document.querySelectorAll("form.once");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      button.disabled = true;
      var note = document.createElement("span");
      note.className = "busy";
      note.setAttribute("role", "status");
      note.textContent = form.dataset.busy || "正在处理，请稍候…";
      var bar = document.createElement("progress");  // no value: the browser shows it moving
      bar.className = "busy-bar";
      note.appendChild(bar);
      form.appendChild(note);
    });
  });
})();
