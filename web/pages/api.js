// API 参考: the API's contract, read from GET /openapi.json (OpenAPI 3.1) as the functions publish it:
// every route with who may call it, its inputs and answers, the error shape and the catalogue of error codes.
import { dataTable, h } from "../js/ui.js";

export const strings = {
  "zh-CN": {
    "intro": "Houqin 的全部 HTTP 接口。下面的内容由接口自己发布的 OpenAPI 3.1 文档生成，程序可以直接读取：",
    "download": "下载 openapi.json",
    "errors": "错误代码",
    "errors.intro": "每个错误都是 {\"error\": {\"code\", \"message\", \"field\"}}：code 给程序用，message 给人看，field 指出出错的输入。",
    "col.code": "代码",
    "col.status": "状态码",
    "col.meaning": "含义",
    "col.name": "名称",
    "col.in": "位置",
    "col.type": "类型",
    "col.required": "必填",
    "col.about": "说明",
    "yes": "是",
    "no": "否",
    "public": "公开，无需登录",
    "anyone": "任何登录用户（按对象检查权限）",
    "roles": "角色：{roles}",
    "inputs": "输入",
    "body": "请求体 {name}",
    "answers": "响应：{statuses}",
    "filter": "筛选接口",
    "routes": "{count} 个接口",
  },
  "en": {
    "intro": "Every HTTP route of Houqin. This page is made from the OpenAPI 3.1 document the API publishes itself, which programs can read directly:",
    "download": "Download openapi.json",
    "errors": "Error codes",
    "errors.intro": "Every error is {\"error\": {\"code\", \"message\", \"field\"}}: code is for programs, message for people, field names the input at fault.",
    "col.code": "Code",
    "col.status": "Status",
    "col.meaning": "Meaning",
    "col.name": "Name",
    "col.in": "In",
    "col.type": "Type",
    "col.required": "Required",
    "col.about": "About",
    "yes": "yes",
    "no": "no",
    "public": "Public, no sign-in",
    "anyone": "Anyone signed in (checked per object)",
    "roles": "Roles: {roles}",
    "inputs": "Inputs",
    "body": "Body {name}",
    "answers": "Answers: {statuses}",
    "filter": "Filter routes",
    "routes": "{count} routes",
  },
};

export async function render(container, { api, t, signal, config }) {
  const doc = await api.get("/openapi.json", { signal });
  const link = h("a", { href: `${(config?.apiUrl || "").replace(/\/+$/, "")}/openapi.json`, download: "openapi.json" },
    t("download"));
  container.append(
    h("p", { class: "lead" }, t("intro"), " ", link),
    h("p", { class: "muted" }, `${doc.info.title} ${doc.info.version} · OpenAPI ${doc.openapi}`));

  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
  const search = h("input", { type: "search", id: "api-filter", "aria-label": t("filter"), placeholder: t("filter") });
  const count = h("span", { class: "muted", "aria-live": "polite" });
  const list = h("div", { class: "api-routes" });
  container.append(h("div", { class: "toolbar" }, search, count), list);

  const sections = operations.map((entry) => ({ entry, element: routeSection(entry, doc, t) }));
  list.append(...sections.map((s) => s.element));
  const applyFilter = () => {
    const words = search.value.trim().toLowerCase();
    let shown = 0;
    for (const { entry, element } of sections) {
      const text = `${entry.method} ${entry.path} ${entry.op.summary} ${(entry.op.tags || []).join(" ")}`.toLowerCase();
      element.hidden = Boolean(words) && !text.includes(words);
      if (!element.hidden) shown += 1;
    }
    count.textContent = t("routes", { count: shown });
  };
  search.addEventListener("input", applyFilter);
  applyFilter();

  const codes = Object.entries(doc["x-error-codes"] || {}).map(([code, about]) => ({ code, ...about }));
  container.append(
    h("h2", {}, t("errors")),
    h("p", {}, t("errors.intro")),
    dataTable({
      caption: t("errors"),
      columns: [
        { label: t("col.code"), render: (r) => h("code", {}, r.code) },
        { label: t("col.status"), render: (r) => String(r.status) },
        { label: t("col.meaning"), render: (r) => r.meaning },
      ],
      rows: codes,
    }));
}

function routeSection({ path, method, op }, doc, t) {
  const who = op["x-roles"] === undefined ? t("public")
    : op["x-roles"].length ? t("roles", { roles: op["x-roles"].join(", ") }) : t("anyone");
  const inputs = (op.parameters || []).map((p) => ({
    name: p.name, in: p.in, type: typeOf(p.schema, doc), required: p.required, about: p.description || "",
  }));
  const bodyRef = op.requestBody?.content?.["application/json"]?.schema;
  const bodyName = bodyRef?.$ref ? bodyRef.$ref.split("/").pop() : null;
  const body = bodyName ? doc.components.schemas[bodyName] : null;
  if (body) {
    for (const [name, schema] of Object.entries(body.properties || {})) {
      inputs.push({ name, in: "body", type: typeOf(schema, doc), required: (body.required || []).includes(name),
        about: schema.description || "" });
    }
  }
  const details = h("details", { class: "api-route", id: `op-${op.operationId}` },
    h("summary", {}, h("code", { class: `method method-${method.toLowerCase()}` }, method), " ",
      h("code", {}, path), " — ", op.summary),
    h("p", {}, who),
    ...(op.description || "").split("\n\n").filter((p) => p && !p.startsWith("Roles:") && !p.startsWith("Public:")
      && !p.startsWith("Any signed-in")).map((p) => h("p", {}, p)),
    inputs.length ? dataTable({
      caption: body ? `${t("inputs")} · ${t("body", { name: bodyName })}` : t("inputs"),
      columns: [
        { label: t("col.name"), render: (r) => h("code", {}, r.name) },
        { label: t("col.in"), render: (r) => r.in },
        { label: t("col.type"), render: (r) => r.type },
        { label: t("col.required"), render: (r) => (r.required ? t("yes") : t("no")) },
        { label: t("col.about"), render: (r) => r.about },
      ],
      rows: inputs,
    }) : null,
    h("p", { class: "muted" }, t("answers", { statuses: Object.keys(op.responses).join(", ") })));
  return details;
}

/** A short reading of a JSON Schema: "string ≤ 200", "integer 1–5", "one of: a, b", "list of Line" ... */
function typeOf(schema = {}, doc) {
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.enum) return `one of: ${schema.enum.join(", ")}`;
  const either = schema.oneOf || schema.anyOf; // an optional field: its type or null (null = left out)
  if (either) return either.filter((s) => s.type !== "null").map((s) => typeOf(s, doc)).join(" | ");
  if (schema.type === "array") return `list of ${typeOf(schema.items, doc)}`;
  if (schema.type === "object" && schema.additionalProperties) return `map of ${typeOf(schema.additionalProperties, doc)}`;
  const bounds = [];
  if (schema.minimum !== undefined || schema.maximum !== undefined) bounds.push(`${schema.minimum ?? ""}–${schema.maximum ?? ""}`);
  if (schema.maxLength !== undefined) bounds.push(`≤ ${schema.maxLength}`);
  if (schema.format) bounds.push(schema.format);
  if (schema.pattern) bounds.push(schema.pattern);
  return [schema.type || "any", ...bounds].join(" ");
}
