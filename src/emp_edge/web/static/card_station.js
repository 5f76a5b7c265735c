// The card station's pages: the browser's camera for the pupil's photo, and the name of the
// person asking for a card. Both only help: the plain file upload and the forms work without
// them. No inline scripts anywhere (CSP).
"use strict";

// the card's photo box, width:height (318 × 354 px at least, §16.1)
const PHOTO_RATIO = 318 / 354;
// the picture sent is at most this tall: twice the least, room for the check's crop
const PHOTO_HEIGHT = 708;
const JPEG_QUALITY = 0.92;

function setUpCamera(form) {
  const input = form.querySelector('input[type="file"]');
  const box = form.querySelector("[data-camera-box]");
  const video = form.querySelector("[data-camera-video]");
  const canvas = form.querySelector("[data-camera-canvas]");
  const start = form.querySelector("[data-camera-start]");
  const shoot = form.querySelector("[data-camera-shoot]");
  const stop = form.querySelector("[data-camera-stop]");
  const problem = form.querySelector("[data-camera-problem]");
  if (!input || !box || !video || !canvas || !start || !shoot || !stop || !problem) return;
  const media = navigator.mediaDevices;
  if (!media || typeof media.getUserMedia !== "function" || typeof DataTransfer !== "function") {
    return; // an older browser: the file field (and a phone's own camera through it) remains
  }
  let stream = null;

  function close() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    box.hidden = true;
    start.hidden = false;
  }

  start.hidden = false;
  start.addEventListener("click", async () => {
    problem.hidden = true;
    try {
      stream = await media.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } },
        audio: false,
      });
    } catch (err) {
      problem.hidden = false; // refused, or no camera: choose a file instead
      return;
    }
    video.srcObject = stream;
    box.hidden = false;
    start.hidden = true;
  });
  stop.addEventListener("click", close);
  shoot.addEventListener("click", () => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return;
    // the middle of the picture, cut to the photo box's shape; the server checks the rest
    let cropHeight = height;
    let cropWidth = Math.round(height * PHOTO_RATIO);
    if (cropWidth > width) {
      cropWidth = width;
      cropHeight = Math.round(width / PHOTO_RATIO);
    }
    const outHeight = Math.min(cropHeight, PHOTO_HEIGHT);
    const outWidth = Math.round(outHeight * PHOTO_RATIO);
    canvas.width = outWidth;
    canvas.height = outHeight;
    canvas.getContext("2d").drawImage(
      video, (width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight,
      0, 0, outWidth, outHeight
    );
    canvas.toBlob((blob) => {
      if (!blob) {
        problem.hidden = false;
        return;
      }
      const files = new DataTransfer();
      files.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      input.files = files.files;
      close();
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    }, "image/jpeg", JPEG_QUALITY);
  });
  window.addEventListener("pagehide", close);
}

// When the pupil asks, the name is the pupil's own; another person types theirs.
function setUpRequester(form) {
  const pupilName = form.dataset.pupilName || "";
  const select = form.querySelector('select[name="requester"]');
  const name = form.querySelector('input[name="requester_name"]');
  if (!select || !name || !pupilName) return;
  select.addEventListener("change", () => {
    const typed = name.value.trim();
    if (select.value === "pupil" && !typed) name.value = pupilName;
    else if (select.value !== "pupil" && typed === pupilName) name.value = "";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-camera]")) setUpCamera(form);
  for (const form of document.querySelectorAll("form[data-pupil-name]")) setUpRequester(form);
});
