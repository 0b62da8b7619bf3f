// The API client: JSON in and out, the signed-in token as a Bearer header, cursor paging, and
// every failure as an ApiError whose message is in the user's language.
import { fmt, t } from "./i18n.js";

export class ApiError extends Error {
  /**
   * status: HTTP status (0 = network down); code: the API's error code; field: the request field
   * it names, if any; detail: the API's own (English, developer) message; message: for the user.
   */
  constructor({ status, code, field = null, detail = "", retryAfter = null }) {
    super("");
    this.name = "ApiError";
    Object.assign(this, { status, code, field, detail, retryAfter });
    this.message = this.userMessage();
  }

  /** What went wrong with the field alone ("此项必填。"), or "" when no field is named. */
  fieldMessage() {
    return this.field ? describeFieldProblem(this.detail) : "";
  }

  /** The whole sentence for the user; `fieldLabel` names the field as the form shows it. */
  userMessage(fieldLabel) {
    const { status, code } = this;
    if (status === 0) return t("error.network");
    if (status === 401) return t("error.unauthorized");
    if (status === 403) return t("error.forbidden");
    if (status === 404) return t("error.not_found");
    if (status === 409) {
      return code === "version_conflict" || code === "illegal_transition" ? t(`error.${code}`) : t("error.conflict");
    }
    if (status === 429) {
      return this.retryAfter ? t("error.rate_limited", { wait: fmt.duration(Math.max(this.retryAfter, 60)) })
        : t("error.rate_limited_soon");
    }
    if (status >= 500) return t("error.server");
    if (this.field) return t("error.check_field", { field: fieldLabel || this.field, problem: this.fieldMessage() });
    return t("error.bad_request");
  }
}

// The API's validation messages (houqin/validation.py), as the user's words.
const FIELD_PROBLEMS = [
  [/is required|must not be empty/, () => t("error.field.required")],
  [/is longer than (\d+)/, (m) => t("error.field.too_long", { max: m[1] })],
  [/must be one of/, () => t("error.field.choice")],
  [/wrong format|must be a date/, () => t("error.field.format")],
  [/must be a whole number/, () => t("error.field.integer")],
  [/must be at least (\S+)/, (m) => t("error.field.min", { min: m[1] })],
  [/must be at most (\S+)/, (m) => t("error.field.max", { max: m[1] })],
];

function describeFieldProblem(detail = "") {
  for (const [pattern, describe] of FIELD_PROBLEMS) {
    const match = detail.match(pattern);
    if (match) return describe(match);
  }
  return t("error.field.invalid", { detail });
}

/**
 * An API client. `baseUrl` is config.apiUrl; `getToken()` returns (or resolves to) the signed-in token or null;
 * `onUnauthorized(error)` runs when a signed-in request is answered 401 (the token expired).
 */
export function createApi({ baseUrl, getToken = () => null, onUnauthorized = () => {} }) {
  const root = baseUrl.replace(/\/+$/, "");

  async function request(method, path, { query, body, headers = {}, signal, raw = false } = {}) {
    const url = new URL(root + path);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const token = await getToken();
    const init = { method, signal, headers: { Accept: "application/json", ...headers } };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      if (err.name === "AbortError") throw err; // the page was left: not an error to show
      throw new ApiError({ status: 0, code: "network", detail: String(err) });
    }
    if (raw && response.ok) return response; // a file: the caller reads the body
    const payload = await readJson(response);
    if (response.ok) return payload;
    // Our functions answer {"error": {code, field, message}}; the gateway itself {"message"}.
    const error = payload?.error || {};
    const failure = new ApiError({
      status: response.status,
      code: error.code || `http_${response.status}`,
      field: error.field || null,
      detail: error.message || payload?.message || response.statusText,
      retryAfter: Number(response.headers.get("Retry-After")) || null,
    });
    if (response.status === 401 && token) onUnauthorized(failure);
    throw failure;
  }

  /** Every page of a list endpoint (`{items, cursor}`), one page per iteration. */
  async function* pages(path, { query = {}, limit, signal } = {}) {
    let cursor = null;
    do {
      const page = await request("GET", path, { query: { ...query, limit, cursor }, signal });
      yield page;
      cursor = page.cursor;
    } while (cursor);
  }

  /** All items of a list endpoint, at most `max` of them. */
  async function all(path, { query, max = 1000, signal } = {}) {
    const items = [];
    for await (const page of pages(path, { query, limit: 100, signal })) {
      items.push(...page.items);
      if (items.length >= max) return items.slice(0, max);
    }
    return items;
  }

  /** A file the API answers (a report): its bytes and the name Content-Disposition gives (else `fallbackName`). */
  async function file(path, { query, accept, signal, fallbackName } = {}) {
    const response = await request("GET", path, { query, signal, headers: { Accept: accept }, raw: true });
    const name = fileName(response.headers.get("Content-Disposition")) || fallbackName || path.split("/").pop();
    return { blob: await response.blob(), name };
  }

  return {
    request,
    file,
    get: (path, options) => request("GET", path, options),
    post: (path, body, options) => request("POST", path, { ...options, body }),
    put: (path, body, options) => request("PUT", path, { ...options, body }),
    delete: (path, options) => request("DELETE", path, options),
    pages,
    all,
  };
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

function fileName(disposition) {
  if (!disposition) return null;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]);
    } catch { /* fall back to the plain name */ }
  }
  return /filename="([^"]+)"/i.exec(disposition)?.[1] || null;
}
