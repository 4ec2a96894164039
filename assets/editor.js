// Pack editor toolbar: buttons that only insert Markdown into the body, and
// pictures uploaded from the toolbar, the file field, a paste or a drop.
// Everything here is an enhancement: without JavaScript the form's own
// buttons (preview, insert picture, save draft, publish) do the same on the
// server. No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  var form = document.getElementById("pack-editor");
  var body = document.getElementById("body");
  if (!form || !body) return;
  var toolbar = form.querySelector(".toolbar");
  var fileInput = document.getElementById("image");

  function changed() {
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // insert replaces the selection with before + (selection or placeholder) + after.
  function insert(before, placeholder, after) {
    var start = body.selectionStart, end = body.selectionEnd;
    var text = body.value;
    var chosen = text.slice(start, end) || placeholder;
    body.value = text.slice(0, start) + before + chosen + after + text.slice(end);
    body.focus();
    body.selectionStart = start + before.length;
    body.selectionEnd = start + before.length + chosen.length;
    changed();
  }

  // put replaces the selection with text and leaves the cursor after it.
  function put(text) {
    var start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    body.focus();
    body.selectionStart = body.selectionEnd = start + text.length;
    changed();
  }

  // lineStart makes a block start on its own line.
  function lineStart() {
    var start = body.selectionStart;
    if (start === 0 || body.value.charAt(start - 1) === "\n") return "";
    return "\n\n";
  }

  var actions = {
    heading: function (b) { insert(lineStart() + "## ", b.title, "\n"); },
    bold: function (b) { insert("**", b.title, "**"); },
    list: function (b) { insert(lineStart() + "- ", b.title, "\n- \n"); },
    table: function () { insert(lineStart() + "| ", "  ", " |   |\n| --- | --- |\n|   |   |\n"); },
    link: function (b) { insert("[", b.title, "](https://)"); },
    image: function () { if (fileInput) fileInput.click(); }
  };

  if (toolbar) {
    toolbar.hidden = false;
    toolbar.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-md]");
      if (!b) return;
      e.preventDefault();
      var act = actions[b.getAttribute("data-md")];
      if (act) act(b);
    });
  }

  var status = document.getElementById("autosave");

  // upload sends one picture with the form's fields (draft id, CSRF token)
  // and inserts the Markdown the server answers at the cursor.
  function upload(file) {
    var data = new FormData(form);
    data.delete("image");
    data.append("image", file, file.name || "image.png");
    var token = form.querySelector('input[name="_csrf"]');
    var xhr = new XMLHttpRequest();
    xhr.open("POST", body.getAttribute("data-image-url"));
    if (token) xhr.setRequestHeader("X-CSRF-Token", token.value);
    xhr.onload = function () {
      if (xhr.status === 200) {
        put(lineStart() + xhr.responseText + "\n");
      } else if (status) {
        status.textContent = xhr.responseText;
      }
    };
    xhr.send(data);
  }

  function images(list) {
    var out = [];
    for (var i = 0; list && i < list.length; i++) {
      if (list[i].type && list[i].type.indexOf("image/") === 0) out.push(list[i]);
    }
    return out;
  }

  body.addEventListener("paste", function (e) {
    var files = images(e.clipboardData && e.clipboardData.files);
    if (files.length === 0) return;
    e.preventDefault();
    files.forEach(upload);
  });
  body.addEventListener("dragover", function (e) {
    if (images(e.dataTransfer && e.dataTransfer.files).length > 0 || (e.dataTransfer && e.dataTransfer.types.indexOf("Files") >= 0)) e.preventDefault();
  });
  body.addEventListener("drop", function (e) {
    var files = images(e.dataTransfer && e.dataTransfer.files);
    if (files.length === 0) return;
    e.preventDefault();
    files.forEach(upload);
  });
  if (fileInput) {
    fileInput.addEventListener("change", function () {
      images(fileInput.files).forEach(upload);
      fileInput.value = "";
    });
  }
})();
