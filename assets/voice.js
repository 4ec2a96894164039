// Voice notes: where the browser has MediaRecorder, a 录音 button records
// into the form's voice file input (DataTransfer), so the form posts it like
// an uploaded file. Without JavaScript or MediaRecorder the button stays
// hidden and the file input works on its own.
(function () {
  "use strict";
  function init() {
    var box = document.querySelector(".voice-recorder");
    var input = document.getElementById("voice");
    if (!box || !input || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
    var button = document.getElementById("voice-record");
    var status = document.getElementById("voice-status");
    var label = button.textContent;
    var max = parseInt(box.getAttribute("data-max"), 10) || 60;
    var rec = null, chunks = [], started = 0, timer = 0;
    box.hidden = false;
    function stop() { if (rec && rec.state === "recording") rec.stop(); }
    button.addEventListener("click", function () {
      if (rec && rec.state === "recording") { stop(); return; }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        var type = ["audio/mp4", "audio/webm;codecs=opus", "audio/ogg;codecs=opus"].filter(function (t) {
          return MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t);
        })[0];
        rec = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
        chunks = [];
        rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        rec.onstop = function () {
          clearTimeout(timer);
          stream.getTracks().forEach(function (t) { t.stop(); });
          var mime = (rec.mimeType || "audio/webm").split(";")[0];
          var ext = mime.indexOf("mp4") >= 0 ? "m4a" : mime.indexOf("ogg") >= 0 ? "ogg" : "webm";
          var dt = new DataTransfer();
          dt.items.add(new File(chunks, "voice." + ext, { type: mime }));
          input.files = dt.files;
          var secs = ((Date.now() - started) / 1000).toFixed(0);
          status.textContent = box.getAttribute("data-recorded").replace("%s", secs);
          button.textContent = label;
        };
        started = Date.now();
        rec.start();
        button.textContent = box.getAttribute("data-stop");
        timer = setTimeout(stop, max * 1000);
      }, function () { box.hidden = true; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
