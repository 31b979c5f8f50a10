// Session page: the live watch. A read-only xterm.js terminal fed by the session's event
// stream (GET /sessions/<id>/live). Nothing typed here goes anywhere: stdin is disabled and
// no handler reads the terminal's input. Nothing is streamed (and so nothing audited) until
// the viewer presses "Watch live".
(function () {
  'use strict';
  var element = document.getElementById('live');
  var button = document.getElementById('watch-start');
  var status = document.getElementById('live-status');
  if (!element || !button || !status || !window.Terminal || !window.EventSource) return;

  // xterm.js draws with <style> elements it creates; the page's CSP admits only those that
  // carry this response's nonce, stamped here as they are created (before insertion).
  var nonce = element.getAttribute('data-style-nonce');
  var createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (name) {
    var created = createElement.apply(this, arguments);
    if (nonce && String(name).toLowerCase() === 'style') created.setAttribute('nonce', nonce);
    return created;
  };

  function say(text) {
    status.textContent = text;
  }

  function payload(event) {
    return JSON.parse(event.data);
  }

  button.addEventListener('click', function () {
    // Once: a second stream would draw everything twice.
    button.parentNode.removeChild(button);
    var terminal = new window.Terminal({ disableStdin: true, cursorBlink: false, scrollback: 5000, fontSize: 13, cols: 80, rows: 24 });
    terminal.open(element);
    var started = false;
    var ended = false;
    say('Connecting…');
    var source = new EventSource(element.getAttribute('data-stream-url'));
    source.addEventListener('start', function () {
      // A reconnect replays the recording from its start: draw it on a clean screen.
      terminal.reset();
      started = true;
      element.setAttribute('data-state', 'live');
      say('Live: following the session as it happens.');
    });
    source.addEventListener('size', function (event) {
      var size = payload(event);
      terminal.resize(size.cols, size.rows);
    });
    source.addEventListener('output', function (event) {
      terminal.write(payload(event).data);
    });
    source.addEventListener('end', function (event) {
      ended = true;
      source.close();
      element.setAttribute('data-state', 'ended');
      say('Ended: ' + payload(event).reason + '. Reload the page for the replay.');
    });
    source.onerror = function () {
      if (ended) return;
      if (source.readyState === EventSource.CLOSED) {
        element.setAttribute('data-state', 'closed');
        say(started ? 'The stream closed. Reload the page to watch again.' : 'Watching was refused, or the session is no longer live: reload the page.');
      } else {
        say('Connection lost: reconnecting…');
      }
    };
  });
})();
