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
      form.appendChild(note);
    });
  });
})();
