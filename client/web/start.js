// Starts the viewer; a file of its own (not inline) so the page's Content-Security-Policy
// can allow scripts from this origin only.
import init from "./village-viewer.js";

const loading = document.getElementById("loading");
init().then(() => loading.remove()).catch((error) => {
  // Bevy leaves the event loop by throwing; anything else is a real failure.
  if (!String(error).includes("Using exceptions for control flow")) {
    loading.textContent = "The viewer failed to start: " + error;
    console.error(error);
  } else {
    loading.remove();
  }
});
