/* The intake form: phone formatting, the place (place.js: autocomplete, map point), the live classification
   preview through intake (never the classifier directly), and filing through the JSON API. */
"use strict";
(function () {
  const { api, el, debounce, formatPhone } = window.Desk;
  const $ = (id) => document.getElementById(id);
  const form = $("complaint-form");
  const typeLabels = JSON.parse($("type-labels").textContent);
  let suggestion = null;     // the classifier's preview
  let chosenType = null;     // what the officer picked (null: the suggestion)
  let previewSeq = 0;

  $("phone").addEventListener("input", (e) => {
    const input = e.target, atEnd = input.selectionStart === input.value.length;
    input.value = formatPhone(input.value);
    if (atEnd) input.setSelectionRange(input.value.length, input.value.length);
    $("phone-error").textContent = "";
  });

  // the place field's combobox (place.js): a chosen 읍·면·동, road, 리, map point or geocoded address
  const findPlace = (text) => window.DeskPlace.resolve(text);
  $("place").addEventListener("change", () => {
    const p = findPlace($("place").value);
    $("place-error").textContent = p || !$("place").value ? "" : "목록에서 위치를 골라 주세요 (읍·면·동, 도로명, 리).";
  });

  // Enter in the text area files the complaint; Shift+Enter starts a new line. Not while composing Hangul.
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const runPreview = debounce(async () => {
    const text = $("text").value.trim();
    const seq = ++previewSeq;
    if (text.length < 4) { return; }
    $("suggest-state").textContent = "분류 중…";
    const r = await api("POST", "/desk/api/preview", { text });
    if (seq !== previewSeq) return;   // an older answer arriving late
    if (!r.ok || !r.data || !r.data.known) {
      suggestion = null;
      $("suggest-body").hidden = true;
      $("suggest-state").textContent = "자동 분류: 알 수 없음 (" + ((r.data && r.data.reason) || "분류기 응답 없음") + "). 그대로 접수할 수 있습니다.";
      return;
    }
    suggestion = r.data;
    if (chosenType && !suggestion.candidates.some((c) => c.type === chosenType) && $("other-type").value !== chosenType) chosenType = null;
    renderSuggestion();
  }, 350);
  $("text").addEventListener("input", () => { $("text-error").textContent = ""; runPreview(); });

  function renderSuggestion() {
    const s = suggestion;
    $("suggest-state").textContent = s.needs_review ? "모델이 확신하지 못합니다. 유형을 확인해 주세요." : "제안을 확인하세요.";
    $("suggest-body").hidden = false;
    $("suggest-type").textContent = s.label;
    const u = $("suggest-urgency");
    u.textContent = s.urgency_label; u.className = "urgency u-" + s.urgency;
    $("suggest-confidence").textContent = `확신도 ${Math.round(s.confidence * 100)}%`;
    const box = $("candidates");
    const hadFocus = box.contains(document.activeElement);
    box.replaceChildren();
    const current = chosenType || s.type;
    s.candidates.forEach((c, i) => {
      const id = "cand-" + i;
      const input = el("input", { type: "radio", name: "type-choice", id, value: c.type, checked: c.type === current });
      input.addEventListener("change", () => choose(c.type));
      box.append(el("div", { class: "choice" }, input,
        el("label", { for: id, text: `${c.label} (${Math.round(c.probability * 100)}%)` })));
    });
    if (hadFocus) { const checked = box.querySelector("input:checked") || box.querySelector("input"); if (checked) checked.focus(); }
    showManual(current);
  }

  function choose(type) {
    chosenType = (suggestion && type === suggestion.type) ? null : type;
    const inCandidates = suggestion && suggestion.candidates.some((c) => c.type === type);
    if (inCandidates) $("other-type").value = "";
    // keep the radios (and the keyboard focus on them): only the checked one and the manual change
    document.querySelectorAll('#candidates input[name="type-choice"]').forEach((r) => { r.checked = r.value === type; });
    showManual(type);
  }
  $("other-type").addEventListener("change", (e) => { if (e.target.value) choose(e.target.value); });

  async function showManual(type) {
    let manual = suggestion && suggestion.type === type ? suggestion.manual : null;
    if (!manual) {
      const r = await api("GET", "/desk/api/manuals/" + encodeURIComponent(type));
      manual = r.ok && r.data ? r.data.manual : null;
    }
    const steps = $("manual-steps");
    steps.replaceChildren();
    $("manual-title").textContent = manual ? `${manual.title} — ${manual.department}` : `${typeLabels[type] || type}: 매뉴얼을 불러올 수 없습니다.`;
    if (manual) manual.steps.forEach((s) => steps.append(el("li", { text: s })));
  }

  function fieldErrors(detail) {
    const map = { phone: "phone-error", description: "text-error", location: "place-error", address: "place-error" };
    let shown = false;
    (Array.isArray(detail) ? detail : []).forEach((e) => {
      const key = (e.loc || []).find((k) => map[k]);
      if (key) { $(map[key]).textContent = key === "phone" ? "전화번호 형식이 맞지 않습니다 (예: 010-1234-5678)." : "입력을 확인해 주세요."; shown = true; }
    });
    return shown;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const status = $("form-status");
    const text = $("text").value.trim();
    const place = findPlace($("place").value);
    let bad = null;
    if (!text) { $("text-error").textContent = "민원 내용을 입력해 주세요."; bad = bad || $("text"); }
    if (!place) { $("place-error").textContent = "김포시 안의 위치를 목록에서 골라 주세요."; bad = bad || $("place"); }
    const phone = $("phone").value.trim();
    if (phone && !/^0\d{1,2}-?\d{3,4}-?\d{4}$|^1\d{3}-?\d{4}$/.test(phone)) { $("phone-error").textContent = "전화번호 형식이 맞지 않습니다 (예: 010-1234-5678)."; bad = $("phone"); }
    if (bad) { bad.focus(); status.textContent = "입력을 확인해 주세요."; return; }
    const detail = $("detail").value.trim();
    const name = $("caller-name").value.trim();
    const body = {
      description: text, channel: $("channel").value,
      location: { address: `${place.address}${detail ? " " + detail : ""}`, lat: place.lat, lon: place.lon },
    };
    if (name || phone) body.complainant = { name: name || null, phone: phone || null };
    const duplicateOf = $("duplicate-of") ? $("duplicate-of").value : "";  // set by intake_panel.js: file as linked
    if (duplicateOf) body.duplicate_of = duplicateOf;
    $("submit").disabled = true;
    status.textContent = "접수 중…";
    try {
      const r = await api("POST", "/api/v1/complaints", body);
      if (!r.ok) {
        if ($("duplicate-of")) $("duplicate-of").value = "";
        if (r.status === 409 && r.data && typeof r.data.detail === "string") { status.textContent = r.data.detail; return; }
        fieldErrors(r.data && r.data.detail);
        status.textContent = r.status === 413 ? "내용이 너무 깁니다." : "접수하지 못했습니다. 입력을 확인해 주세요.";
        return;
      }
      const id = r.data.id;
      let note = "";
      if (chosenType) {
        const c = await api("POST", `/api/v1/complaints/${id}/classification`, { type: chosenType, note: "접수 시 담당자 선택" });
        note = c.ok ? ` 유형: ${typeLabels[chosenType]} (담당자 지정)` : " (유형 지정 실패: 상세 화면에서 다시 지정하세요)";
      }
      if (duplicateOf) note += ` 중복 민원으로 연결됨 (대표 ${duplicateOf.slice(0, 8)}, 문자는 한 번만 갑니다).`;
      form.reset();
      if ($("duplicate-of")) $("duplicate-of").value = "";
      document.dispatchEvent(new CustomEvent("desk:filed"));
      suggestion = null; chosenType = null; previewSeq++;
      $("suggest-body").hidden = true;
      $("suggest-state").textContent = "민원 내용을 입력하면 유형과 긴급도를 제안합니다.";
      status.replaceChildren("접수되었습니다." + note + " ", el("a", { href: `/desk/complaints/${id}`, text: "접수번호 " + id.slice(0, 8) }));
      $("phone").focus();
    } finally {
      $("submit").disabled = false;
    }
  });
})();
