// Form fields with their label, hint and error slot, and showing an API error on the field it names.
import { t } from "./i18n.js";
import { h } from "./ui.js";

let serial = 0;

/**
 * A labelled control. `name` is the API's field name, so an error naming it lands here.
 * kind: "input" (default, with `type`), "textarea" or "select" (with options [{value, label}]).
 * optional: marks the label "(选填)"; required (default: not optional) sets aria-required. Neither
 * blocks submitting: the API is the judge, and its error lands on the field.
 */
export function field({ name, label, kind = "input", type = "text", options = [], optional = false,
  required = !optional, hint, value, attrs = {} }) {
  const id = `f-${name}-${++serial}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const common = { id, name, "aria-describedby": hintId, "aria-required": required ? "true" : null, ...attrs };
  let control;
  if (kind === "textarea") control = h("textarea", common);
  else if (kind === "select") {
    control = h("select", common, options.map((o) => h("option", { value: o.value }, o.label)));
  } else control = h("input", { type, ...common });
  if (value !== undefined) control.value = value;
  control.addEventListener("input", () => {
    clearFieldError(control);
    const form = control.form;
    if (form && !form.querySelector("[aria-invalid]")) form.querySelector(":scope > .form-error")?.remove();
  });
  return h("div", { class: "field" },
    h("label", { for: id }, label, optional ? h("span", { class: "optional" }, t("common.optional")) : null),
    control,
    h("p", { class: "field-error", id: errorId, hidden: true }),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null);
}

/** The form's fields as an object of trimmed strings; empty optional fields are left out. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) {
    const text = String(value).trim();
    if (text !== "") values[name] = text;
  }
  return values;
}

export function clearFormErrors(form) {
  form.querySelectorAll("[aria-invalid]").forEach(clearFieldError);
  form.querySelector(":scope > .form-error")?.remove();
}

function clearFieldError(control) {
  control.removeAttribute("aria-invalid");
  const error = document.getElementById(`${control.id}-error`);
  if (error) {
    error.hidden = true;
    error.textContent = "";
  }
  control.setAttribute("aria-describedby", describedBy(control).filter((id) => id !== error?.id).join(" "));
  if (!control.getAttribute("aria-describedby")) control.removeAttribute("aria-describedby");
}

function describedBy(control) {
  return (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
}

/**
 * Show an error on a form: when the API names a field of this form, that control is marked
 * aria-invalid, the problem appears under it and it gets the focus; the sentence also goes to
 * the top of the form (under its heading). Returns true when a field was found.
 */
export function showFormError(form, error) {
  clearFormErrors(form);
  const control = error?.field ? form.querySelector(`[name="${CSS.escape(error.field)}"]`) : null;
  const label = control ? form.querySelector(`label[for="${CSS.escape(control.id)}"]`) : null;
  const fieldLabel = label ? label.firstChild.textContent.trim() : undefined;
  const message = typeof error?.userMessage === "function" ? error.userMessage(fieldLabel) : t("error.server");
  const box = h("div", { class: "form-error alert alert-error", role: "alert" }, h("p", {}, message));
  const heading = form.querySelector(":scope > h2, :scope > h3");
  if (heading) heading.after(box);
  else form.prepend(box);
  if (!control) return false;
  const slot = document.getElementById(`${control.id}-error`);
  slot.textContent = error.fieldMessage();
  slot.hidden = false;
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-describedby", [...describedBy(control), slot.id].join(" "));
  control.focus();
  return true;
}

/**
 * Run `submit(values)` on submit with the button disabled meanwhile; an ApiError is shown on the form.
 * `onDone(result)` runs after success.
 */
export function handleSubmit(form, submit, onDone = () => {}) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((b) => { b.disabled = true; });
    clearFormErrors(form);
    try {
      onDone(await submit(formValues(form)));
    } catch (err) {
      if (err?.name === "AbortError") return;
      showFormError(form, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}
