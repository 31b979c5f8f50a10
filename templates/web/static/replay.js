// Session page: builds the asciinema player over the recording. Nothing is fetched (and so
// nothing audited) until the viewer presses play: `preload` stays off.
(function () {
  'use strict';
  var element = document.getElementById('replay');
  if (!element || !window.AsciinemaPlayer) return;
  window.AsciinemaPlayer.create(element.getAttribute('data-recording-url'), element, {
    preload: false,
    fit: 'width',
    idleTimeLimit: 2,
    terminalFontSize: 'small',
    theme: 'asciinema',
  });
})();
