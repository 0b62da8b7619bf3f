// /config.json says where the API is and how to sign in; fetched once per page load.
// The local cloud adds `now` (its clock, ms since the epoch: `houqin run --at` can start it at another
// time); the pages then tick with the cloud's time. A deployed config has no `now`: the browser's clock.
let loaded;
let offsetMs = 0;

export function loadConfig() {
  loaded ??= fetch("/config.json", { cache: "no-store" }).then(async (response) => {
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    const config = await response.json();
    if (Number.isFinite(config.now)) offsetMs = config.now - Date.now();
    return config;
  });
  return loaded;
}

/** Milliseconds since the epoch on the service's clock (the browser's, shifted to the local cloud's). */
export function nowMs() {
  return Date.now() + offsetMs;
}

/** The service's current time as a Date. */
export function now() {
  return new Date(nowMs());
}
