// Teaching intent from the page: correct a label (a click, or the keys 1/2/3 and 0 to undo), download the
// corrections, train a personal model, see what changed, and choose which model labels the file.
// Uses app.js's helpers and state ($, el, show, badge, NAMES, state…); message text only through textContent.
"use strict";

const KEYS = { 1: "spam_sales", 2: "genuine_networking", 3: "gatekeeping_rejection" };
const SHORT_NAMES = { spam_sales: "Spam", genuine_networking: "Networking", gatekeeping_rejection: "Rechazo" };
const TRAIN_POLL_MS = 700;
const CHANGED_SHOWN = 10;
const STAGE_NAMES = {
  corpus: "Leer los mensajes con los que aprendió intent",
  preprocess: "Analizar los textos",
  cross_validation: "Probar tu modelo con tus correcciones (validación cruzada)",
  final: "Entrenar tu modelo con todo",
  held_out: "Medirlo en los mensajes de prueba de intent",
  save: "Guardarlo",
  relabel: "Etiquetar tu archivo con él",
};
const HELD_OUT_NAMES = { test: "conjunto de prueba", challenge_test: "casos difíciles" };

const teach = {
  rows: new Map(), // row n -> corrected label
  conversations: new Map(), // conversation id -> corrected label
  examples: 0, // distinct texts among the corrections: what a personal model learns from
  min: 10,
  training: null, // the last training's status, as GET /api/train/{id} gives it
  changed: new Set(), // rows whose label the personal model changes
  timer: null,
};

// ---------- corrections: what is corrected, and to what ----------

function resetTeach() {
  clearTimeout(teach.timer);
  teach.rows = new Map();
  teach.conversations = new Map();
  teach.examples = 0;
  teach.training = null;
  teach.changed = new Set();
  $("filter-changed").hidden = true;
}

function loadCorrections(corrections) {
  teach.rows = new Map(Object.entries(corrections.rows).map(([n, label]) => [Number(n), label]));
  teach.conversations = new Map(Object.entries(corrections.conversations));
  teach.examples = corrections.examples;
  state.sorted = null; // the order by intent follows your labels
}

function isConversation(item) {
  return Array.isArray(item.other_party);
}

function correctedLabel(item) {
  return isConversation(item) ? teach.conversations.get(item.id) : teach.rows.get(item.n);
}

// The label the page shows and counts: the one you gave, or the model's.
function effectiveIntent(item) {
  return correctedLabel(item) || item.intent;
}

function hasCorrection(item) {
  if (correctedLabel(item)) return true;
  return isConversation(item) && item.messages.some((message) => teach.rows.has(message.n));
}

function changesLabel(item) {
  if (isConversation(item)) return item.messages.some((message) => teach.changed.has(message.n));
  return teach.changed.has(item.n);
}

function correctionCount() {
  return teach.rows.size + teach.conversations.size;
}

function correctedFlag(item) {
  const text =
    correctedLabel(item) === item.intent ? "✓ confirmado por ti" : `✎ corregido (el modelo dijo ${NAMES[item.intent]})`;
  return el("span", { class: "flag corrected-flag", text });
}

// Three buttons, one per label; the pressed one is the correction (pressing it again undoes it). In a list
// (``inList``) they are not Tab stops: one stop per item, whose keys 1/2/3/0 do the same; the dialog's are.
function correctionControl(item, inList = false) {
  const current = correctedLabel(item);
  const what = isConversation(item) ? "lo que quiere la otra persona en esta conversación" : "este mensaje";
  const group = el("span", { class: "correct", role: "group", "aria-label": `Corregir ${what}` });
  state.data.labels.forEach((label, i) => {
    const pressed = current === label;
    const button = el("button", {
      type: "button",
      class: `correct-button ${label}`,
      "aria-pressed": String(pressed),
      title: `${pressed ? "Deshacer la corrección" : `Es ${NAMES[label]}`} (tecla ${pressed ? 0 : i + 1})`,
      text: SHORT_NAMES[label],
    });
    if (inList) button.tabIndex = -1;
    button.addEventListener("click", (event) => {
      event.stopPropagation(); // not a click on the row: that opens the explanation
      setCorrection(item, pressed ? null : label);
    });
    group.append(button);
  });
  group.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") event.stopPropagation();
  });
  return group;
}

async function setCorrection(item, label) {
  hideTeachError();
  const body = isConversation(item) ? { conversation: item.id, label } : { row: item.n, label };
  const response = await fetch(`/api/jobs/${state.data.id}/corrections`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const result = await response.json().catch(() => null);
  if (!response.ok) return showTeachError(`No se pudo guardar la corrección. ${errorMessage(response.status, result)}`);
  loadCorrections(result);
  refreshItem(item);
  renderCharts();
  renderTeach();
  if (state.detailRow && state.detailRow === item) renderDetailCorrection(item);
}

// Draw one item again where it is shown, keeping the keyboard focus on it.
function refreshItem(item) {
  const active = document.activeElement;
  const replace = (old, fresh, focusSelector) => {
    const focused = old.contains(active);
    old.replaceWith(fresh);
    if (focused) (focusSelector ? fresh.querySelector(focusSelector) : fresh).focus();
  };
  if (isConversation(item)) {
    const old = $("conversations").querySelector(`li.thread[data-id="${CSS.escape(item.id)}"]`);
    if (old) replace(old, threadItem(item), ".thread-toggle");
    return;
  }
  const tr = $("messages").tBodies[0].querySelector(`tr[data-row="${item.n}"]`);
  if (tr) replace(tr, tableRow(item), ".why-row");
  const message = $("conversations").querySelector(`li.message[data-row="${item.n}"]`);
  if (message) replace(message, threadMessage(item), ".why-button");
}

function renderDetailCorrection(row) {
  const box = $("detail-correct");
  if (!row.intent) return box.replaceChildren();
  const corrected = correctedLabel(row);
  const note = corrected ? `Lo has corregido: ${NAMES[corrected]}.` : "¿Está mal? Corrígelo (teclas 1, 2, 3):";
  box.replaceChildren(el("span", { class: "muted", text: note }), correctionControl(row));
}

// The item the keys 1/2/3/0 correct: the open explanation's message, else the selected row or conversation.
function selectedItem(target) {
  if (!state.data) return null;
  if ($("detail").open) return state.detailRow;
  const node = target.closest ? target.closest("[data-row], li.thread") : null;
  if (!node) return null;
  if (node.dataset.row !== undefined) return state.data.rows[Number(node.dataset.row)];
  return state.data.conversations.find((conv) => conv.id === node.dataset.id) || null;
}

function onCorrectionKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || !(event.key in KEYS || event.key === "0")) return;
  if (event.target.closest && event.target.closest("input, select, textarea")) return;
  const item = selectedItem(event.target);
  if (!item || !item.intent) return;
  event.preventDefault();
  setCorrection(item, event.key === "0" ? null : KEYS[event.key]);
}

// ---------- the panel: count, download, train ----------

function renderTeach() {
  const n = correctionCount();
  const distinct = teach.examples;
  $("teach-min").textContent = number(teach.min);
  $("corrections-count").textContent = n
    ? `${number(n)} ${n === 1 ? "corrección" : "correcciones"}` +
      (distinct < n ? ` (${number(distinct)} ${distinct === 1 ? "texto distinto" : "textos distintos"})` : "")
    : "Ninguna corrección todavía";
  $("download-corrections").href = `/api/jobs/${state.data.id}/corrections`;
  show("download-corrections", n > 0);
  const running = Boolean(teach.training && teach.training.state === "running");
  $("train-button").disabled = running;
  $("train-hint").textContent = running
    ? ""
    : distinct < teach.min
      ? `Te ${teach.min - distinct === 1 ? "falta" : "faltan"} ${number(teach.min - distinct)} para poder ` +
        "entrenar tu modelo."
      : "Tarda uno o dos minutos; mientras, puedes seguir usando la página.";
  renderTraining();
}

function tooFewMessage(n) {
  const what = n === 1 ? "texto corregido" : "textos corregidos";
  return (
    `Con ${number(n)} ${what} todavía no se puede entrenar: hacen falta al menos ` +
    `${number(teach.min)}. Con menos, la comparación antes/después dependería de un puñado de mensajes, y tan pocos ` +
    "apenas mueven un modelo que aprendió de miles. Corrige algunos más: los dudosos son un buen comienzo."
  );
}

async function startTraining() {
  hideTeachError();
  const response = await fetch("/api/train", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ job: state.data.id }),
  });
  const body = await response.json().catch(() => null);
  if (response.status === 202) {
    teach.training = body;
    renderTeach();
    return pollTraining(body.id);
  }
  if (body && body.code === "too_few_corrections") return showTeachError(tooFewMessage(teach.examples));
  if (body && body.code === "training_busy") return showTeachError(ERROR_MESSAGES.training_busy);
  showTeachError(`No se pudo empezar a entrenar. ${errorMessage(response.status, body)}`);
}

async function pollTraining(id) {
  const response = await fetch(`/api/train/${id}`);
  const status = await response.json().catch(() => null);
  if (!state.data || !teach.training || teach.training.id !== id) return; // the file was forgotten meanwhile
  if (!response.ok) return showTeachError(`Se perdió el entrenamiento. ${errorMessage(response.status, status)}`);
  teach.training = status;
  if (status.state === "done") {
    teach.changed = new Set(status.result.changed.rows.map((row) => row.n));
    $("filter-changed").hidden = false;
  }
  renderTeach();
  if (status.state === "running") teach.timer = setTimeout(() => pollTraining(id), TRAIN_POLL_MS);
}

function renderTraining() {
  const training = teach.training;
  show("train-progress", Boolean(training) && training.state === "running");
  show("train-result", Boolean(training) && training.state === "done");
  if (!training) return;
  if (training.state === "running") {
    $("train-bar").value = training.progress;
    $("train-stage").textContent = `Entrenando tu modelo… ${percent(training.progress)}`;
    $("train-stages").replaceChildren(...training.stages.map((stage) => stageItem(stage, training.stage)));
  } else if (training.state === "failed") {
    showTeachError("No se pudo entrenar tu modelo. Prueba de nuevo; si se repite, avisa a quien instaló intent.");
  } else if (training.state === "cancelled") {
    $("train-hint").textContent = "Entrenamiento cancelado: no se ha guardado nada.";
  } else {
    renderTrainingResult(training.result);
  }
}

function stageItem(stage, current) {
  const mark = stage.done ? " ✓" : stage.name === current ? ` (${percent(stage.progress)})` : "";
  const status = stage.done ? "done" : stage.name === current ? "current" : "";
  return el("li", { class: status, text: `${STAGE_NAMES[stage.name] || stage.name}${mark}` });
}

// ---------- what changed, and which model to keep ----------

function baseName(base) {
  return base.kind === "shipped" ? "el modelo incluido" : `el modelo anterior (${base.name})`;
}

function renderTrainingResult(result) {
  const total = number(result.corrections);
  $("fig-base").textContent = `${number(result.base.right)} de ${total}`;
  $("fig-base-label").textContent = `bien con ${baseName(result.base)}; ${sure(result.base.sure)}`;
  $("fig-personal").textContent = `${number(result.personal.right)} de ${total}`;
  $("fig-personal-label").textContent = `con tu modelo, sin haberlos visto; ${sure(result.personal.sure)}`;
  const together = result.grouped_by === "sender" ? " ni las demás de la misma persona" : "";
  $("fig-explain").textContent =
    `Tus ${total} correcciones, una a una: cada una la ha etiquetado un modelo entrenado sin ella${together} ` +
    `(validación cruzada en ${result.folds} partes), así que la cifra dice cómo acertará con mensajes que no ha ` +
    `visto, no si recuerda los que le enseñaste. Cada corrección cuenta como ${number(result.weight)} mensajes ` +
    "de los que intent aprendió.";
  const heldOut = Object.entries(result.held_out).map(
    ([key, h]) => `${HELD_OUT_NAMES[key] || key} (${number(h.n)}): ${f1(h.base_macro_f1)} → ${f1(h.personal_macro_f1)}`,
  );
  $("fig-held-out").textContent = heldOut.length
    ? `En los mensajes de prueba de intent, que ninguno de los dos vio al entrenar, la calidad (macro-F1, de 0 a ` +
      `1) pasa de: ${heldOut.join(" · ")}.`
    : "";
  renderChanged(result.changed);
  const card = result.model.card.split(/[\\/]/).pop();
  $("model-saved").textContent =
    `Tu modelo está guardado en este equipo, en ${result.model.path}, con su ficha (${card}), para usarlo más ` +
    "adelante. Guárdalo como tus mensajes: sus palabras salen de ellos.";
  renderModelChoice(result);
}

function sure(n) {
  return `${number(n)} sin marcar como ${n === 1 ? "dudoso" : "dudosos"}`;
}

function f1(x) {
  return x.toLocaleString("es-ES", { minimumFractionDigits: 3, maximumFractionDigits: 3 });
}

function renderChanged(changed) {
  $("fig-changed").textContent =
    `Con tu modelo cambiarían de etiqueta ${number(changed.count)} de los ${number(changed.compared)} mensajes ` +
    `que no has corregido${changed.count ? ":" : "."}`;
  $("changed-list").replaceChildren(
    ...changed.rows.slice(0, CHANGED_SHOWN).map((change) => {
      const row = state.data.rows[change.n];
      const snippet = row.text.length > 90 ? `${row.text.slice(0, 90)}…` : row.text;
      return el("li", {}, [
        linkButton([row.sender, snippet].filter(Boolean).join(": "), () => openDetail(row)),
        el("span", { class: "change" }, [badge(change.before), " → ", badge(change.after)]),
      ]);
    }),
  );
  show("changed-all", changed.count > 0);
}

function showChanged() {
  $("filter-intent").value = "changed";
  $("search").value = "";
  setView("messages");
  $("messages-view").scrollIntoView({ block: "start" });
}

function renderModelChoice(result) {
  const inUse = state.health && state.health.model.path === result.model.path;
  $("use-personal").disabled = inUse;
  $("use-default").textContent = inUse ? `Volver a ${baseName(result.base)}` : `Seguir con ${baseName(result.base)}`;
  $("model-choice").textContent = inUse
    ? "Estás usando tu modelo: este archivo y los que subas ahora se etiquetan con él."
    : `Este archivo sigue etiquetado con ${baseName(result.base)}.`;
}

async function useModel(which) {
  hideTeachError();
  const body =
    which === "personal"
      ? { use: "personal", training: teach.training.id, job: state.data.id }
      : { use: "default", job: state.data.id };
  const response = await fetch("/api/model", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const result = await response.json().catch(() => null);
  if (!response.ok) return showTeachError(`No se pudo cambiar de modelo. ${errorMessage(response.status, result)}`);
  renderModelInfo(result.model);
  if (result.relabeled) await loadRows(state.data.id, state.view);
  else renderTeach();
}

// ---------- wiring ----------

function showTeachError(message) {
  $("teach-error").textContent = message;
  show("teach-error", true);
}

function hideTeachError() {
  show("teach-error", false);
}

// What the server says about personal models (GET /api/health).
function teachHealth(health) {
  teach.min = health.personal.min_corrections;
  if (state.data) renderTeach();
}

function wireTeach() {
  document.addEventListener("keydown", onCorrectionKey);
  $("train-button").addEventListener("click", startTraining);
  $("train-cancel").addEventListener("click", () => {
    if (teach.training) fetch(`/api/train/${teach.training.id}`, { method: "DELETE" }).catch(() => {});
  });
  $("changed-all").addEventListener("click", showChanged);
  $("use-personal").addEventListener("click", () => useModel("personal"));
  $("use-default").addEventListener("click", () => useModel("default"));
}
