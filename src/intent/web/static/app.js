// intent's page: upload a file, follow its progress, browse and filter the labeled messages, by conversation
// (LinkedIn's export) or one by one. Plain JavaScript, no build step. Message text is only ever put in the page
// with textContent. Correcting labels and training a personal model are in teach.js.
"use strict";

// One page of the list at a time: a 20,000-message file keeps a few thousand nodes in the page, not 60,000.
const PAGE_SIZE = 100;
const POLL_MS = 300;
// The labels as people say them (the files keep the codes: spam_sales…).
const NAMES = {
  spam_sales: "Venta / spam",
  genuine_networking: "Networking genuino",
  gatekeeping_rejection: "Rechazo",
};
const STATUS_NAMES = {
  empty: "sin texto",
  no_message: "invitación sin nota",
  truncated: "muy largo: leído el principio",
};
// What the server's error codes mean, for a person: the server's own detail (English, for programs and logs)
// is never shown.
const ERROR_MESSAGES = {
  empty_file: "El archivo está vacío. Elige el .zip de tu exportación de LinkedIn o un CSV con mensajes.",
  not_csv:
    "Este archivo no es un CSV de mensajes: parece un archivo binario (un .zip dañado, una imagen, un documento) " +
    "o un texto sin columnas. Elige el .zip de tu exportación de LinkedIn, o guarda tus mensajes como «CSV UTF-8» " +
    "desde tu hoja de cálculo, con una primera fila que nombre las columnas.",
  damaged_zip:
    "El .zip está dañado o incompleto. Descárgalo de nuevo (LinkedIn deja pedir otra copia de tus datos en " +
    "Configuración → Privacidad de datos).",
  encrypted_zip:
    "El .zip está protegido con contraseña y no se puede leer. Descomprímelo con su contraseña y sube su " +
    "archivo messages.csv.",
  no_export_files:
    "En el .zip no están los mensajes (messages.csv) ni las invitaciones (Invitations.csv). Elige la exportación " +
    "de datos de LinkedIn, o un CSV con mensajes.",
  bad_row:
    "Una fila del archivo está mal formada (por ejemplo, unas comillas sin cerrar o más columnas que la primera " +
    "fila). Corrígela en tu hoja de cálculo, guarda el archivo como CSV y vuelve a subirlo.",
  duplicate_columns: "Dos columnas del archivo se llaman igual. Dale a cada una un nombre distinto y vuelve a subirlo.",
  bad_input:
    "No se pudo leer el archivo. Elige el .zip de tu exportación de LinkedIn, o un CSV cuya primera fila nombre " +
    "las columnas.",
  too_large: "El archivo es demasiado grande para esta página.",
  busy:
    "intent ya tiene abiertos varios archivos en otras pestañas. Cierra alguna de ellas o prueba de nuevo en " +
    "unos minutos.",
  cross_site: "Petición rechazada: llegó desde otra página web, no desde esta.",
  not_found: "Este archivo ya no está en memoria (pasó mucho tiempo o intent se reinició). Súbelo de nuevo.",
  not_ready: "El archivo todavía no está clasificado. Espera a que termine.",
  shutting_down: "intent se está cerrando: no se ha terminado. Vuelve a abrirlo y sube el archivo de nuevo.",
  job_memory:
    "Este archivo necesita más memoria de la que la página puede usar para un solo archivo. Prueba con una parte " +
    "del archivo, o con la exportación de un periodo más corto.",
  run_died:
    "La clasificación se detuvo de forma inesperada; puede que al equipo le falte memoria. Prueba de nuevo.",
  internal: "Algo falló dentro de intent. Prueba de nuevo; si se repite, avisa a quien lo instaló.",
  model_unavailable: "No se encuentra el archivo de ese modelo: ¿se ha movido o borrado?",
  training_busy: "Ya se está entrenando un modelo y se entrena uno cada vez. Espera a que termine.",
};
// The model reads specifics as placeholders (xxurl…); people read them as what they stand for.
const PLACEHOLDERS = {
  xxurl: "[enlace]",
  xxemail: "[email]",
  xxphone: "[teléfono]",
  xxmoney: "[importe]",
  xxpercent: "[porcentaje]",
  xxnum: "[número]",
  xxmention: "[mención]",
  xxhashtag: "[hashtag]",
  xxemoji: "[emoji]",
};
const FOUND = {
  URL: "enlaces",
  EMAIL: "emails",
  PHONE: "teléfonos",
  MONEY: "importes",
  PERCENT: "porcentajes",
  NUMBER: "números",
  MENTION: "menciones",
  HASHTAG: "hashtags",
  EMOJI: "emojis",
};
const MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];

const $ = (id) => document.getElementById(id);
const state = {
  job: null,
  data: null,
  view: "messages", // or "conversations"
  filtered: [],
  page: 0, // the page of ``filtered`` shown
  sort: "date_desc",
  sorted: null, // {key, items}: the current view's items in the current order, sorted once, filtered often
  expanded: new Set(), // ids of the conversations shown open
  file: null,
  maxUpload: null,
  health: null, // GET /api/health: the model in use, limits
  detailRow: null, // the message the explanation dialog shows
  xhr: null, // the upload in flight
};

// ---------- helpers ----------

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function fold(text) {
  return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function percent(x) {
  return x == null ? "" : `${Math.round(x * 100)} %`;
}

function number(n) {
  return n.toLocaleString("es-ES");
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function showError(message) {
  $("error").textContent = message;
  show("error", true);
  show("progress-box", false);
  $("error").focus();
}

// A Spanish sentence for a server error, chosen by its code (then by its HTTP status).
function errorMessage(status, body) {
  const code = body && body.code;
  if (code && ERROR_MESSAGES[code]) return ERROR_MESSAGES[code];
  if (status === 413) return ERROR_MESSAGES.too_large;
  if (status === 429) return ERROR_MESSAGES.busy;
  if (status === 403) return ERROR_MESSAGES.cross_site;
  if (status === 404) return ERROR_MESSAGES.not_found;
  if (status === 422) return ERROR_MESSAGES.bad_input;
  return ERROR_MESSAGES.internal;
}

function badge(intent) {
  return el("span", { class: `badge ${intent || "none"}`, text: intent ? NAMES[intent] : "sin etiqueta" });
}

// ---------- dates: one format, in the reader's own time zone ----------

const DATE_TIME = new Intl.DateTimeFormat("es-ES", {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const DATE_ONLY = new Intl.DateTimeFormat("es-ES", { day: "numeric", month: "short", year: "numeric" });
const MONTH_ONLY = new Intl.DateTimeFormat("es-ES", { month: "short", year: "numeric" });

// ``at`` as the server sends it: 2026-10-02T09:14:51Z (UTC: shown in local time), without Z (a wall-clock time),
// 2026-10-02 or 2026-10 (no time: shown as it is). Returns a Date, or null.
function parseAt(at) {
  if (!at) return null;
  const [y, m, d] = at.slice(0, 10).split("-").map(Number);
  if (!at.includes("T")) return new Date(y, m - 1, d || 1);
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? null : date;
}

function formatAt(at) {
  const date = parseAt(at);
  if (!date) return "";
  if (!at.includes("T")) return at.length > 7 ? DATE_ONLY.format(date) : MONTH_ONLY.format(date);
  return DATE_TIME.format(date);
}

// ---------- doubt: why a label is marked doubtful ----------

// "language": not in Spanish, so the label is a guess whatever its confidence; "confidence": the model hesitates
// between labels; null: not doubtful (or corrected by you).
function doubtOf(item) {
  if (!item.intent || !item.uncertain || correctedLabel(item)) return null;
  if (isConversation(item)) {
    const theirs = item.messages.filter((m) => m.direction !== "outgoing" && m.intent);
    return theirs.length && theirs.every((m) => m.status === "other_language") ? "language" : "confidence";
  }
  return item.status === "other_language" ? "language" : "confidence";
}

function languageOf(item) {
  const row = isConversation(item)
    ? item.messages.find((m) => m.direction !== "outgoing" && m.status === "other_language")
    : item;
  const code = row && row.language;
  return (code && state.data.language_names && state.data.language_names[code]) || "otro idioma";
}

function threshold() {
  return state.health && state.health.model ? state.health.model.threshold : null;
}

function doubtFlag(item) {
  const doubt = doubtOf(item);
  if (doubt === "language") {
    const name = languageOf(item);
    return el("span", {
      class: "flag doubt-language",
      text: `⚑ en ${name}: revísalo`,
      title: `Parece escrito en ${name} y el modelo solo lee español: su etiqueta es una suposición.`,
    });
  }
  if (doubt === "confidence") {
    return el("span", {
      class: "flag doubt-confidence",
      text: "⚠ poca confianza",
      title: "El modelo duda entre varias etiquetas: revísalo tú.",
    });
  }
  return null;
}

// The sentence the explanation dialog gives for a doubtful label.
function doubtReason(item) {
  const doubt = doubtOf(item);
  if (doubt === "language") {
    const name = languageOf(item);
    return (
      `Dudoso por el idioma: parece escrito en ${name}, y el modelo solo sabe leer español. La etiqueta y su ` +
      "confianza son una suposición: revísalo tú."
    );
  }
  if (doubt === "confidence") {
    const limit = threshold();
    return (
      `Dudoso por poca confianza: el modelo da un ${percent(item.confidence)} a su etiqueta` +
      (limit != null ? `, y por debajo del ${percent(limit)} no se fía de sí mismo` : "") +
      ". Revísalo tú."
    );
  }
  return "";
}

// ---------- upload and progress ----------

function megabytes(bytes) {
  return `${(bytes / 1e6).toLocaleString("es-ES", { maximumFractionDigits: 1 })} MB`;
}

function upload(file, textColumn) {
  state.file = file;
  if (state.maxUpload && file.size > state.maxUpload) {
    // Said before sending: the server would refuse it anyway (413), after a long upload.
    showError(
      `El archivo pesa ${megabytes(file.size)} y esta página acepta hasta ${megabytes(state.maxUpload)}. ` +
        "Prueba con un archivo más pequeño, o pide a quien instaló intent que suba ese límite.",
    );
    return;
  }
  const form = new FormData();
  form.append("file", file, file.name);
  if (textColumn) form.append("text_column", textColumn);
  send("/api/jobs", form);
}

function forgetPreviousJob() {
  // The server keeps results in memory only until asked to forget them: do so for the last file.
  if (state.job) fetch(`/api/jobs/${state.job}`, { method: "DELETE" }).catch(() => {});
  state.job = null;
  state.data = null;
  state.expanded = new Set();
  resetTeach();
}

function send(url, form) {
  forgetPreviousJob();
  show("error", false);
  show("column-form", false);
  show("results", false);
  show("progress-box", true);
  $("progress").value = 0;
  $("progress-text").textContent = "Subiendo el archivo…";
  if (state.xhr) state.xhr.abort(); // a newer file replaces the one still uploading: its answer must not win
  const xhr = new XMLHttpRequest();
  state.xhr = xhr;
  xhr.open("POST", url);
  xhr.responseType = "json";
  xhr.upload.onprogress = (event) => {
    if (event.lengthComputable) {
      $("progress").value = event.loaded / event.total;
      $("progress-text").textContent = `Subiendo el archivo… ${percent(event.loaded / event.total)}`;
    }
  };
  xhr.onerror = () =>
    showError("No se pudo conectar con intent en este equipo. ¿Sigue abierta la ventana en la que se inició?");
  xhr.onload = () => {
    state.xhr = null;
    const body = xhr.response;
    if (xhr.status === 202) return poll(body.id);
    if (xhr.status === 422 && body && body.code === "text_column") return askColumn(body);
    showError(errorMessage(xhr.status, body));
  };
  xhr.send(form);
}

function askColumn(body) {
  show("progress-box", false);
  const select = $("column-select");
  select.replaceChildren(...body.columns.map((c) => el("option", { value: c, text: c })));
  $("column-message").textContent =
    "No sabemos qué columna tiene el texto de los mensajes. Elige la columna y pulsa «Clasificar».";
  show("column-form", true);
  select.focus();
}

async function poll(jobId) {
  state.job = jobId;
  const response = await fetch(`/api/jobs/${jobId}`);
  const status = await response.json();
  if (!response.ok) return showError(errorMessage(response.status, status));
  if (status.state === "done") return loadRows(jobId);
  if (status.state === "failed") {
    return showError(`No se pudo clasificar el archivo. ${ERROR_MESSAGES[status.error_code] || ERROR_MESSAGES.internal}`);
  }
  if (status.state === "cancelled") return showError("La clasificación se canceló.");
  $("progress").value = status.progress;
  $("progress-text").textContent =
    status.state === "queued"
      ? "En cola: otro archivo se está clasificando…"
      : `Clasificando… ${number(status.rows)} mensajes (${percent(status.progress)})`;
  setTimeout(() => poll(jobId), POLL_MS);
}

// Fetch the job's rows and show them; ``view``: the view to open (default: conversations when there are some).
async function loadRows(jobId, view = null) {
  $("progress").value = 1;
  $("progress-text").textContent = "Preparando la tabla…";
  const response = await fetch(`/api/jobs/${jobId}/rows`);
  const data = await response.json();
  if (!response.ok) return showError(errorMessage(response.status, data));
  for (const row of data.rows) {
    row.key = fold(`${row.text} ${row.sender}`);
    row.sortName = fold(row.sender) || "\uffff"; // no sender: last
    const date = parseAt(row.at);
    row.ts = date ? date.getTime() : null;
    row.shownAt = formatAt(row.at) || row.date; // a date the page cannot read is shown as the file has it
    if (date) row.month = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
  }
  (data.conversations || []).forEach((conv, index) => {
    conv.index = index;
  });
  for (const conv of data.conversations || []) {
    conv.messages = conv.rows.map((n) => data.rows[n]);
    conv.key = fold([conv.other_party.join(" "), conv.title, ...conv.messages.map((m) => m.key)].join(" "));
    conv.shownLast = formatAt(conv.last_at);
    const last = parseAt(conv.last_at);
    conv.ts = last ? last.getTime() : null;
    conv.sortName = fold(people(conv));
    for (const message of conv.messages) message.thread = conv;
  }
  state.data = data;
  state.sorted = null;
  loadCorrections(data.corrections);
  show("progress-box", false);
  renderResults(view);
  announceResults(data);
}

// Results arriving are announced, and the keyboard focus moves to them.
function announceResults(data) {
  const conversations = hasConversations() ? `, ${number(data.conversations.length)} conversaciones` : "";
  $("announce").textContent = `Listo: ${number(data.rows.length)} mensajes clasificados${conversations}.`;
  $("results-title").focus();
}

// ---------- results ----------
// Two views of the same rows: conversations (an export whose owner is known) and messages one by one.
// The filters pick items of the current view, the sort orders them; renderPage() is the one place that renders
// them, a page at a time.

const VIEWS = {
  conversations: { container: () => $("conversations"), render: (conv) => threadItem(conv), noun: "conversaciones" },
  messages: { container: () => $("messages").tBodies[0], render: (row) => tableRow(row), noun: "mensajes" },
};

function hasConversations() {
  return Array.isArray(state.data.conversations);
}

function renderResults(view = null) {
  const data = state.data;
  const total = data.rows.length;
  const conversations = hasConversations() ? data.conversations.length : 0;
  $("results-title").textContent =
    `${number(total)} mensajes de ${data.filename}` + (conversations ? ` · ${number(conversations)} conversaciones` : "");
  renderDoubtSummary();
  renderDownloads(data);
  renderOwnerNote(data);
  renderWaiting(data);
  renderSenders(data.senders || []);
  renderTeach();
  show("view-switch", hasConversations());
  $("filter-awaiting").hidden = !hasConversations();
  $("filter-intent").value = "";
  $("search").value = "";
  $("sort").value = state.sort = "date_desc";
  show("results", true);
  setView(view && (view === "messages" || hasConversations()) ? view : hasConversations() ? "conversations" : "messages");
}

// How many labels to check, and why: the two kinds of doubt counted apart.
function renderDoubtSummary() {
  let language = 0;
  let confidence = 0;
  for (const row of state.data.rows) {
    const doubt = doubtOf(row);
    if (doubt === "language") language += 1;
    else if (doubt === "confidence") confidence += 1;
  }
  const parts = [];
  if (confidence) parts.push(`${number(confidence)} con poca confianza`);
  if (language) parts.push(`${number(language)} en otro idioma`);
  $("doubt-summary").textContent = parts.length
    ? `Para revisar: ${parts.join(" y ")}.`
    : "Ningún mensaje dudoso: el modelo está seguro de todas sus etiquetas.";
}

function renderDownloads(data) {
  $("download-csv").href = `/api/jobs/${data.id}/download?format=csv`;
  $("download-excel").href = `/api/jobs/${data.id}/download?format=excel`;
  $("download-conversations-csv").href = `/api/jobs/${data.id}/download?format=csv&table=conversations`;
  $("download-conversations-excel").href = `/api/jobs/${data.id}/download?format=excel&table=conversations`;
  show("download-conversations-csv", hasConversations());
  show("download-conversations-excel", hasConversations());
}

function renderOwnerNote(data) {
  let note = "";
  if (hasConversations()) {
    note =
      `Exportación de ${data.owner}. Cada conversación muestra lo que quiere la otra persona: ` +
      "tus propios mensajes se etiquetan, pero no cuentan para la conversación.";
  } else if (data.export) {
    note =
      "No sabemos de quién es esta exportación (nadie aparece en todas las conversaciones), así que se muestran " +
      "los mensajes uno a uno.";
  }
  $("owner-note").textContent = note;
  show("owner-note", Boolean(note));
}

function renderWaiting(data) {
  show("waiting", hasConversations());
  if (!hasConversations()) return;
  const waiting = data.conversations.filter((conv) => conv.awaiting_reply);
  $("waiting-list").replaceChildren(
    ...waiting.map((conv) =>
      el("li", {}, [
        linkButton(people(conv), () => openConversation(conv)),
        el("span", { class: "muted", text: ` · ${conv.shownLast || ""} · ${messageCount(conv.messages_in, "recibido")}` }),
      ]),
    ),
  );
  $("waiting-count").textContent = `(${number(waiting.length)})`;
  show("waiting-list", waiting.length > 0);
  show("waiting-empty", waiting.length === 0);
}

const SENDERS_SHOWN = 10;

function renderSenders(senders, all = false) {
  show("senders-box", senders.length > 0);
  const shown = all ? senders : senders.slice(0, SENDERS_SHOWN);
  const count = (sender, key) => number(sender.counts[key] || 0);
  $("senders").tBodies[0].replaceChildren(
    ...shown.map((sender) =>
      el("tr", {}, [
        el("th", { scope: "row" }, [linkButton(sender.name, () => searchFor(sender.name))]),
        el("td", { text: number(sender.messages) }),
        ...state.data.labels.map((label) => el("td", { class: `count ${label}`, text: count(sender, label) })),
        el("td", { text: count(sender, "no_text") }),
      ]),
    ),
  );
  const more = $("senders-all");
  more.textContent = `Ver las ${number(senders.length)} personas`;
  more.onclick = () => renderSenders(senders, true);
  show("senders-all", !all && senders.length > SENDERS_SHOWN);
}

function setView(view) {
  state.view = view;
  for (const name of Object.keys(VIEWS)) {
    $(`view-${name}`).setAttribute("aria-pressed", String(name === view));
    show(`${name}-view`, name === view);
  }
  const conversations = view === "conversations";
  $("chart-intents-title").textContent = conversations
    ? "Conversaciones por lo que quiere la otra persona"
    : "Mensajes por intención";
  renderCharts();
  applyFilters();
}

// The charts count what the list shows: each item's label, or the one you corrected it to.
function renderCharts() {
  const items = state.view === "conversations" ? state.data.conversations : state.data.rows;
  const counts = intentCounts(items);
  renderIntentChart(counts, state.data.labels.reduce((sum, label) => sum + counts[label], 0));
  renderMonthChart(monthCounts(state.data.rows));
}

function intentCounts(items) {
  const counts = Object.fromEntries(state.data.labels.map((label) => [label, 0]));
  for (const item of items) {
    const intent = effectiveIntent(item);
    if (intent) counts[intent] += 1;
  }
  return counts;
}

function monthCounts(rows) {
  const months = {};
  for (const row of rows) {
    const intent = effectiveIntent(row);
    if (!intent || !row.month) continue;
    months[row.month] = months[row.month] || Object.fromEntries(state.data.labels.map((label) => [label, 0]));
    months[row.month][intent] += 1;
  }
  return Object.fromEntries(Object.keys(months).sort().map((key) => [key, months[key]]));
}

function barRow(label, fraction, caption, onClick) {
  const fill = el("span", { class: `bar-fill pattern-${label}` });
  fill.style.width = `${100 * fraction}%`;
  fill.style.backgroundColor = `var(--${label})`;
  const row = el(onClick ? "button" : "div", { class: "bar-row", "data-label": label }, [
    el("span", { class: "bar-label", text: NAMES[label] }),
    el("span", { class: "bar-track" }, [fill]),
    el("span", { class: "bar-count", text: caption }),
  ]);
  if (onClick) {
    row.type = "button";
    row.addEventListener("click", onClick);
  }
  return row;
}

function renderIntentChart(counts, total) {
  $("chart-intents").replaceChildren(
    ...state.data.labels.map((label) =>
      barRow(label, total ? counts[label] / total : 0, number(counts[label]), () => {
        $("filter-intent").value = label;
        applyFilters();
      }),
    ),
  );
}

function renderMonthChart(months) {
  const keys = Object.keys(months);
  show("month-figure", keys.length > 0);
  if (!keys.length) return;
  const max = Math.max(...keys.map((k) => Object.values(months[k]).reduce((a, b) => a + b, 0)));
  const columns = keys.map((key, index) => {
    const counts = months[key];
    const [year, month] = key.split("-");
    const parts = state.data.labels.map((label) => {
      const part = el("span", { class: `pattern-${label}`, title: `${NAMES[label]}: ${counts[label]}` });
      part.style.height = `${(100 * counts[label]) / max}%`;
      part.style.backgroundColor = `var(--${label})`;
      return part;
    });
    const name = MONTHS[Number(month) - 1];
    const shown = index === 0 || month === "01" ? `${name} ${year.slice(2)}` : name; // the year where it changes
    const label = el("span", { class: "month-label", text: shown });
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return el("div", { class: "month", title: `${key}: ${total} mensajes` }, [...parts, label]);
  });
  const legend = state.data.labels.map((label) => {
    const swatch = el("span", { class: `swatch pattern-${label}` });
    swatch.style.backgroundColor = `var(--${label})`;
    return el("span", {}, [swatch, NAMES[label]]);
  });
  $("chart-months").replaceChildren(...columns);
  $("month-legend").replaceChildren(...legend);
  renderMonthTable(months);
}

// The month chart as a table: the same numbers, for screen readers and for anyone who prefers to read them.
function renderMonthTable(months) {
  const labels = state.data.labels;
  $("month-table").tHead.replaceChildren(
    el("tr", {}, [
      el("th", { scope: "col", text: "Mes" }),
      ...labels.map((label) => el("th", { scope: "col", text: NAMES[label] })),
      el("th", { scope: "col", text: "Total" }),
    ]),
  );
  $("month-table").tBodies[0].replaceChildren(
    ...Object.keys(months).map((key) => {
      const [year, month] = key.split("-");
      const counts = months[key];
      const total = labels.reduce((sum, label) => sum + counts[label], 0);
      return el("tr", {}, [
        el("th", { scope: "row", text: MONTH_ONLY.format(new Date(Number(year), Number(month) - 1, 1)) }),
        ...labels.map((label) => el("td", { text: number(counts[label]) })),
        el("td", { text: number(total) }),
      ]);
    }),
  );
}

// An item is a message row or a conversation: both have intent, uncertain and key.
function matches(item, intent, query) {
  const awaiting = state.view === "conversations" ? item.awaiting_reply : item.thread && item.thread.awaiting_reply;
  if (intent === "uncertain" && !doubtOf(item)) return false;
  if (intent === "low_confidence" && doubtOf(item) !== "confidence") return false;
  if (intent === "other_language" && doubtOf(item) !== "language") return false;
  if (intent === "unlabeled" && item.intent) return false;
  if (intent === "awaiting" && !awaiting) return false;
  if (intent === "corrected" && !hasCorrection(item)) return false;
  if (intent === "changed" && !changesLabel(item)) return false;
  if (state.data.labels.includes(intent) && effectiveIntent(item) !== intent) return false;
  return !query || item.key.includes(query);
}

function applyFilters() {
  const intent = $("filter-intent").value;
  const query = fold($("search").value.trim());
  state.filtered = sortedItems().filter((item) => matches(item, intent, query));
  markSort();
  state.page = 0;
  renderPage();
}

// The current view's items in the current order: sorted when the view, the order or a label changes, not on
// every keystroke of a search.
function sortedItems() {
  const key = `${state.view} ${state.sort}`;
  if (!state.sorted || state.sorted.key !== key) {
    const items = (state.view === "conversations" ? state.data.conversations : state.data.rows).slice();
    sortItems(items);
    state.sorted = { key, items };
  }
  return state.sorted.items;
}

// ---------- sorting: newest first unless asked otherwise; ties keep the file's order ----------

const INTENT_ORDER = { spam_sales: 0, genuine_networking: 1, gatekeeping_rejection: 2 };

function byNumber(get, descending) {
  return (a, b) => {
    const x = get(a);
    const y = get(b);
    if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1; // unknown last
    return descending ? y - x : x - y;
  };
}

function position(item) {
  return isConversation(item) ? item.index : item.n;
}

const SORTS = {
  date_desc: byNumber((item) => item.ts, true),
  date_asc: byNumber((item) => item.ts, false),
  intent: byNumber((item) => INTENT_ORDER[effectiveIntent(item)], false),
  confidence_asc: byNumber((item) => item.confidence, false),
  confidence_desc: byNumber((item) => item.confidence, true),
  sender: (a, b) => (a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0),
};

function sortItems(items) {
  const compare = SORTS[state.sort] || SORTS.date_desc;
  items.sort((a, b) => compare(a, b) || position(a) - position(b));
}

// aria-sort on the column the list is ordered by.
function markSort() {
  const column = state.sort.replace(/_(asc|desc)$/, "");
  for (const th of $("messages").tHead.querySelectorAll("th[data-sort]")) {
    if (th.dataset.sort === column) {
      th.setAttribute("aria-sort", /_asc$/.test(state.sort) || state.sort === "intent" || state.sort === "sender" ? "ascending" : "descending");
    } else {
      th.removeAttribute("aria-sort");
    }
  }
}

function pageCount() {
  return Math.max(1, Math.ceil(state.filtered.length / PAGE_SIZE));
}

// The one place that puts items in the page: the current page of the filtered, sorted items.
function renderPage() {
  const view = VIEWS[state.view];
  const start = state.page * PAGE_SIZE;
  const items = state.filtered.slice(start, start + PAGE_SIZE);
  view.container().replaceChildren(...items.map(view.render));
  const all = state.view === "conversations" ? state.data.conversations.length : state.data.rows.length;
  const pages = pageCount();
  $("shown-count").textContent = `${number(state.filtered.length)} de ${number(all)} ${view.noun}`;
  $("page-info").textContent = items.length
    ? `${number(start + 1)}–${number(start + items.length)} de ${number(state.filtered.length)} · página ` +
      `${number(state.page + 1)} de ${number(pages)}`
    : "";
  $("page-prev").disabled = state.page === 0;
  $("page-next").disabled = state.page >= pages - 1;
  show("pager", pages > 1);
  renderEmpty(filterName());
}

function goToPage(page) {
  state.page = Math.min(Math.max(page, 0), pageCount() - 1);
  renderPage();
}

function filterName() {
  const select = $("filter-intent");
  return select.value ? select.options[select.selectedIndex].textContent : "";
}

// Why the list is empty, when it is.
const EMPTY_BECAUSE = {
  uncertain: "No hay ninguno dudoso: el modelo está seguro de todas sus etiquetas (o ya las has corregido).",
  low_confidence: "No hay ninguno con poca confianza: el modelo está seguro de todas sus etiquetas.",
  other_language: "No hay ninguno en otro idioma: todos parecen escritos en español.",
  awaiting: "Nadie espera tu respuesta.",
  unlabeled: "Todos tienen texto que clasificar.",
  corrected: "Aún no has corregido ninguno. Corrige una etiqueta con sus botones o con las teclas 1, 2 y 3.",
  changed: "Tu modelo no cambia ninguna etiqueta.",
};

function renderEmpty(filterName) {
  const empty = state.filtered.length === 0;
  show("empty", empty);
  if (!empty) return;
  const intent = $("filter-intent").value;
  const query = $("search").value.trim();
  const noun = VIEWS[state.view].noun;
  const none = state.view === "conversations" ? "Ninguna conversación" : "Ningún mensaje";
  let why;
  if (query && intent) why = `${none} de «${filterName}» contiene «${query}».`;
  else if (query) why = `${none} contiene «${query}» (en el texto o el remitente).`;
  else if (EMPTY_BECAUSE[intent]) why = EMPTY_BECAUSE[intent];
  else if (intent) why = `No hay ${noun} de «${filterName}» en este archivo.`;
  else why = `Este archivo no tiene ${noun}.`;
  $("empty").textContent = `${why} ${query || intent ? "Cambia el filtro o la búsqueda para ver más." : ""}`.trim();
}

function searchFor(text) {
  $("filter-intent").value = "";
  $("search").value = text;
  setView(hasConversations() ? "conversations" : "messages");
  $("search").focus();
}

// ---------- pieces shared by both views ----------

function linkButton(text, onClick) {
  const button = el("button", { type: "button", class: "linklike", text });
  button.addEventListener("click", onClick);
  return button;
}

function messageCount(n, word) {
  return `${number(n)} ${word}${n === 1 ? "" : "s"}`;
}

function people(conv) {
  return conv.other_party.join(", ") || "(sin nombre)";
}

// The intent of a message or a conversation (or the one you corrected it to), with its doubts and status.
function intentBadges(item) {
  const corrected = correctedLabel(item);
  const parts = [badge(corrected || item.intent)];
  if (corrected) parts.push(correctedFlag(item));
  const doubt = doubtFlag(item);
  if (doubt) parts.push(doubt);
  if (STATUS_NAMES[item.status]) parts.push(el("span", { class: "flag", text: STATUS_NAMES[item.status] }));
  return parts;
}

// ---------- messages view: one table row per message ----------

function tableRow(row) {
  const snippet = row.text.length > 180 ? `${row.text.slice(0, 180)}…` : row.text;
  const intentCell = el("td", { class: "intent", "data-label": "Intención:" }, intentBadges(row));
  if (row.intent) intentCell.append(correctionControl(row, true));
  const why = el("button", {
    type: "button",
    class: "why-row",
    text: "Ver por qué",
    "aria-label": `Ver por qué: ${row.sender || "sin remitente"}, ${row.shownAt || "sin fecha"}`,
    "aria-describedby": "keys-help",
  });
  why.addEventListener("click", (event) => {
    event.stopPropagation();
    openDetail(row);
  });
  intentCell.append(why);
  const doubt = doubtOf(row);
  const tr = el("tr", { class: doubt ? `uncertain doubt-${doubt}` : "", "data-intent": effectiveIntent(row) || "", "data-row": String(row.n) }, [
    el("td", { class: "sender", "data-label": "De:", text: row.sender || "—" }),
    el("td", { class: "when", "data-label": "Fecha:", text: row.shownAt || "—" }),
    el("td", { class: "text", text: snippet || "(sin texto)" }),
    intentCell,
    confidenceCell(row),
  ]);
  if (row.direction === "outgoing") tr.classList.add("outgoing");
  if (correctedLabel(row)) tr.classList.add("corrected");
  tr.addEventListener("click", () => openDetail(row)); // the mouse may click anywhere on it; keys use the button
  return tr;
}

// A foreign message's confidence says nothing (the model only reads Spanish): shown struck through, with why.
function confidenceCell(row) {
  const cell = el("td", { class: "conf", "data-label": "Confianza:", text: percent(row.confidence) });
  if (doubtOf(row) === "language") {
    cell.replaceChildren(el("s", { text: percent(row.confidence) }), el("span", { class: "conf-note", text: " no vale: otro idioma" }));
  }
  return cell;
}

// ---------- conversations view: one collapsible thread per conversation ----------

const CONVERSATION_NOTES = {
  no_text: "sin texto que clasificar",
  no_incoming: "solo has escrito tú",
};

function threadItem(conv) {
  const id = `thread-${conv.index}`;
  const expanded = state.expanded.has(conv.id);
  const toggle = el("button", { type: "button", class: "thread-toggle", "aria-expanded": String(expanded), "aria-controls": id }, [
    el("span", { class: "thread-who", text: people(conv) }),
    el("span", { class: "thread-meta muted", text: threadMeta(conv) }),
  ]);
  const messages = el("ol", { class: "thread-messages", id }, expanded ? conv.messages.map(threadMessage) : []);
  messages.hidden = !expanded;
  toggle.addEventListener("click", () => toggleThread(conv, toggle, messages));
  const status = conv.intent ? intentBadges(conv) : [el("span", { class: "badge none", text: CONVERSATION_NOTES[conv.status] || "sin etiqueta" })];
  if (conv.awaiting_reply) status.push(el("span", { class: "awaiting", text: "te espera" }));
  if (conv.confidence != null) status.push(el("span", { class: "muted conf", text: percent(conv.confidence) }));
  if (conv.intent) status.push(correctionControl(conv, true));
  const doubt = doubtOf(conv);
  const classes = ["thread", doubt ? `uncertain doubt-${doubt}` : "", correctedLabel(conv) ? "corrected" : ""];
  return el("li", { class: classes.filter(Boolean).join(" "), "data-intent": effectiveIntent(conv) || "", "data-id": conv.id }, [
    el("div", { class: "thread-head" }, [toggle, el("div", { class: "thread-intent" }, status)]),
    messages,
  ]);
}

function threadMeta(conv) {
  const kind = conv.kind === "invitation" ? "invitación" : conv.title || "conversación";
  const counts = [messageCount(conv.messages_in, "recibido"), messageCount(conv.messages_out, "enviado")];
  if (conv.drafts) counts.push(messageCount(conv.drafts, "borrador").replace("borradors", "borradores"));
  return [kind, conv.shownLast, counts.join(", ")].filter(Boolean).join(" · ");
}

function isPhoneLayout() {
  return window.matchMedia("(max-width: 640px)").matches;
}

function toggleThread(conv, toggle, messages) {
  const open = !state.expanded.has(conv.id);
  if (open) state.expanded.add(conv.id);
  else state.expanded.delete(conv.id);
  if (open && !messages.children.length) messages.append(...conv.messages.map(threadMessage));
  if (open && isPhoneLayout()) toggle.scrollIntoView({ block: "nearest" });
  messages.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
}

// One message inside a thread: the other party's on the left, the owner's (and drafts) on the right.
function threadMessage(row) {
  const side = row.direction === "outgoing" ? "out" : row.direction === "incoming" ? "in" : "unknown";
  const who = side === "out" ? (row.draft ? "Tú (borrador, no enviado)" : "Tú") : row.sender || "—";
  const intent = effectiveIntent(row);
  const why = el("button", { type: "button", class: "why-button", "aria-describedby": "keys-help" }, [
    ...intentBadges(row),
    el("span", { class: "muted conf", text: percent(row.confidence) }),
  ]);
  why.addEventListener("click", () => openDetail(row));
  const classes = ["message", side, row.draft ? "draft" : "", correctedLabel(row) ? "corrected" : ""];
  return el("li", { class: classes.filter(Boolean).join(" "), "data-direction": row.direction || "", "data-row": String(row.n) }, [
    el("p", { class: "message-meta muted", text: [who, row.shownAt].filter(Boolean).join(" · ") }),
    el("p", { class: "message-text", text: row.text || "(sin texto)" }),
    el("div", { class: "message-foot" }, row.intent ? [why, correctionControl(row, true)] : [why]),
  ]);
}

// From "Te esperan": show the conversation, open, in the conversations view.
function openConversation(conv) {
  state.expanded.add(conv.id);
  $("filter-intent").value = "";
  $("search").value = "";
  setView("conversations");
  const index = state.filtered.indexOf(conv);
  if (index >= 0) goToPage(Math.floor(index / PAGE_SIZE));
  const item = $("conversations").querySelector(`[data-id="${CSS.escape(conv.id)}"]`);
  if (item) {
    item.scrollIntoView({ block: "center" });
    item.querySelector(".thread-toggle").focus();
  }
}

// ---------- one message: its explanation ----------

async function openDetail(row) {
  const dialog = $("detail");
  state.detailRow = row;
  renderDetailCorrection(row);
  $("detail-title").replaceChildren(badge(row.intent));
  const kind = /invitation/i.test(row.source || "") ? "invitación" : "";
  $("detail-meta").textContent = [row.sender, row.shownAt, kind].filter(Boolean).join(" · ");
  $("detail-doubt").textContent = doubtReason(row);
  show("detail-doubt", Boolean(doubtOf(row)));
  $("detail-text").textContent = row.text || "(sin texto)";
  $("detail-probs").replaceChildren(
    ...(row.probabilities || []).map((p, i) => barRow(state.data.labels[i], p, percent(p), null)),
  );
  $("detail-found").textContent = "";
  $("detail-for").replaceChildren();
  $("detail-against").replaceChildren();
  if (!dialog.open) dialog.showModal();
  if (!row.intent) {
    $("detail-found").textContent = "No hay texto que clasificar.";
    return;
  }
  $("detail-found").textContent = "Calculando…";
  const response = await fetch("/api/explain", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: row.text, top: 12 }),
  });
  const body = await response.json();
  if (!response.ok) {
    $("detail-found").textContent = errorMessage(response.status, body);
    return;
  }
  const items = body.contributions[body.label] || [];
  const readable = (feature) => feature.replace(/xx[a-z]+/g, (token) => PLACEHOLDERS[token] || token);
  const item = (c) =>
    el("li", {}, [readable(c.feature), el("span", { class: "weight", text: c.weight.toFixed(2) })]);
  const list = (id, picked, none) =>
    $(id).replaceChildren(...(picked.length ? picked.map(item) : [el("li", { class: "muted", text: none })]));
  $("detail-for-title").textContent = `Empujan hacia «${NAMES[body.label]}»`;
  list("detail-for", items.filter((c) => c.weight > 0), "ninguna");
  list("detail-against", items.filter((c) => c.weight < 0), "nada pesa en contra");
  $("detail-found").textContent = body.placeholders.length
    ? `Encontrado en el texto: ${body.placeholders.map((p) => FOUND[p] || p).join(", ")}.`
    : "";
}

// ---------- the model in use (footer) ----------

const MODEL_KINDS = {
  shipped: "el modelo incluido con intent",
  personal: "tu modelo personal",
  custom: "un modelo propio",
};

function refreshHealth() {
  return fetch("/api/health")
    .then((r) => r.json())
    .then((health) => {
      state.health = health;
      state.maxUpload = health.limits.max_upload_bytes;
      renderModelInfo(health.model);
      renderLegend();
      teachHealth(health);
    })
    .catch(() => {});
}

// The one-line legend of the two kinds of doubt.
function renderLegend() {
  const limit = threshold();
  $("legend-confidence").textContent =
    "⚠ poca confianza: el modelo duda entre etiquetas" + (limit != null ? ` (menos del ${percent(limit)})` : "") + ";";
}

function renderModelInfo(model) {
  if (state.health) state.health.model = model;
  const trained = model.trained_at ? `, entrenado el ${formatAt(model.trained_at.slice(0, 10))}` : "";
  $("model-info").textContent = `Modelo en uso: ${model.name}, ${MODEL_KINDS[model.kind] || model.kind}${trained}`;
  $("model-info").dataset.kind = model.kind;
}

// ---------- wiring ----------

function wire() {
  const input = $("file-input");
  input.addEventListener("change", () => {
    if (input.files.length) upload(input.files[0]);
    input.value = "";
  });
  const zone = $("dropzone");
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
  });
  $("sample-button").addEventListener("click", () => {
    state.file = null;
    send("/api/jobs/sample", new FormData());
  });
  $("column-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.file) upload(state.file, $("column-select").value);
  });
  $("filter-intent").addEventListener("change", applyFilters);
  let timer = null;
  $("search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(applyFilters, 150);
  });
  $("page-prev").addEventListener("click", () => goToPage(state.page - 1));
  $("page-next").addEventListener("click", () => goToPage(state.page + 1));
  $("sort").addEventListener("change", () => {
    state.sort = $("sort").value;
    applyFilters();
  });
  $("view-conversations").addEventListener("click", () => setView("conversations"));
  $("view-messages").addEventListener("click", () => setView("messages"));
  $("detail").addEventListener("close", () => {
    const row = state.detailRow;
    state.detailRow = null;
    // Back to the message it was opened from, even if a correction drew that message again meanwhile.
    setTimeout(() => {
      const active = document.activeElement;
      if (!row || (active && active !== document.body && !$("detail").contains(active))) return;
      const back = document.querySelector(`tr[data-row="${row.n}"] .why-row, li.message[data-row="${row.n}"] .why-button`);
      if (back) back.focus();
    }, 0);
  });
  // Closing the tab forgets its file on the server, which keeps only a few.
  window.addEventListener("pagehide", () => {
    if (state.job) fetch(`/api/jobs/${state.job}`, { method: "DELETE", keepalive: true }).catch(() => {});
  });
  wireTeach();
  refreshHealth();
}

document.addEventListener("DOMContentLoaded", wire);
