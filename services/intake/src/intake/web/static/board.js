/* The live board: tonight's complaints, newest first, merged from server-sent events (no reloading). */
"use strict";
(function () {
  const { api, el, elapsed, overdue } = window.Desk;
  const $ = (id) => document.getElementById(id);
  const table = $("board");
  const limits = JSON.parse(table.dataset.overdue);
  const items = new Map();
  let since = null;

  const filters = () => ({
    status: $("f-status").value, urgency: $("f-urgency").value, type: $("f-type").value,
    overdue: $("f-overdue").checked, review: $("f-review").checked,
  });

  function visible(it, f, now) {
    if (f.status === "open" && it.status === "resolved") return false;
    if (f.status && f.status !== "open" && it.status !== f.status) return false;
    if (f.urgency === "none" ? it.urgency : (f.urgency && it.urgency !== f.urgency)) return false;
    if (f.type && it.type !== f.type) return false;
    if (f.overdue && !overdue(it, limits, now)) return false;
    if (f.review && !it.needs_review) return false;
    return true;
  }

  function render() {
    const f = filters(), now = Date.now();
    const rows = [...items.values()].sort((a, b) => Date.parse(b.received_at) - Date.parse(a.received_at))
      .filter((it) => visible(it, f, now));
    const body = table.tBodies[0];
    body.replaceChildren(...rows.map((it) => {
      const late = overdue(it, limits, now);
      const link = el("a", { href: `/desk/complaints/${it.id}`, text: it.received_local });
      const tr = el("tr", { class: late ? "overdue" : "", "data-id": it.id },
        el("td", {}, link),
        el("td", {}, elapsed(it.received_at, now), late ? el("span", { class: "badge warn", text: "지연" }) : ""),
        el("td", {}, el("span", { class: "status s-" + it.status, text: it.status_label })),
        el("td", { text: (it.type_label || "미분류") }, it.needs_review ? el("span", { class: "badge", text: "확인 필요" }) : "",
          it.duplicate_of ? el("span", { class: "badge", title: "중복 민원: 대표 민원의 출동을 함께 씁니다", text: "연결" }) : "",
          it.held ? el("span", { class: "badge warn", text: "보류" }) : ""),
        el("td", {}, el("span", { class: "urgency u-" + (it.urgency || "none"), text: it.urgency_label || "—" })),
        el("td", { text: it.place }),
        el("td", { class: "summary", text: it.summary }));
      return tr;
    }));
    $("empty").hidden = rows.length > 0;
  }

  function merge(list) {
    for (const it of list) {
      if (since && Date.parse(it.received_at) < since && !items.has(it.id)) continue;
      items.set(it.id, it);
    }
    render();
  }

  async function load() {
    const r = await api("GET", "/desk/api/board");
    if (!r.ok) return;
    since = Date.parse(r.data.since);
    $("since").textContent = new Date(since).toLocaleString("ko-KR", { timeZone: "Asia/Seoul", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }) + " 이후";
    items.clear();
    merge(r.data.items);
  }

  function connect() {
    const source = new EventSource("/desk/events");
    source.addEventListener("open", () => { $("live").textContent = "실시간 연결됨"; load(); });
    source.addEventListener("complaints", (e) => merge(JSON.parse(e.data).items));
    source.addEventListener("signed-out", () => { source.close(); window.location.assign("/desk/login?next=/desk/board"); });
    source.addEventListener("error", () => { $("live").textContent = "연결이 끊겼습니다. 다시 연결하는 중…"; });
  }

  for (const id of ["f-status", "f-urgency", "f-type", "f-overdue", "f-review"]) $(id).addEventListener("change", render);
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  setInterval(render, 20000);   // elapsed times and overdue marks move on by themselves
  load().then(connect);
})();
