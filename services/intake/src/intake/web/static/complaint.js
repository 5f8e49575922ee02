/* Complaint detail: reveal the caller's name and phone with a reason (logged server-side first). */
"use strict";
(function () {
  const { api } = window.Desk;
  const form = document.getElementById("reveal-form");
  if (!form) return;
  const id = document.getElementById("complaint").dataset.id;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = document.getElementById("reveal-reason").value.trim();
    const status = document.getElementById("reveal-status");
    if (reason.length < 2) { status.textContent = "열람 사유를 2자 이상 적어 주세요."; document.getElementById("reveal-reason").focus(); return; }
    const r = await api("POST", `/desk/api/complaints/${id}/reveal`, { reason });
    if (!r.ok) { status.textContent = (r.data && typeof r.data.detail === "string") ? r.data.detail : "열람하지 못했습니다."; return; }
    document.getElementById("pii-name").textContent = r.data.name || "—";
    document.getElementById("pii-phone").textContent = r.data.phone || "—";
    status.textContent = "열람 기록이 남았습니다.";
    form.hidden = true;
  });
})();

/* Dispatch controls: 출동 요청, 다른 근무자에게 재지시 (a worker from the notifier's roster), 보류 (with a reason),
   and the complaints linked to this one. Every POST carries the CSRF token (Desk.api). */
(function () {
  const { api, el } = window.Desk;
  const panel = document.getElementById("dispatch-panel");
  if (!panel) return;
  const id = document.getElementById("complaint").dataset.id;
  const $ = (x) => document.getElementById(x);
  const status = $("dispatch-status");
  const said = (r, fallback) => (r.data && typeof r.data.detail === "string") ? r.data.detail : fallback;

  async function post(path, body, done) {
    status.textContent = "요청 중…";
    const r = await api("POST", `/desk/api/complaints/${id}/${path}`, body);
    if (!r.ok) { status.textContent = said(r, "처리하지 못했습니다."); return; }
    status.textContent = done + " 잠시 후 화면을 새로 고칩니다.";
    setTimeout(() => window.location.reload(), 1200);
  }

  const now = $("dispatch-now");
  if (now) now.addEventListener("click", () => post("dispatch", {}, "출동을 요청했습니다."));
  const hold = $("hold-form");
  if (hold) hold.addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = $("hold-reason").value.trim();
    if (reason.length < 2) { status.textContent = "보류 사유를 2자 이상 적어 주세요."; $("hold-reason").focus(); return; }
    post("hold", { reason }, "보류했습니다. 출동 요청 전까지 문자가 가지 않습니다.");
  });
  const re = $("redispatch-form");
  if (re) {
    re.addEventListener("submit", (e) => {
      e.preventDefault();
      const worker = $("redispatch-worker").value;
      if (!worker) { status.textContent = "근무자를 골라 주세요."; $("redispatch-worker").focus(); return; }
      post("dispatch", { worker_id: worker }, "새 근무자에게 출동을 요청했습니다.");
    });
    api("GET", "/desk/api/roster").then((r) => {
      const select = $("redispatch-worker");
      select.replaceChildren(el("option", { value: "", text: r.ok && r.data.known ? "— 근무자 선택 —" : "명단을 불러올 수 없습니다" }));
      (r.ok ? r.data.workers : []).forEach((w) => select.append(el("option", { value: w.id, text: `${w.name} (${w.team})` })));
    });
  }

  api("GET", `/api/v1/complaints/${id}`).then((r) => {
    const list = $("linked-list");
    if (!r.ok || !r.data.linked || !r.data.linked.length) return;
    list.replaceChildren();
    r.data.linked.forEach((c) => list.append(el("li", {}, el("span", { class: "badge", text: "연결" }), " ",
      el("a", { href: `/desk/complaints/${c}`, text: c.slice(0, 8) }))));
  });
})();
