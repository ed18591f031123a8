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

// The timeout warning (WCAG 2.2.1, the GOV.UK "timeout warning" pattern): before the idle
// timeout ends the session, a dialog says so and offers more time. The server says how long
// the session has left, on the page (#session-timeout) and on every answer (a header), so
// work in another tab or an autosave counts. Without JavaScript nothing opens; the sign-in
// page then says why the person was signed out.
const SECONDS_LEFT_HEADER = "X-OpenPEP-Session-Seconds";
let warningTimer = null;
let countdownTimer = null;

function timeoutSettings() {
  const holder = document.getElementById("session-timeout");
  if (!holder) return null;
  return {
    holder,
    dialog: holder.querySelector("dialog"),
    warningSeconds: Number(holder.dataset.warningSeconds),
    statusUrl: holder.dataset.statusUrl,
    extendUrl: holder.dataset.extendUrl,
    signedOutUrl: holder.dataset.signedOutUrl,
  };
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function inWords(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

function clearTimers() {
  clearTimeout(warningTimer);
  clearInterval(countdownTimer);
  warningTimer = countdownTimer = null;
}

function closeWarning(settings) {
  if (settings?.dialog?.open) settings.dialog.close();
}

function signedOut(settings) {
  clearTimers();
  window.location.assign(settings.signedOutUrl);
}

async function askSecondsLeft(settings, url, method) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  });
  if (!response.ok) return 0;
  const answer = await response.json();
  return Number(answer.seconds_left) || 0;
}

function scheduleWarning(secondsLeft) {
  const settings = timeoutSettings();
  clearTimers();
  if (!settings || !Number.isFinite(secondsLeft)) return;
  closeWarning(settings);
  const wait = Math.max(0, secondsLeft - settings.warningSeconds);
  // The page may have changed by then (a boosted link): read the settings again.
  warningTimer = setTimeout(() => {
    const current = timeoutSettings();
    if (current) checkThenWarn(current);
  }, wait * 1000);
}

async function checkThenWarn(settings) {
  let left;
  try {
    left = await askSecondsLeft(settings, settings.statusUrl, "GET");
  } catch {
    left = settings.warningSeconds; // cannot ask: warn all the same
  }
  if (left <= 0) return signedOut(settings);
  if (left > settings.warningSeconds + 5) return scheduleWarning(left); // used in another tab
  openWarning(settings, left);
}

function openWarning(settings, secondsLeft) {
  const { dialog } = settings;
  if (!dialog) return;
  const countdown = dialog.querySelector("[data-timeout-countdown]");
  const endsAt = Date.now() + secondsLeft * 1000;
  const update = () => {
    const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    countdown.textContent = inWords(left);
    if (left <= 0) {
      clearInterval(countdownTimer);
      checkThenWarn(settings);
    }
  };
  update();
  if (!dialog.open) dialog.showModal();
  countdownTimer = setInterval(update, 1000);
}

async function staySignedIn() {
  const settings = timeoutSettings();
  if (!settings) return;
  let left = 0;
  try {
    left = await askSecondsLeft(settings, settings.extendUrl, "POST");
  } catch {
    left = 0;
  }
  if (left <= 0) return signedOut(settings);
  closeWarning(settings);
  scheduleWarning(left);
}

document.body.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-timeout-stay]")) {
    staySignedIn();
  }
});

// Escape closes the dialog: the person is here, so that counts as staying signed in.
document.body.addEventListener(
  "cancel",
  (event) => {
    if (event.target instanceof Element && event.target.id === "session-timeout-dialog") {
      event.preventDefault();
      staySignedIn();
    }
  },
  true,
);

document.body.addEventListener("htmx:afterRequest", (event) => {
  const seconds = event.detail?.xhr?.getResponseHeader(SECONDS_LEFT_HEADER);
  if (seconds !== null && seconds !== undefined && seconds !== "") {
    scheduleWarning(Number(seconds));
  } else if (!timeoutSettings()) {
    clearTimers();
  }
});

const firstSettings = timeoutSettings();
if (firstSettings) scheduleWarning(Number(firstSettings.holder.dataset.secondsLeft));
