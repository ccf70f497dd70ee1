// The annotation widget's front end (an anywidget ES module). The kernel draws the document
// view as HTML (the same markup `p.show` gives) and owns every coding; this module only turns
// a selection or a click into a request (`model.send`) and shows the kernel's answer. Offsets
// are Unicode code points from the document's start, as the record stores them. Suggestions
// are named by the kernel's id only: the kernel finds their place, never this module.

function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

// The code point offset in the document of a DOM point (a selection boundary).
function documentOffset(root, container, offset, atEnd) {
  let element = container.nodeType === Node.TEXT_NODE ? container.parentElement : container;
  let cell = element && element.closest ? element.closest(".qk-text") : null;
  if (!cell || !root.contains(cell)) {
    // A boundary on a row, a line number or a lane: take its line's start or end.
    const child = container.childNodes && container.childNodes[Math.min(offset, container.childNodes.length - 1)];
    const row = (child && child.closest ? child.closest("tr") : null) || (element && element.closest ? element.closest("tr") : null);
    cell = row ? row.querySelector(".qk-text") : null;
    if (!cell) return null;
    return Number(atEnd ? cell.dataset.end : cell.dataset.start);
  }
  const range = document.createRange();
  range.setStart(cell, 0);
  range.setEnd(container, offset);
  return Number(cell.dataset.start) + codePoints(range.toString());
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A code picker: type to search the codebook tree, Enter or click to choose.
function codePicker(codes, placeholder, onChoose) {
  const input = el("input", { type: "search", class: "qk-code-search", placeholder });
  const list = el("div", { class: "qk-code-list", role: "listbox" });
  let shown = [];
  const refresh = () => {
    const needle = input.value.trim().toLowerCase();
    shown = codes.filter((c) => !needle || c.path.toLowerCase().includes(needle) || c.id.toLowerCase().includes(needle)).slice(0, 60);
    list.replaceChildren(
      ...shown.map((c) =>
        el(
          "div",
          {
            class: "qk-code-option",
            role: "option",
            "data-code": c.id,
            style: `padding-left:${4 + 12 * c.depth}px`,
            onmousedown: (event) => {
              event.preventDefault();
              onChoose(c);
            },
          },
          el("span", { class: "qk-swatch", style: `background:${c.color}` }),
          c.path,
        ),
      ),
    );
    list.hidden = shown.length === 0;
  };
  input.addEventListener("input", refresh);
  input.addEventListener("focus", refresh);
  input.addEventListener("blur", () => setTimeout(() => (list.hidden = true), 150));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && shown.length > 0) {
      event.preventDefault();
      onChoose(shown[0]);
    }
  });
  list.hidden = true;
  return { node: el("span", { class: "qk-picker" }, input, list), input };
}

function render({ model, el: root }) {
  root.classList.add("qk-annotate");
  let selection = null;
  let chosen = null;

  const coder = el("input", { class: "qk-coder", value: model.get("coder"), size: "12", title: "Codings are stored under this coder" });
  coder.addEventListener("change", () => model.send({ action: "coder", coder: coder.value }));

  const selected = el("span", { class: "qk-selected" }, "Select text in the document to code it.");
  const codeButton = el("button", { class: "qk-apply", disabled: "" }, "Code");
  const picker = codePicker(model.get("codes"), "code (type to search)", (code) => {
    chosen = code;
    picker.input.value = code.path;
    codeButton.disabled = !selection;
  });
  codeButton.addEventListener("click", () => {
    if (!selection || !chosen) return;
    model.send({ action: "code", start: selection.start, end: selection.end, code: chosen.id });
  });
  const suggestButton = el(
    "button",
    { class: "qk-suggest", title: "Mark the suggestions of the chosen code in this document" },
    "Suggest",
  );
  suggestButton.addEventListener("click", () => {
    if (!chosen) {
      status.textContent = "Choose a code first, then press Suggest.";
      status.dataset.kind = "error";
      return;
    }
    status.textContent = `Making suggestions of ${chosen.path}…`;
    status.dataset.kind = "info";
    model.send({ action: "suggest", code: chosen.id });
  });
  const status = el("div", { class: "qk-status", role: "status" });
  const panel = el("div", { class: "qk-panel", hidden: "" });
  const suggestions = el("div", { class: "qk-suggestions", hidden: "" });
  const view = el("div", { class: "qk-view" });

  root.replaceChildren(
    el("div", { class: "qk-toolbar" }, el("label", {}, "Coder ", coder), selected, picker.node, codeButton, suggestButton),
    status,
    panel,
    suggestions,
    view,
  );

  const figure = (value) => (value === null || value === undefined ? "–" : Number(value).toFixed(2));

  // The suggestions beside the text: how far to trust them first, then each one with its
  // score and reason, to accept or dismiss.
  const drawSuggestions = () => {
    const state = model.get("suggesting");
    if (!state) {
      suggestions.hidden = true;
      suggestions.replaceChildren();
      return;
    }
    const e = state.evaluation;
    const head = el(
      "div",
      { class: "qk-suggestions-head" },
      el("span", { class: "qk-swatch qk-swatch-dashed", style: `border-color:${state.color}` }),
      el("b", {}, `Suggestions of ${state.code_path}`),
      ` · not codings until accepted · ${state.suggestions.length} here (score ≥ ${figure(state.min_score)}, ${state.unit}s)`,
      state.dismissed ? ` · ${state.dismissed} dismissed` : "",
    );
    const figures = e
      ? el(
          "div",
          { class: "qk-evaluation", title: e.summary },
          `Measured by ${e.folds}-fold cross-validation against ${e.coders.join(", ")}: `,
          el("b", {}, `kappa ${figure(e.kappa)}`),
          `, precision ${figure(e.precision)}, recall ${figure(e.recall)}, learned from ${e.examples} coded examples of ${e.units} ${e.unit}s.`,
        )
      : el("div", { class: "qk-evaluation" }, state.problem || "");
    const warning = e && e.warning ? el("div", { class: "qk-warning" }, `Warning: ${e.warning}`) : "";
    const threshold = el("input", { type: "number", class: "qk-threshold", min: "0", max: "1", step: "0.05", value: "0.8" });
    const acceptAbove = el("button", { class: "qk-accept-above" }, "Accept all ≥ score");
    acceptAbove.addEventListener("click", () => {
      const score = Number(threshold.value);
      model.send({ action: "accept_above", score });
    });
    const cards = state.suggestions.map((s) => {
      const reason = s.nearest.length
        ? el(
            "div",
            { class: "qk-reason" },
            "Like coded: ",
            ...s.nearest.map((n, i) =>
              el("span", {}, i ? " · " : "", `“${n.text}” (${n.document} ${n.start}..${n.end}, ${figure(n.similarity)})`),
            ),
          )
        : el("div", { class: "qk-reason" }, "No coded passage shares its words.");
      return el(
        "div",
        { class: "qk-suggestion-card", "data-suggestion": s.id },
        el(
          "div",
          { class: "qk-suggestion-head" },
          el("span", { class: "qk-score" }, figure(s.score)),
          ` ${s.start}..${s.end} `,
          el("button", { class: "qk-accept", onclick: () => model.send({ action: "accept", id: s.id }) }, "Accept"),
          el("button", { class: "qk-dismiss", onclick: () => model.send({ action: "dismiss", id: s.id }) }, "Dismiss"),
        ),
        el("div", { class: "qk-suggestion-text" }, `“${s.text}”`),
        reason,
      );
    });
    suggestions.replaceChildren(
      head,
      figures,
      warning,
      el("div", { class: "qk-suggestions-actions" }, threshold, acceptAbove),
      el("div", { class: "qk-suggestion-cards" }, ...cards),
    );
    suggestions.hidden = false;
  };

  // A click on a mark in the text brings its card into view.
  view.addEventListener("click", (event) => {
    const mark = event.target.closest ? event.target.closest(".qk-suggested") : null;
    if (!mark) return;
    const current = window.getSelection();
    if (current && !current.isCollapsed) return;
    for (const card of suggestions.querySelectorAll(".qk-suggestion-card")) {
      const match = card.dataset.suggestion === mark.dataset.suggestion;
      card.classList.toggle("qk-current", match);
      if (match) card.scrollIntoView({ block: "nearest" });
    }
  });

  const showCoding = (stripe) => {
    const id = stripe.dataset.coding;
    const coding = (model.get("codings") || []).find((c) => c.id === id);
    if (!coding) return;
    const memo = el("textarea", { class: "qk-memo", rows: "2", placeholder: "memo on this coding" });
    memo.value = coding.memo || "";
    let recodeTo = null;
    const recode = codePicker(model.get("codes"), "recode as…", (code) => {
      recodeTo = code;
      recode.input.value = code.path;
    });
    panel.replaceChildren(
      el("div", { class: "qk-panel-head" }, el("b", {}, coding.code_path), ` · ${coding.coder} · ${coding.start}..${coding.end} · `, el("code", {}, coding.id)),
      el("blockquote", { class: "qk-quote" }, coding.quote),
      el(
        "div",
        { class: "qk-panel-actions" },
        el("button", { class: "qk-uncode", onclick: () => model.send({ action: "uncode", id }) }, "Uncode"),
        recode.node,
        el("button", { class: "qk-recode", onclick: () => recodeTo && model.send({ action: "recode", id, code: recodeTo.id }) }, "Recode"),
      ),
      memo,
      el("button", { class: "qk-save-memo", onclick: () => model.send({ action: "memo", id, text: memo.value }) }, "Save memo"),
      el("button", { class: "qk-close", onclick: () => (panel.hidden = true) }, "Close"),
    );
    panel.hidden = false;
  };

  const draw = () => {
    view.innerHTML = model.get("html");
    for (const stripe of view.querySelectorAll(".qk-stripe")) {
      stripe.addEventListener("click", () => showCoding(stripe));
    }
    selection = null;
    codeButton.disabled = true;
    selected.textContent = "Select text in the document to code it.";
  };

  view.addEventListener("mouseup", () => {
    const current = window.getSelection();
    if (!current || current.isCollapsed || current.rangeCount === 0) return;
    const range = current.getRangeAt(0);
    const lines = view.querySelector(".qk-lines");
    if (!lines || !lines.contains(range.commonAncestorContainer)) return;
    const start = documentOffset(lines, range.startContainer, range.startOffset, false);
    const end = documentOffset(lines, range.endContainer, range.endOffset, true);
    if (start === null || end === null || end <= start) return;
    selection = { start, end };
    const text = current.toString();
    selected.textContent = `${start}..${end}: “${text.length > 60 ? text.slice(0, 60) + "…" : text}”`;
    codeButton.disabled = !chosen;
  });

  const showStatus = () => {
    const message = model.get("message");
    if (!message || !message.text) return;
    status.textContent = message.text;
    status.dataset.kind = message.kind;
    if (message.kind === "ok") panel.hidden = true;
  };

  model.on("change:html", draw);
  model.on("change:suggesting", drawSuggestions);
  model.on("change:message", showStatus);
  model.on("change:coder", () => (coder.value = model.get("coder")));
  draw();
  drawSuggestions();
  showStatus();
}

export default { render };
