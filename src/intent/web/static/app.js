// intent's page: upload a file, follow its progress, browse and filter the labeled messages, by conversation
// (LinkedIn's export) or one by one. Plain JavaScript, no build step. Message text is only ever put in the page
// with textContent. Correcting labels and training a personal model are in teach.js.
"use strict";

const PAGE_SIZE = 100;
const POLL_MS = 300;
const NAMES = {
  spam_sales: "Spam / venta",
  genuine_networking: "Networking genuino",
  gatekeeping_rejection: "Rechazo / gatekeeping",
};
const STATUS_NAMES = {
  empty: "sin texto",
  no_message: "invitación sin nota",
  truncated: "muy largo: leído el principio",
  other_language: "otro idioma",
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
  shown: 0,
  expanded: new Set(), // ids of the conversations shown open
  file: null,
  maxUpload: null,
  health: null, // GET /api/health: the model in use, limits
  detailRow: null, // the message the explanation dialog shows
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
}

function errorMessage(status, body) {
  const detail = body && body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : "";
  if (status === 413) return `El archivo es demasiado grande para esta página. ${detail}`;
  if (status === 422) return `No se pudo leer el archivo. ${detail}`;
  if (status === 429) return `El servidor ya está ocupado con otros archivos en uso; prueba de nuevo en unos minutos. ${detail}`;
  if (status === 403) return `Petición rechazada: llegó desde otro sitio. ${detail}`;
  return `Algo falló (${status}). ${detail}`;
}

function badge(intent) {
  return el("span", { class: `badge ${intent || "none"}`, text: intent ? NAMES[intent] : "sin etiqueta" });
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
        "Clasifícalo en una terminal con «intent classify», o arranca el servidor con un --max-upload-mb mayor.",
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
  const xhr = new XMLHttpRequest();
  xhr.open("POST", url);
  xhr.responseType = "json";
  xhr.upload.onprogress = (event) => {
    if (event.lengthComputable) {
      $("progress").value = event.loaded / event.total;
      $("progress-text").textContent = `Subiendo el archivo… ${percent(event.loaded / event.total)}`;
    }
  };
  xhr.onerror = () => showError("No se pudo conectar con intent. ¿Sigue abierto `intent serve`?");
  xhr.onload = () => {
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
  if (status.state === "failed") return showError(`No se pudo clasificar el archivo. ${status.error || ""}`);
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
  for (const row of data.rows) row.key = fold(`${row.text} ${row.sender}`);
  for (const conv of data.conversations || []) {
    conv.messages = conv.rows.map((n) => data.rows[n]);
    conv.key = fold([conv.other_party.join(" "), conv.title, ...conv.messages.map((m) => m.key)].join(" "));
    for (const message of conv.messages) message.thread = conv;
  }
  state.data = data;
  loadCorrections(data.corrections);
  show("progress-box", false);
  renderResults(view);
}

// ---------- results ----------
// Two views of the same rows: conversations (an export whose owner is known) and messages one by one.
// The filters pick items of the current view; showMore() is the one place that renders them, a page at a time.

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
    `${number(total)} mensajes de ${data.filename}` +
    (conversations ? ` · ${number(conversations)} conversaciones` : "") +
    (data.uncertain ? ` · ${number(data.uncertain)} dudosos` : "");
  renderDownloads(data);
  renderOwnerNote(data);
  renderWaiting(data);
  renderSenders(data.senders || []);
  renderTeach();
  show("view-switch", hasConversations());
  $("filter-awaiting").hidden = !hasConversations();
  $("filter-intent").value = "";
  $("search").value = "";
  show("results", true);
  setView(view && (view === "messages" || hasConversations()) ? view : hasConversations() ? "conversations" : "messages");
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
        el("span", { class: "muted", text: ` · ${conv.last || ""} · ${messageCount(conv.messages_in, "recibido")}` }),
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
  const fill = el("span", { class: "bar-fill" });
  fill.style.width = `${100 * fraction}%`;
  fill.style.background = `var(--${label})`;
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
      const part = el("span", { title: `${NAMES[label]}: ${counts[label]}` });
      part.style.height = `${(100 * counts[label]) / max}%`;
      part.style.background = `var(--${label})`;
      return part;
    });
    const name = MONTHS[Number(month) - 1];
    const shown = index === 0 || month === "01" ? `${name} ${year.slice(2)}` : name; // the year where it changes
    const label = el("span", { class: "month-label", text: shown });
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return el("div", { class: "month", title: `${key}: ${total} mensajes` }, [...parts, label]);
  });
  const legend = state.data.labels.map((label) => {
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = `var(--${label})`;
    return el("span", {}, [swatch, NAMES[label]]);
  });
  $("chart-months").replaceChildren(...columns);
  $("month-legend").replaceChildren(...legend);
}

// An item is a message row or a conversation: both have intent, uncertain and key.
function matches(item, intent, query) {
  const awaiting = state.view === "conversations" ? item.awaiting_reply : item.thread && item.thread.awaiting_reply;
  if (intent === "uncertain" && !(item.uncertain && item.intent && !correctedLabel(item))) return false;
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
  const items = state.view === "conversations" ? state.data.conversations : state.data.rows;
  state.filtered = items.filter((item) => matches(item, intent, query));
  state.shown = 0;
  VIEWS[state.view].container().replaceChildren();
  showMore();
}

function showMore() {
  const view = VIEWS[state.view];
  const next = state.filtered.slice(state.shown, state.shown + PAGE_SIZE);
  view.container().append(...next.map(view.render));
  state.shown += next.length;
  const all = state.view === "conversations" ? state.data.conversations.length : state.data.rows.length;
  $("shown-count").textContent =
    `${number(state.filtered.length)} de ${number(all)} ${view.noun}` +
    (state.shown < state.filtered.length ? ` (viendo ${number(state.shown)})` : "");
  show("more", state.shown < state.filtered.length);
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
  else if (item.uncertain && item.intent) parts.push(el("span", { class: "flag", text: "⚠ dudoso" }));
  if (item.status && !["ok", "no_text", "no_incoming"].includes(item.status)) {
    const note = STATUS_NAMES[item.status] || item.status;
    parts.push(el("span", { class: "flag", text: item.status === "other_language" ? `${note} (${item.language})` : note }));
  }
  return parts;
}

function onActivate(node, action) {
  node.addEventListener("click", action);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      action();
    }
  });
}

// ---------- messages view: one table row per message ----------

function tableRow(row) {
  const snippet = row.text.length > 180 ? `${row.text.slice(0, 180)}…` : row.text;
  const intentCell = el("td", { class: "intent", "data-label": "Intención:" }, intentBadges(row));
  if (row.intent) intentCell.append(correctionControl(row));
  const tr = el("tr", { tabindex: "0", class: row.uncertain && row.intent ? "uncertain" : "", "data-intent": effectiveIntent(row) || "", "data-row": String(row.n) }, [
    el("td", { class: "sender", "data-label": "De:", text: row.sender || "—" }),
    el("td", { class: "when", "data-label": "Fecha:", text: row.when || row.date || "—", title: row.date }),
    el("td", { class: "text", text: snippet || "(sin texto)" }),
    intentCell,
    el("td", { class: "conf", "data-label": "Confianza:", text: percent(row.confidence) }),
  ]);
  if (row.direction === "outgoing") tr.classList.add("outgoing");
  if (correctedLabel(row)) tr.classList.add("corrected");
  onActivate(tr, () => openDetail(row));
  return tr;
}

// ---------- conversations view: one collapsible thread per conversation ----------

const CONVERSATION_NOTES = {
  no_text: "sin texto que clasificar",
  no_incoming: "solo has escrito tú",
};

function threadItem(conv) {
  const id = `thread-${state.data.conversations.indexOf(conv)}`;
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
  if (conv.intent) status.push(correctionControl(conv));
  const classes = ["thread", conv.uncertain && conv.intent ? "uncertain" : "", correctedLabel(conv) ? "corrected" : ""];
  return el("li", { class: classes.filter(Boolean).join(" "), "data-intent": effectiveIntent(conv) || "", "data-id": conv.id }, [
    el("div", { class: "thread-head" }, [toggle, el("div", { class: "thread-intent" }, status)]),
    messages,
  ]);
}

function threadMeta(conv) {
  const kind = conv.kind === "invitation" ? "invitación" : conv.title || "conversación";
  const counts = [messageCount(conv.messages_in, "recibido"), messageCount(conv.messages_out, "enviado")];
  if (conv.drafts) counts.push(messageCount(conv.drafts, "borrador").replace("borradors", "borradores"));
  return [kind, conv.last, counts.join(", ")].filter(Boolean).join(" · ");
}

function toggleThread(conv, toggle, messages) {
  const open = !state.expanded.has(conv.id);
  if (open) state.expanded.add(conv.id);
  else state.expanded.delete(conv.id);
  if (open && !messages.children.length) messages.append(...conv.messages.map(threadMessage));
  messages.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
}

// One message inside a thread: the other party's on the left, the owner's (and drafts) on the right.
function threadMessage(row) {
  const side = row.direction === "outgoing" ? "out" : row.direction === "incoming" ? "in" : "unknown";
  const who = side === "out" ? (row.draft ? "Tú (borrador, no enviado)" : "Tú") : row.sender || "—";
  const intent = effectiveIntent(row);
  const why = el("button", { type: "button", class: "why-button", "aria-label": `Por qué: ${intent ? NAMES[intent] : "sin etiqueta"}` }, [
    ...intentBadges(row),
    el("span", { class: "muted conf", text: percent(row.confidence) }),
  ]);
  why.addEventListener("click", () => openDetail(row));
  const classes = ["message", side, row.draft ? "draft" : "", correctedLabel(row) ? "corrected" : ""];
  return el("li", { class: classes.filter(Boolean).join(" "), "data-direction": row.direction || "", "data-row": String(row.n) }, [
    el("p", { class: "message-meta muted", text: [who, row.when || row.date].filter(Boolean).join(" · ") }),
    el("p", { class: "message-text", text: row.text || "(sin texto)" }),
    el("div", { class: "message-foot" }, row.intent ? [why, correctionControl(row)] : [why]),
  ]);
}

// From "Te esperan": show the conversation, open, in the conversations view.
function openConversation(conv) {
  state.expanded.add(conv.id);
  $("filter-intent").value = "";
  $("search").value = "";
  setView("conversations");
  while (!state.filtered.slice(0, state.shown).includes(conv) && state.shown < state.filtered.length) showMore();
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
  $("detail-meta").textContent = [row.sender, row.date, row.source].filter(Boolean).join(" · ");
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
      teachHealth(health);
    })
    .catch(() => {});
}

function renderModelInfo(model) {
  if (state.health) state.health.model = model;
  const trained = model.trained_at ? `, entrenado el ${model.trained_at.slice(0, 10)}` : "";
  const where = model.kind === "shipped" ? "" : ` · ${model.path}`;
  $("model-info").textContent = `Modelo en uso: ${model.name}, ${MODEL_KINDS[model.kind] || model.kind}${trained}${where}`;
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
  $("more").addEventListener("click", showMore);
  $("view-conversations").addEventListener("click", () => setView("conversations"));
  $("view-messages").addEventListener("click", () => setView("messages"));
  $("detail").addEventListener("close", () => {
    state.detailRow = null;
  });
  wireTeach();
  refreshHealth();
}

document.addEventListener("DOMContentLoaded", wire);
