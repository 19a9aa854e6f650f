// The town hall's one script (the CSP allows no inline script). Pages work without it; it only
// asks before a button marked data-confirm does something hard to undo.
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
