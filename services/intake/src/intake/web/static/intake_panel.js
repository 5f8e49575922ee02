/* The intake form's side panel: who will be texted, the weather there, and possible duplicates (open
   complaints of the same type within 300 m in the last 24 h) with "이 민원에 연결", which files the call as
   linked to that complaint (it shares its dispatch: the worker is texted once). Everything through intake. */
"use strict";
(function () {
  const { api, el, debounce } = window.Desk;
  const $ = (id) => document.getElementById(id);
  const form = $("complaint-form");
  if (!form || !$("side-panel")) return;
  let seq = 0;

  function currentType() {
    const other = $("other-type") && $("other-type").value;
    const checked = document.querySelector('#candidates input[name="type-choice"]:checked');
    return other || (checked && checked.value) || null;
  }
  function currentPlace() {
    const text = $("place").value;
    return text && window.DeskPlace ? window.DeskPlace.resolve(text) : null;
  }
  const fmt = (v, unit) => (v === null || v === undefined ? "" : `${v}${unit}`);

  async function refresh() {
    const type = currentType(), place = currentPlace(), mine = ++seq;
    if (!place || place.lat === undefined || place.lat === null) {
      $("panel-state").textContent = "위치를 고르면 현장 날씨와 중복 민원을 보여 줍니다.";
      return;
    }
    const at = `lat=${place.lat}&lon=${place.lon}`;
    const [weather, oncall, dups] = await Promise.all([
      api("GET", `/desk/api/weather?${at}`),
      type ? api("GET", `/desk/api/on-call?type=${encodeURIComponent(type)}&${at}` +
        (place.area ? `&district=${encodeURIComponent(place.area)}` : "")) : null,
      type ? api("GET", `/desk/api/duplicates?type=${encodeURIComponent(type)}&${at}`) : null,
    ]);
    if (mine !== seq) return;   // an older answer arriving late
    $("panel-state").textContent = type ? "" : "유형이 정해지면 당직 근무자와 중복 민원을 보여 줍니다.";
    const w = weather.ok ? weather.data : null;
    $("weather").textContent = !w || !w.known ? `알 수 없음${w && w.reason ? " (" + w.reason + ")" : ""}` :
      [fmt(w.temperature_c, "℃"), w.precipitation || "", w.precipitation_mm ? fmt(w.precipitation_mm, "mm") : "",
       fmt(w.wind_speed_ms, "m/s"), ...(w.warnings || []), w.stale ? "(오래된 관측)" : "", w.simulated ? "(모의)" : ""]
        .filter(Boolean).join(" · ");
    if (oncall) {
      const o = oncall.ok ? oncall.data : null;
      $("oncall").textContent = !o || !o.known ? `알 수 없음${o && o.reason ? " (" + o.reason + ")" : ""}` :
        `${o.worker.name} (${o.team}, ${o.shift})${o.fallback ? " — 당직 총괄" : ""}`;
    } else { $("oncall").textContent = "—"; }
    renderDuplicates(dups && dups.ok ? dups.data.items : []);
  }

  function renderDuplicates(items) {
    const list = $("duplicates");
    list.replaceChildren();
    if (!items.length) { list.append(el("li", { class: "muted", text: "없음" })); return; }
    items.forEach((d) => {
      const primary = d.duplicate_of || d.id;
      const button = el("button", { type: "button", class: "link-duplicate", "data-id": primary,
        "aria-label": `이 민원에 연결: ${d.summary}`, text: "이 민원에 연결" });
      button.addEventListener("click", () => {
        $("duplicate-of").value = primary;
        form.requestSubmit();
      });
      const when = new Date(d.received_at).toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit" });
      list.append(el("li", { class: "duplicate" },
        el("strong", { text: `${Math.round(d.distance_m)}m` }), ` ${when} · ${d.type_label || ""} · ${d.summary} `,
        el("a", { href: `/desk/complaints/${d.id}`, text: d.id.slice(0, 8) }), " ", button));
    });
  }

  const later = debounce(refresh, 400);
  ["place", "other-type"].forEach((id) => $(id) && $(id).addEventListener("change", later));
  $("place").addEventListener("input", later);
  $("candidates") && $("candidates").addEventListener("change", later);
  // the suggestion re-renders the type radios: watch them appear
  new MutationObserver(later).observe($("candidates"), { childList: true });
  document.addEventListener("desk:filed", () => { $("duplicates").replaceChildren(); $("oncall").textContent = "—"; later(); });
})();
