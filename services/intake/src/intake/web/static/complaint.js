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
