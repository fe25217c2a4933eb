"use strict";
// The translate-jobs console: a jobs list, a job page and a Start form over Amazon Translate's own API
// (AWS JSON 1.1), which the console's server signs as the tenant. Everything on screen is built with
// createElement and text nodes, never innerHTML: job names, messages and S3 keys are user input.
// Where the console is (page, filter, job) lives in the URL's hash, so a reload shows the same thing.

const STATUSES = ["SUBMITTED", "IN_PROGRESS", "COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOP_REQUESTED", "STOPPED"];
const TERMINAL = new Set(["COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"]);
const STOPPABLE = new Set(["SUBMITTED", "IN_PROGRESS"]);
const CONTENT_TYPES = [
  ["text/plain", "Plain text"],
  ["text/html", "HTML"],
  ["application/x-xliff+xml", "XLIFF"],
  ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (.docx)"],
  ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint (.pptx)"],
  ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (.xlsx)"],
];
const JOBS_PER_PAGE = 25;
const RATE_WINDOW_MS = 30000;

let config = { account: "", region: "", defaults: {} };
let view = 0; // bumped on every navigation: a page's refresh loop and late answers stop when it changes

// -- building the page --

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "className") node.className = value;
    else if (name === "value") node.value = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function show(...nodes) {
  document.getElementById("main").replaceChildren(...nodes);
}

function statusBadge(status) {
  return el("span", { className: `status status-${STATUSES.includes(status) ? status : "other"}`, "data-status": status }, status.replaceAll("_", " "));
}

function counts(properties) {
  const details = properties.JobDetails || {};
  const total = details.InputDocumentsCount || 0;
  const translated = details.TranslatedDocumentsCount || 0;
  const failed = details.DocumentsWithErrorsCount || 0;
  return { total, translated, failed, done: translated + failed };
}

function progressBar(properties) {
  const { total, done } = counts(properties);
  const bar = el("progress", { max: Math.max(total, 1), value: done, "aria-label": "documents done" });
  return el("span", { className: "progress" }, bar, " ", total ? `${done.toLocaleString()} / ${total.toLocaleString()}` : "—");
}

function languages(properties) {
  return `${properties.SourceLanguageCode || "?"} → ${(properties.TargetLanguageCodes || []).join(", ")}`;
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "—";
}

function objectLink(uri, text) {
  return el("a", { href: "/api/s3/object?uri=" + encodeURIComponent(uri), target: "_blank", rel: "noopener" }, text ?? uri);
}

function jobLink(jobId, text) {
  return el("a", { href: "#/jobs/" + encodeURIComponent(jobId), className: "id" }, text ?? jobId);
}

function errorBox() {
  return el("div", { className: "error", role: "alert" });
}

function report(box, error) {
  box.textContent = error ? `${error.type || "Error"}: ${error.message}` : "";
}

// -- calling the API --

async function answer(response) {
  const text = await response.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    const error = new Error(body.message || body.Message || response.statusText);
    error.type = String(body.__type || response.headers.get("x-amzn-ErrorType") || "Error").split("#").pop();
    error.status = response.status;
    throw error;
  }
  return body;
}

async function translate(operation, request) {
  const response = await fetch("/api/translate/" + operation, {
    method: "POST", headers: { "Content-Type": "application/x-amz-json-1.1" }, body: JSON.stringify(request || {}),
  });
  return answer(response);
}

async function get(path, parameters) {
  const query = new URLSearchParams(Object.entries(parameters || {}).filter(([, value]) => value !== undefined && value !== null));
  return answer(await fetch(`${path}?${query}`));
}

// Runs refresh now and then every `milliseconds` (or what it returns) while this page is shown.
function every(milliseconds, refresh) {
  const mine = view;
  const tick = async () => {
    if (mine !== view) return;
    let next = milliseconds;
    try {
      next = (await refresh(mine)) || milliseconds;
    } finally {
      if (mine === view) setTimeout(tick, next);
    }
  };
  tick();
}

// -- the jobs list --

const FILTERS = {
  "": { label: "No filter" },
  name: { label: "Job name", field: "JobName" },
  status: { label: "Status", field: "JobStatus" },
  before: { label: "Submitted before", field: "SubmittedBeforeTime", time: true },
  after: { label: "Submitted after", field: "SubmittedAfterTime", time: true },
};

function jobsPage(parameters) {
  const kind = FILTERS[parameters.get("filter")] ? parameters.get("filter") : "";
  const value = parameters.get("value") || "";
  const token = parameters.get("token") || "";
  const errors = errorBox();
  const rows = el("tbody", {}, el("tr", {}, el("td", { colspan: 6, className: "muted" }, "Loading…")));
  const next = el("button", { id: "next-page", disabled: true }, "Next page");
  const first = el("button", { id: "first-page", disabled: !token, onclick: () => go("jobs", { filter: kind, value }) }, "First page");

  const kindSelect = el("select", { id: "filter-kind", "aria-label": "Filter by" },
    Object.entries(FILTERS).map(([key, filter]) => el("option", { value: key, selected: key === kind }, filter.label)));
  let valueInput = filterInput(kind, value);
  const valueSlot = el("span", {}, valueInput);
  kindSelect.addEventListener("change", () => {
    valueInput = filterInput(kindSelect.value, "");
    valueSlot.replaceChildren(valueInput);
  });
  const filters = el("form", { className: "filters", id: "filters", onsubmit: (event) => {
    event.preventDefault();
    go("jobs", { filter: kindSelect.value, value: kindSelect.value ? valueInput.value : "" });
  } }, kindSelect, valueSlot, el("button", { type: "submit" }, "Apply"),
  el("button", { type: "button", onclick: () => go("jobs", {}) }, "Clear"));

  show(
    el("h1", {}, "Translation jobs", el("a", { href: "#/start" }, el("button", { className: "primary", type: "button" }, "Start a job"))),
    el("section", {}, filters, errors,
      el("table", { id: "jobs" },
        el("thead", {}, el("tr", {}, ["Name", "Job ID", "Status", "Languages", "Submitted", "Progress"].map((h) => el("th", {}, h)))),
        rows),
      el("div", { className: "pager" }, first, next)),
  );

  const request = { MaxResults: JOBS_PER_PAGE };
  if (kind && value) request.Filter = { [FILTERS[kind].field]: FILTERS[kind].time ? Date.parse(value) / 1000 : value };
  if (token) request.NextToken = token;

  every(3000, async (mine) => {
    try {
      const page = await translate("ListTextTranslationJobs", request);
      if (mine !== view) return;
      report(errors, null);
      const jobs = page.TextTranslationJobPropertiesList || [];
      rows.replaceChildren(...(jobs.length ? jobs.map(jobRow)
        : [el("tr", {}, el("td", { colspan: 6, className: "muted" }, kind ? "No job matches this filter." : "No jobs yet: start one."))]));
      next.disabled = !page.NextToken;
      next.onclick = () => go("jobs", { filter: kind, value, token: page.NextToken });
    } catch (error) {
      if (mine === view) report(errors, error);
    }
  });
}

function filterInput(kind, value) {
  const attributes = { id: "filter-value", "aria-label": "Filter value", value };
  if (kind === "status") {
    return el("select", attributes, STATUSES.map((status) => el("option", { value: status, selected: status === value }, status)));
  }
  if (FILTERS[kind] && FILTERS[kind].time) return el("input", { ...attributes, type: "datetime-local", required: true });
  return el("input", { ...attributes, type: "text", disabled: !kind, placeholder: kind ? "exact job name" : "" });
}

function jobRow(properties) {
  return el("tr", { "data-job-id": properties.JobId },
    el("td", {}, properties.JobName || el("span", { className: "muted" }, "—")),
    el("td", {}, jobLink(properties.JobId)),
    el("td", {}, statusBadge(properties.JobStatus)),
    el("td", {}, languages(properties)),
    el("td", {}, when(properties.SubmittedTime)),
    el("td", {}, progressBar(properties)));
}

// -- one job --

function jobPage(jobId) {
  const errors = errorBox();
  const title = el("span", {}, jobId);
  const badge = el("span", {});
  const stop = el("button", { id: "stop", className: "danger", disabled: true }, "Stop");
  const bar = el("progress", { id: "job-progress", max: 1, value: 0, "aria-label": "documents done" });
  const summary = el("div", { id: "progress-text", className: "muted" }, "Loading…");
  const properties = el("dl", { className: "properties", id: "properties" });
  const outputs = el("div", { id: "outputs" });
  const events = el("tbody", { id: "events" });
  const samples = []; // (time, documents done): the rate and the time left
  let status = "";
  let documentsShown = false;

  stop.addEventListener("click", async () => {
    stop.disabled = true;
    try {
      const stopped = await translate("StopTextTranslationJob", { JobId: jobId });
      badge.replaceChildren(statusBadge(stopped.JobStatus));
    } catch (error) {
      report(errors, error);
    }
  });

  show(
    el("p", {}, el("a", { href: "#/jobs" }, "Translation jobs"), " › ", el("span", { className: "id" }, jobId)),
    el("h1", {}, title, badge, stop),
    errors,
    el("section", { className: "big" }, el("h2", {}, "Progress"), bar, summary),
    el("section", {}, el("h2", {}, "Job details"), properties),
    el("section", {}, el("h2", {}, "Events"),
      el("table", {}, el("thead", {}, el("tr", {}, ["Time", "Status", "From", "Stop requested by"].map((h) => el("th", {}, h)))), events)),
    el("section", {}, el("h2", {}, "Output"), outputs),
  );

  every(1000, async (mine) => {
    let job;
    try {
      job = (await translate("DescribeTextTranslationJob", { JobId: jobId })).TextTranslationJobProperties;
    } catch (error) {
      if (mine === view) report(errors, error);
      return error.status === 400 && error.type === "ResourceNotFoundException" ? 60000 : 2000;
    }
    if (mine !== view) return;
    report(errors, null);
    status = job.JobStatus;
    title.textContent = job.JobName || job.JobId;
    document.title = `${job.JobName || job.JobId} · translate-jobs console`;
    badge.replaceChildren(statusBadge(status));
    stop.disabled = !STOPPABLE.has(status);
    const { total, translated, failed, done } = counts(job);
    bar.max = Math.max(total, 1);
    bar.value = done;
    samples.push([Date.now(), done]);
    while (samples.length > 2 && samples[0][0] < Date.now() - RATE_WINDOW_MS) samples.shift();
    summary.textContent = progressText(status, total, translated, failed, samples);
    properties.replaceChildren(...propertyRows(job));
    await refreshEvents(jobId, events, mine);
    if (TERMINAL.has(status) && !documentsShown) {
      documentsShown = true;
      showOutputs(job, outputs);
    } else if (!TERMINAL.has(status)) {
      outputs.replaceChildren(el("p", { className: "muted" }, "Each document's result is written to the job's details files when the job ends."));
    }
    return TERMINAL.has(status) ? 5000 : 1000;
  });
}

function progressText(status, total, translated, failed, samples) {
  if (!total) return status === "SUBMITTED" ? "Waiting to start." : TERMINAL.has(status) ? "No documents." : "Listing the documents…";
  let text = `${translated.toLocaleString()} of ${total.toLocaleString()} documents translated`;
  if (failed) text += `, ${failed.toLocaleString()} with errors`;
  if (!TERMINAL.has(status) && samples.length > 1) {
    const [[t0, d0], [t1, d1]] = [samples[0], samples[samples.length - 1]];
    const rate = (d1 - d0) / ((t1 - t0) / 1000);
    if (rate > 0) text += ` · ${rate.toFixed(rate < 10 ? 1 : 0)} documents/s · about ${duration((total - d1) / rate)} left`;
  }
  return text;
}

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function propertyRows(job) {
  const input = job.InputDataConfig || {};
  const output = job.OutputDataConfig || {};
  const settings = Object.entries(job.Settings || {}).map(([key, value]) => `${key}: ${value}`).join(", ");
  const rows = [
    ["Job ID", el("span", { className: "id" }, job.JobId)],
    ["Name", job.JobName || "—"],
    ["Status", job.JobStatus],
    ["Message", job.Message || "—"],
    ["Submitted", when(job.SubmittedTime)],
    ["Ended", when(job.EndTime)],
    ["Languages", languages(job)],
    ["Input", `${input.S3Uri || ""} (${input.ContentType || ""})`],
    ["Output", output.S3Uri || "—"],
    ["Data access role", job.DataAccessRoleArn || "—"],
    ["Terminology", (job.TerminologyNames || []).join(", ") || "—"],
    ["Parallel data", (job.ParallelDataNames || []).join(", ") || "—"],
    ["Settings", settings || "—"],
  ];
  return rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", { "data-property": name }, value)]);
}

async function refreshEvents(jobId, events, mine) {
  try {
    const found = await get("/api/events", { job: jobId });
    if (mine !== view) return;
    const rows = found.events.map((event) => el("tr", {},
      el("td", {}, event.time ? new Date(event.time).toLocaleString() : "—"),
      el("td", {}, statusBadge(event.jobStatus)),
      el("td", {}, event.previousJobStatus || "—"),
      el("td", {}, event.stopRequestedBy ? `${event.stopRequestedBy.Principal} (${event.stopRequestedBy.Channel})` : "")));
    events.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, className: "muted" },
      `No events received since the console started (${new Date(found.since * 1000).toLocaleString()}).`))]));
  } catch {
    // the events are extra: the job's own properties are what matter
  }
}

function showOutputs(job, outputs) {
  const output = (job.OutputDataConfig || {}).S3Uri || "";
  const targets = job.TargetLanguageCodes || [];
  const detailsUri = (target) => `${output}details/${target}.auxiliary-translation-details.json`;
  const languageSelect = el("select", { id: "details-language", "aria-label": "Language" },
    targets.map((target) => el("option", { value: target }, target)));
  const rows = el("tbody", { id: "documents" });
  const more = el("button", { id: "more-documents", hidden: true }, "More documents");
  const errors = errorBox();
  let offset = null;

  const load = async (first) => {
    if (first) {
      offset = null;
      rows.replaceChildren();
    }
    try {
      const page = await get("/api/details", { uri: detailsUri(languageSelect.value), offset });
      const header = page.header || {};
      if (header.inputDataPrefix !== undefined) {
        rows.dataset.input = header.inputDataPrefix;
        rows.dataset.output = header.outputDataPrefix;
      }
      rows.append(...page.documents.map((document) => documentRow(document, rows.dataset.input, rows.dataset.output)));
      offset = page.next;
      more.hidden = page.next === null;
      report(errors, null);
    } catch (error) {
      report(errors, error.type === "NoSuchKey" ? { type: "No details file", message: "this job wrote none (it processed no document)." } : error);
    }
  };
  languageSelect.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));

  outputs.replaceChildren(
    el("p", {}, "Output folder: ", el("span", { className: "id" }, output)),
    el("p", {}, "Details files: ", targets.map((target, n) => [n ? ", " : "", objectLink(detailsUri(target), target)])),
    el("h2", {}, "Documents ", languageSelect),
    errors,
    el("table", {}, el("thead", {}, el("tr", {}, ["Document", "Status", "Output", "Reason"].map((h) => el("th", {}, h)))), rows),
    el("div", { className: "pager" }, more),
  );
  load(true);
}

function documentRow(document, inputPrefix, outputPrefix) {
  const error = ((document.auxiliaryData || {}).error || {}).errorMessage;
  return el("tr", { className: "document" },
    el("td", { className: "source" }, inputPrefix ? objectLink(inputPrefix + document.sourceFile, document.sourceFile) : document.sourceFile),
    el("td", {}, document.status),
    el("td", {}, document.targetFile ? objectLink(outputPrefix + document.targetFile, document.targetFile) : "—"),
    el("td", {}, error || ""));
}

// -- starting a job --

function startPage() {
  const errors = errorBox();
  let clientToken = crypto.randomUUID(); // one per job asked for: a retried click never starts two jobs
  const field = (id, attributes) => el("input", { id, name: id, type: "text", ...attributes });
  const name = field("job-name", { placeholder: "optional" });
  const input = field("input-uri", { value: config.defaults.input || "s3://", required: true });
  const output = field("output-uri", { value: config.defaults.output || "s3://", required: true });
  const role = field("role-arn", { value: config.defaults.role || "", required: true });
  const source = field("source-language", { value: "en", required: true });
  const targets = field("target-languages", { placeholder: "fr, de", required: true });
  // The account's own terminologies and ACTIVE parallel data (a job takes at most one of each), listed once the form shows.
  const terminology = el("select", { id: "terminology-names" }, el("option", { value: "" }, "—"));
  const parallelData = el("select", { id: "parallel-data-names" }, el("option", { value: "" }, "—"));
  offerNames(terminology, "ListTerminologies", "TerminologyPropertiesList", () => true);
  offerNames(parallelData, "ListParallelData", "ParallelDataPropertiesList", (item) => item.Status === "ACTIVE");
  const contentType = el("select", { id: "content-type" }, CONTENT_TYPES.map(([type, label]) => el("option", { value: type }, `${label} (${type})`)));
  const setting = (id, values) => el("select", { id }, ["", ...values].map((value) => el("option", { value }, value || "—")));
  const formality = setting("formality", ["FORMAL", "INFORMAL"]);
  const profanity = setting("profanity", ["MASK"]);
  const brevity = setting("brevity", ["ON"]);
  const submit = el("button", { type: "submit", className: "primary", id: "start" }, "Start job");
  const inputPicker = el("div", { className: "picker", id: "input-picker", hidden: true });
  const outputPicker = el("div", { className: "picker", id: "output-picker", hidden: true });
  const list = (text) => text.split(/[\s,]+/).filter(Boolean);

  const form = el("form", { className: "grid", id: "start-form", onsubmit: async (event) => {
    event.preventDefault();
    const request = {
      InputDataConfig: { S3Uri: input.value.trim(), ContentType: contentType.value },
      OutputDataConfig: { S3Uri: output.value.trim() },
      DataAccessRoleArn: role.value.trim(),
      SourceLanguageCode: source.value.trim(),
      TargetLanguageCodes: list(targets.value),
      ClientToken: clientToken,
    };
    if (name.value.trim()) request.JobName = name.value.trim();
    if (terminology.value) request.TerminologyNames = [terminology.value];
    if (parallelData.value) request.ParallelDataNames = [parallelData.value];
    const settings = { Formality: formality.value, Profanity: profanity.value, Brevity: brevity.value };
    for (const key of Object.keys(settings)) if (!settings[key]) delete settings[key];
    if (Object.keys(settings).length) request.Settings = settings;
    submit.disabled = true;
    try {
      const started = await translate("StartTextTranslationJob", request);
      clientToken = crypto.randomUUID();
      go("jobs/" + encodeURIComponent(started.JobId));
    } catch (error) {
      report(errors, error);
    } finally {
      submit.disabled = false;
    }
  } },
  el("label", { for: "job-name" }, "Job name"), name,
  el("label", { for: "input-uri" }, "Input folder"), el("div", { className: "row" }, input, pickerButton(input, inputPicker)), inputPicker,
  el("label", { for: "content-type" }, "Content type"), contentType,
  el("label", { for: "output-uri" }, "Output folder"), el("div", { className: "row" }, output, pickerButton(output, outputPicker)), outputPicker,
  el("label", { for: "role-arn" }, "Data access role"), role,
  el("label", { for: "source-language" }, "Source language"), source,
  el("label", { for: "target-languages" }, "Target languages"), targets,
  el("div", { className: "hint" }, "Language codes, e.g. fr, de, es (up to 10)."),
  el("label", { for: "terminology-names" }, "Terminology"), terminology,
  el("div", { className: "hint" }, "One of this account's custom terminologies (ImportTerminology)."),
  el("label", { for: "parallel-data-names" }, "Parallel data"), parallelData,
  el("div", { className: "hint" }, "One of this account's ACTIVE parallel data (CreateParallelData): its segments win."),
  el("label", { for: "formality" }, "Formality"), formality,
  el("label", { for: "profanity" }, "Profanity"), profanity,
  el("label", { for: "brevity" }, "Brevity"), brevity,
  el("span", {}), el("div", {}, submit));

  show(el("h1", {}, "Start a translation job"), errors, el("section", {}, form));
}

// Fills a select with the names a List operation gives (every page), those ``wanted``; says so if it cannot list.
async function offerNames(select, operation, member, wanted) {
  try {
    let token;
    do {
      const page = await translate(operation, token ? { NextToken: token, MaxResults: 500 } : { MaxResults: 500 });
      for (const item of page[member] || []) if (wanted(item)) select.append(el("option", { value: item.Name }, item.Name));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    select.append(el("option", { value: "", disabled: true }, `(could not list: ${error.message || error})`));
  }
}

function pickerButton(input, panel) {
  return el("button", { type: "button", onclick: () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) {
      const [bucket, ...rest] = input.value.replace(/^s3:\/\//, "").split("/");
      const prefix = rest.join("/");
      browse(panel, input, bucket, prefix.endsWith("/") || !prefix ? prefix : prefix.slice(0, prefix.lastIndexOf("/") + 1));
    }
  } }, "Browse S3");
}

async function browse(panel, input, bucket, prefix, token, more) {
  const errors = errorBox();
  const use = (uri) => {
    input.value = uri;
    panel.hidden = true;
  };
  try {
    if (!bucket) {
      const { buckets } = await get("/api/s3/buckets");
      panel.replaceChildren(el("strong", {}, "Buckets"), el("ul", {}, buckets.map((name) =>
        el("li", {}, el("button", { type: "button", className: "folder", onclick: () => browse(panel, input, name, "") }, `s3://${name}/`)))));
      return;
    }
    const page = await get("/api/s3/folder", { bucket, prefix, token });
    const crumbs = [el("button", { type: "button", className: "folder", onclick: () => browse(panel, input, "", "") }, "Buckets"), " / ",
      el("button", { type: "button", className: "folder", onclick: () => browse(panel, input, bucket, "") }, bucket)];
    let walked = "";
    for (const part of prefix.split("/").filter(Boolean)) {
      walked += part + "/";
      const here = walked;
      crumbs.push(" / ", el("button", { type: "button", className: "folder", onclick: () => browse(panel, input, bucket, here) }, part));
    }
    const folders = page.folders.map((folder) => el("li", {}, el("button", { type: "button", className: "folder",
      onclick: () => browse(panel, input, bucket, folder) }, "📁 " + folder.slice(prefix.length))));
    const objects = page.objects.map((object) => el("li", { className: "object" }, object.key.slice(prefix.length),
      el("span", { className: "muted" }, ` (${object.size.toLocaleString()} bytes)`)));
    const items = el("ul", { id: "picker-items" }, folders, objects);
    if (more) {
      more.replaceWith(...items.childNodes);
    } else {
      panel.replaceChildren(el("div", {}, crumbs), el("div", { className: "pager" },
        el("button", { type: "button", className: "primary", id: "use-folder", onclick: () => use(`s3://${bucket}/${prefix}`) },
          `Use s3://${bucket}/${prefix}`)), errors, items);
    }
    if (page.next) {
      const button = el("li", {}, el("button", { type: "button", onclick: () => browse(panel, input, bucket, prefix, page.next, button) }, "More…"));
      panel.querySelector("#picker-items").append(button);
    }
  } catch (error) {
    panel.replaceChildren(errors);
    report(errors, error);
  }
}

// -- navigation --

function go(page, parameters) {
  const query = new URLSearchParams(Object.entries(parameters || {}).filter(([, value]) => value));
  location.hash = `#/${page}${query.size ? "?" + query : ""}`;
}

function route() {
  view += 1;
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = (path || "jobs").split("/");
  const parameters = new URLSearchParams(query || "");
  document.title = "translate-jobs console";
  for (const link of document.querySelectorAll("header nav a")) link.classList.toggle("current", link.id === `nav-${parts[0]}`);
  if (parts[0] === "start") return startPage();
  if (parts[0] === "jobs" && parts[1]) return jobPage(decodeURIComponent(parts[1]));
  return jobsPage(parameters);
}

async function start() {
  try {
    config = await get("/api/config");
    document.getElementById("tenant").textContent = `account ${config.account} · ${config.region}`;
  } catch (error) {
    document.getElementById("tenant").textContent = `the console's server did not answer: ${error.message}`;
  }
  window.addEventListener("hashchange", route);
  route();
}

start();
