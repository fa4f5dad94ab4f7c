// intent's page: upload a file, follow its progress, browse and filter the labeled messages.
// Plain JavaScript, no build step. Message text is only ever put in the page with textContent.
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
const state = { job: null, data: null, filtered: [], shown: 0, file: null, maxUpload: null };

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

async function loadRows(jobId) {
  $("progress").value = 1;
  $("progress-text").textContent = "Preparando la tabla…";
  const response = await fetch(`/api/jobs/${jobId}/rows`);
  const data = await response.json();
  if (!response.ok) return showError(errorMessage(response.status, data));
  for (const row of data.rows) row.key = fold(`${row.text} ${row.sender}`);
  state.data = data;
  show("progress-box", false);
  renderResults();
}

// ---------- results ----------

function renderResults() {
  const data = state.data;
  const total = data.rows.length;
  const labeled = Object.values(data.counts).reduce((a, b) => a + b, 0);
  $("results-title").textContent =
    `${number(total)} mensajes de ${data.filename}` + (data.uncertain ? ` · ${number(data.uncertain)} dudosos` : "");
  $("download-csv").href = `/api/jobs/${data.id}/download?format=csv`;
  $("download-excel").href = `/api/jobs/${data.id}/download?format=excel`;
  renderIntentChart(data.counts, labeled);
  renderMonthChart(data.months);
  $("filter-intent").value = "";
  $("search").value = "";
  show("results", true);
  applyFilters();
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

function applyFilters() {
  const intent = $("filter-intent").value;
  const query = fold($("search").value.trim());
  state.filtered = state.data.rows.filter((row) => {
    if (intent === "uncertain" && !(row.uncertain && row.intent)) return false;
    if (intent === "unlabeled" && row.intent) return false;
    if (intent && !["uncertain", "unlabeled"].includes(intent) && row.intent !== intent) return false;
    return !query || row.key.includes(query);
  });
  state.shown = 0;
  $("messages").tBodies[0].replaceChildren();
  showMore();
}

function showMore() {
  const next = state.filtered.slice(state.shown, state.shown + PAGE_SIZE);
  $("messages").tBodies[0].append(...next.map(tableRow));
  state.shown += next.length;
  $("shown-count").textContent =
    `${number(state.filtered.length)} de ${number(state.data.rows.length)} mensajes` +
    (state.shown < state.filtered.length ? ` (viendo ${number(state.shown)})` : "");
  show("more", state.shown < state.filtered.length);
}

function tableRow(row) {
  const snippet = row.text.length > 180 ? `${row.text.slice(0, 180)}…` : row.text;
  const intentCell = el("td", { class: "intent", "data-label": "Intención:" }, [badge(row.intent)]);
  if (row.uncertain && row.intent) intentCell.append(el("span", { class: "flag", text: "⚠ dudoso" }));
  if (row.status !== "ok") {
    const note = STATUS_NAMES[row.status] || row.status;
    intentCell.append(el("span", { class: "flag", text: row.status === "other_language" ? `${note} (${row.language})` : note }));
  }
  const tr = el("tr", { tabindex: "0", class: row.uncertain && row.intent ? "uncertain" : "", "data-intent": row.intent || "" }, [
    el("td", { class: "sender", "data-label": "De:", text: row.sender || "—" }),
    el("td", { class: "when", "data-label": "Fecha:", text: row.when || row.date || "—", title: row.date }),
    el("td", { class: "text", text: snippet || "(sin texto)" }),
    intentCell,
    el("td", { class: "conf", "data-label": "Confianza:", text: percent(row.confidence) }),
  ]);
  const open = () => openDetail(row);
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      open();
    }
  });
  return tr;
}

// ---------- one message: its explanation ----------

async function openDetail(row) {
  const dialog = $("detail");
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
  fetch("/api/health")
    .then((r) => r.json())
    .then((health) => {
      state.maxUpload = health.limits.max_upload_bytes;
      $("model-info").textContent = `Modelo ${health.model.name} (${health.model.version}), entrenado ${
        (health.model.trained_at || "").slice(0, 10)
      }`;
    })
    .catch(() => {});
}

document.addEventListener("DOMContentLoaded", wire);
