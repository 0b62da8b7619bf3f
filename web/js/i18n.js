// Translations and locale formatting. zh-CN is the default language, English the alternative.
// Strings live in tables: the shared one (web/js/strings.js) and one per page module, each
// `{"zh-CN": {key: text}, "en": {key: text}}` with flat dotted keys and {param} placeholders.

export const LANGUAGES = ["zh-CN", "en"];
export const DEFAULT_LANGUAGE = "zh-CN";
export const TIME_ZONE = "Asia/Shanghai";
const STORAGE_KEY = "houqin.lang";
const SHARED = "shared";

const tables = new Map(); // table name -> {"zh-CN": {...}, "en": {...}}
const listeners = new Set();
let current = readStoredLanguage();

function readStoredLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : DEFAULT_LANGUAGE;
  } catch {
    return DEFAULT_LANGUAGE; // storage blocked (private mode): stay on the default
  }
}

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang) || lang === current) return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch { /* not kept, still switched */ }
  document.documentElement.lang = lang;
  for (const listener of listeners) listener(lang);
}

/** Call `listener(lang)` after every language change; returns the unsubscribe function. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Register a strings table under a name (a page id, or "shared"). Registering again replaces it. */
export function registerStrings(name, strings) {
  tables.set(name, strings || {});
}

function lookup(name, lang, key) {
  return tables.get(name)?.[lang]?.[key];
}

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * A `t(key, params)` that reads the named table first, then the shared one. A key missing in the
 * current language falls back to zh-CN; a key missing everywhere shows itself, so it gets noticed.
 */
export function translator(name = SHARED) {
  return function t(key, params) {
    for (const lang of [current, DEFAULT_LANGUAGE]) {
      const text = lookup(name, lang, key) ?? lookup(SHARED, lang, key);
      if (text !== undefined) return fill(text, params);
    }
    console.warn(`i18n: no string "${key}" in ${name} or ${SHARED}`);
    return key;
  };
}

export const t = translator(SHARED);

/**
 * Keys present in one language but not the other, and texts whose {placeholders} differ, across
 * every registered table: `["board: en lacks \"title\"", ...]`. Empty when translations are complete.
 */
export function missingKeys() {
  const problems = [];
  const placeholders = (text) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
  for (const [name, table] of tables) {
    for (const lang of LANGUAGES) {
      const others = LANGUAGES.filter((other) => other !== lang);
      for (const key of Object.keys(table[lang] || {})) {
        for (const other of others) {
          const there = table[other]?.[key];
          if (there === undefined) problems.push(`${name}: ${other} lacks "${key}"`);
          else if (lang === DEFAULT_LANGUAGE && placeholders(there) !== placeholders(table[lang][key])) {
            problems.push(`${name}: "${key}" has other placeholders in ${other}`);
          }
        }
      }
    }
  }
  return problems;
}

// ------------------------------------------------------------------ formatters
// Built per call from the current language: Intl caches its data, and a language switch just works.
export const fmt = {
  /** Integer fen as yuan: 123450 -> "¥1,234.50". */
  money(fen) {
    if (fen === null || fen === undefined) return "—";
    return new Intl.NumberFormat(current, {
      style: "currency", currency: "CNY", currencyDisplay: "narrowSymbol",
    }).format(Number(fen) / 100);
  },

  number(value, fractionDigits) {
    if (value === null || value === undefined) return "—";
    const digits = fractionDigits === undefined ? {} : {
      minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits,
    };
    return new Intl.NumberFormat(current, digits).format(value);
  },

  /** An ISO instant as campus (Asia/Shanghai) date and time. */
  dateTime(iso) {
    return formatDate(iso, { dateStyle: "medium", timeStyle: "short" });
  },

  /** An ISO instant's campus date, or a YYYY-MM-DD date as is. */
  date(iso) {
    return formatDate(/^\d{4}-\d{2}-\d{2}$/.test(iso ?? "") ? `${iso}T12:00:00+08:00` : iso, { dateStyle: "medium" });
  },

  time(iso) {
    return formatDate(iso, { timeStyle: "short" });
  },

  /** "2026-11" -> "2026年11月" / "November 2026". */
  month(yearMonth) {
    if (!yearMonth) return "—";
    return formatDate(`${yearMonth}-15T12:00:00+08:00`, { year: "numeric", month: "long" });
  },

  /** Seconds as the two largest units: "2小时5分" / "2 h 5 min"; under a minute "不到1分钟". */
  duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const total = Math.floor(Math.abs(Number(seconds)) / 60); // whole minutes
    if (total < 1) return t("duration.under_minute");
    const parts = [
      [Math.floor(total / 1440), "duration.days"],
      [Math.floor((total % 1440) / 60), "duration.hours"],
      [total % 60, "duration.minutes"],
    ];
    const first = parts.findIndex(([n]) => n > 0);
    return parts.slice(first, first + 2).filter(([n]) => n > 0)
      .map(([n, key]) => t(key, { n })).join(t("duration.separator"));
  },
};

function formatDate(iso, options) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current, { timeZone: TIME_ZONE, ...options }).format(date);
}
