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

// Questions asked only under a condition, and figures worked out from other answers.
//
// A conditional question sits in a wrapper carrying its condition as JSON
// (data-openpep-shown-if, the same shape as in the form's YAML: field plus equals, in,
// includes, more_than or answered; or all/any of such). While the condition is false the
// wrapper is hidden, as GOV.UK's conditionally revealed questions are; it stays in the page and
// the server discards whatever it holds when the section is saved. Without this script every
// question is shown, each conditional one with a hint saying when to answer it. A calculated
// figure (data-openpep-calculated) is worked out again as people type, exactly as the server
// works it out (forms/calculations.py): the same rounding, bands and words. A figure whose
// inputs are asked only under conditions carries their conditions (data-openpep-shown-if) and
// is hidden and revealed with its inputs, as the server shows it only with all of them.
const CONDITIONAL = "[data-openpep-shown-if]";
const CALCULATED = "[data-openpep-calculated]";
const ONLY_IF_HINT = ".openpep-conditional__hint";
const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

function readJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// The answer held by the inputs named `name`: a string (a choice, a yes/no's "yes" or "no",
// text, a number as typed), a list of ticked values, or undefined when unanswered. A question
// hidden by its own condition counts as unanswered, as it does on the server.
function answerOf(scope, name) {
  const inputs = Array.from(scope.querySelectorAll(`[name="${CSS.escape(name)}"]`)).filter(
    (input) => !input.disabled && input.type !== "hidden",
  );
  if (inputs.length === 0 || inputs[0].closest(`${CONDITIONAL}[hidden]`)) return undefined;
  const first = inputs[0];
  if (first.type === "radio") {
    const checked = inputs.find((input) => input.checked);
    return checked ? checked.value : undefined;
  }
  if (first.type === "checkbox") {
    const ticked = inputs.filter((input) => input.checked && input.value).map((input) => input.value);
    return ticked.length ? ticked : undefined;
  }
  // A date's three boxes share one name: any of them typed in counts as an answer.
  const typed = inputs.map((input) => input.value.trim()).filter((value) => value !== "");
  return typed.length ? typed.join(" ") : undefined;
}

// A typed number as [digits, decimal places] (exact, so rounding matches the server's), or null.
function exactNumber(answer) {
  if (typeof answer !== "string") return null;
  const text = answer.replace(/[\s,£%]/g, "");
  if (!NUMBER.test(text)) return null;
  const [whole, fraction = ""] = text.split(".");
  return [BigInt(whole + fraction), fraction.length];
}

function numberOf(answer) {
  const exact = exactNumber(answer);
  return exact === null ? null : Number(exact[0]) / 10 ** exact[1];
}

function conditionHolds(condition, answer) {
  if (!condition || typeof condition !== "object") return true;
  if (Array.isArray(condition.all)) return condition.all.every((part) => conditionHolds(part, answer));
  if (Array.isArray(condition.any)) return condition.any.some((part) => conditionHolds(part, answer));
  const value = answer(condition.field);
  const answered = value !== undefined;
  if ("answered" in condition) return answered === condition.answered;
  if (!answered) return false;
  if ("equals" in condition) {
    const wanted = condition.equals;
    if (typeof wanted === "boolean") return value === (wanted ? "yes" : "no");
    if (typeof wanted === "number") return numberOf(value) === wanted;
    return typeof value === "string" && value === String(wanted);
  }
  if ("in" in condition) return typeof value === "string" && condition.in.includes(value);
  if ("includes" in condition) return Array.isArray(value) && value.includes(condition.includes);
  if ("more_than" in condition) {
    const number = numberOf(value);
    return number !== null && number > condition.more_than;
  }
  return true;
}

function controllingFields(condition) {
  if (!condition || typeof condition !== "object") return [];
  const parts = condition.all || condition.any;
  if (Array.isArray(parts)) return parts.flatMap(controllingFields);
  return condition.field ? [condition.field] : [];
}

function answerReader(element) {
  const scope = element.closest("form") || document;
  const prefix = element.dataset.openpepNamePrefix || "";
  return (key) => answerOf(scope, prefix + key);
}

// Wrappers are in the order the questions are declared and conditions refer only to earlier
// questions, so one pass settles everything, a question hidden by a hidden one included.
// Figures go after every question: a figure may come before an input it is worked out from.
function updateConditionalQuestions(root) {
  const wrappers = Array.from(root.querySelectorAll(CONDITIONAL));
  const figures = wrappers.filter((wrapper) => wrapper.matches(CALCULATED));
  const questions = wrappers.filter((wrapper) => !wrapper.matches(CALCULATED));
  for (const wrapper of [...questions, ...figures]) {
    const shown = conditionHolds(readJson(wrapper.dataset.openpepShownIf), answerReader(wrapper));
    if (wrapper.hidden === shown) wrapper.hidden = !shown;
  }
}

// "12.5" for 1 session in 8 at 1 decimal place: rounded half up, as the server rounds.
function percentageText(parts, whole, decimalPlaces) {
  const scale = Math.max(whole[1], ...parts.map((part) => part[1]));
  const atScale = ([digits, places]) => digits * 10n ** BigInt(scale - places);
  const total = parts.reduce((sum, part) => sum + atScale(part), 0n);
  const denominator = atScale(whole);
  const numerator = total * 100n * 10n ** BigInt(decimalPlaces);
  const negative = numerator < 0n;
  const size = negative ? -numerator : numerator;
  let rounded = size / denominator;
  if (2n * (size % denominator) >= denominator) rounded += 1n;
  let digits = rounded.toString();
  if (decimalPlaces > 0) {
    digits = digits.padStart(decimalPlaces + 1, "0");
    digits = `${digits.slice(0, -decimalPlaces)}.${digits.slice(-decimalPlaces)}`;
  }
  return negative && rounded !== 0n ? `-${digits}` : digits;
}

function calculatedText(calculation, answer) {
  const parts = calculation.numerator.map((key) => exactNumber(answer(key)));
  const whole = exactNumber(answer(calculation.denominator));
  if (whole === null || whole[0] <= 0n || parts.some((part) => part === null)) {
    // Every input answered and nothing possible: no percentage, rather than one still to come.
    const nothingToDivide = whole !== null && whole[0] === 0n && !parts.some((part) => part === null);
    return nothingToDivide && calculation.nothing_to_divide
      ? calculation.nothing_to_divide
      : calculation.not_worked_out;
  }
  const percentage = percentageText(parts, whole, calculation.decimal_places);
  const band = calculation.bands.find((each) => Number(percentage) >= each.at_least);
  const label = band ? band.label : calculation.otherwise;
  return label ? `${percentage}% - ${label}` : `${percentage}%`;
}

function updateCalculatedFigures(root) {
  for (const figure of root.querySelectorAll(CALCULATED)) {
    const calculation = readJson(figure.dataset.openpepCalculated);
    const text = figure.querySelector("[data-openpep-calculated-text]");
    if (!calculation || !text) continue;
    const worked = calculatedText(calculation, answerReader(figure));
    if (text.textContent !== worked) text.textContent = worked;
  }
}

// The controlling radios and checkboxes say which questions they show or hide (aria-controls),
// as GOV.UK's conditionally revealing radios do.
function linkControls(root) {
  for (const wrapper of root.querySelectorAll(CONDITIONAL)) {
    const scope = wrapper.closest("form") || document;
    const prefix = wrapper.dataset.openpepNamePrefix || "";
    for (const key of controllingFields(readJson(wrapper.dataset.openpepShownIf))) {
      for (const input of scope.querySelectorAll(`[name="${CSS.escape(prefix + key)}"]`)) {
        if (input.type !== "radio" && input.type !== "checkbox") continue;
        const controls = new Set((input.getAttribute("aria-controls") || "").split(" ").filter(Boolean));
        controls.add(wrapper.id);
        input.setAttribute("aria-controls", Array.from(controls).join(" "));
      }
    }
  }
}

function enhanceConditionsAndFigures(root) {
  if (!root.querySelector(`${CONDITIONAL}, ${CALCULATED}`)) return;
  for (const hint of root.querySelectorAll(ONLY_IF_HINT)) hint.hidden = true;
  linkControls(root);
  updateConditionalQuestions(root);
  updateCalculatedFigures(root);
}

function answersChanged(event) {
  const form = event.target instanceof Element ? event.target.closest("form") : null;
  if (!form || !form.querySelector(`${CONDITIONAL}, ${CALCULATED}`)) return;
  updateConditionalQuestions(form);
  updateCalculatedFigures(form);
}

document.body.addEventListener("input", answersChanged);
document.body.addEventListener("change", answersChanged);
document.body.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail?.elt instanceof Element) enhanceConditionsAndFigures(event.detail.elt);
});
enhanceConditionsAndFigures(document);
