// /config.json says where the API is and how to sign in; fetched once per page load.
let loaded;

export function loadConfig() {
  loaded ??= fetch("/config.json", { cache: "no-store" }).then((response) => {
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    return response.json();
  });
  return loaded;
}
