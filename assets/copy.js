// Copy buttons: <button data-copy="#id" data-copied="Copied" hidden>. Without
// JavaScript the button stays hidden and the text can be selected by hand.
(function () {
  "use strict";
  function select(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function done(button) {
    button.textContent = button.getAttribute("data-copied") || button.textContent;
  }
  function copy(button) {
    var el = document.querySelector(button.getAttribute("data-copy"));
    if (!el) return;
    var text = el.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(button); }, function () { select(el); });
      return;
    }
    select(el); // older in-app browsers: select it, and try the legacy command
    try { if (document.execCommand("copy")) done(button); } catch (e) { /* the text stays selected */ }
  }
  function init() {
    var buttons = document.querySelectorAll("[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (ev) { copy(ev.currentTarget); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
