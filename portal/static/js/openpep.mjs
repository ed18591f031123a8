// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// After htmx swaps content in, start GOV.UK components inside the new content.
document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.detail.elt });
});

// Autosave. The status line is one live region (#autosave-status) that stays in the page: each
// save changes only the words inside it, so a screen reader announces each new status once.
// A save that fails says so there, and never swaps an error page (or any other page) into it.
const AUTOSAVE_TRIGGER = "[data-openpep-autosave]";
const STATUS_REGION = "autosave-status";
// Marks an answer as the portal's status line (templates/peps/_autosave_status.html and
// templates/errors/_autosave_failed.html), as opposed to a page from a proxy or a sign-in page.
const STATUS_MARK = "data-autosave-message";
const KEEP_TYPING = "Your typing is still on this page; try again or press Save.";

function isAutosave(detail) {
  const trigger = detail?.requestConfig?.elt ?? detail?.elt;
  return trigger instanceof Element && trigger.matches(AUTOSAVE_TRIGGER);
}

function isStatusLine(text) {
  return typeof text === "string" && text.includes(STATUS_MARK) && !/<html[\s>]/i.test(text);
}

function whyNotSaved(xhr) {
  const status = xhr ? xhr.status : 0;
  if (status === 0) return "the connection to the service was lost.";
  if (xhr.responseURL && new URL(xhr.responseURL).pathname.startsWith("/login")) {
    return "you have been signed out.";
  }
  if (status === 502 || status === 503 || status === 504) {
    return "the service is not available right now.";
  }
  if (status >= 500) return "there is a problem with the service.";
  if (status === 403) return "this section can no longer be changed here.";
  return "the service did not answer as expected.";
}

function showNotSaved(reason) {
  const region = document.getElementById(STATUS_REGION);
  if (!region) return;
  const message = document.createElement("div");
  message.className = "openpep-autosave-status__message";
  message.setAttribute(STATUS_MARK, "");
  const first = document.createElement("p");
  first.className = "govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-0";
  first.textContent = `Not saved: ${reason}`;
  const second = document.createElement("p");
  second.className = "govuk-body";
  second.textContent = KEEP_TYPING;
  message.append(first, second);
  region.replaceChildren(message);
}

// Whatever the status code, swap only the portal's own status line: a save, a conflict (409),
// or the portal's words for a failure (500, 503). Anything else leaves the form alone.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const { detail } = event;
  if (!isAutosave(detail) || detail.xhr?.status === 204) return;
  if (isStatusLine(detail.serverResponse)) {
    detail.shouldSwap = true;
    return;
  }
  detail.shouldSwap = false;
  showNotSaved(whyNotSaved(detail.xhr));
});

document.body.addEventListener("htmx:responseError", (event) => {
  const { detail } = event;
  if (isAutosave(detail) && !isStatusLine(detail.xhr?.response)) {
    showNotSaved(whyNotSaved(detail.xhr));
  }
});

document.body.addEventListener("htmx:sendError", (event) => {
  if (isAutosave(event.detail)) showNotSaved("the connection to the service was lost.");
});

document.body.addEventListener("htmx:timeout", (event) => {
  if (isAutosave(event.detail)) showNotSaved("the service took too long to answer.");
});
