/* The intake form's place field: a keyboard-usable combobox (ARIA 1.2 pattern) over intake's ranked
   completions (/desk/api/places: 읍·면·동, roads and 법정동·리 from the shipped gazetteer; full addresses from a
   geocoder when one is configured). Arrow keys move, Enter chooses, Escape closes; Tab leaves the field as
   usual. Without JavaScript the <datalist> of 읍·면·동 still works. "여기로 접수" on the map opens the form
   with ?place=&lat=&lon=, which is taken as the chosen place (the clicked point, its 읍·면·동's address).
   window.DeskPlace.resolve(text) gives {address, lat, lon, label} for the form to file, or null. */
"use strict";
window.DeskPlace = (function () {
  const { api, el, debounce } = window.Desk;
  const input = document.getElementById("place");
  const gazetteer = JSON.parse(document.getElementById("place-data").textContent);  // the 14 읍·면·동
  const list = el("ul", { id: "place-options", role: "listbox", class: "place-options", "aria-label": "위치 후보" });
  const box = el("div", { class: "place-box" });
  input.replaceWith(box);
  box.append(input, list);
  list.hidden = true;
  input.removeAttribute("list");   // the listbox replaces the browser's datalist popup
  Object.entries({ role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": "place-options" }).forEach(([k, v]) => input.setAttribute(k, v));
  const hint = document.getElementById("place-hint"), hintText = hint.textContent;
  let options = [], active = -1, chosen = null, seq = 0;

  function close() {
    list.hidden = true; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    [...list.querySelectorAll("[role=option]")].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", `place-opt-${i}`);
      document.getElementById(`place-opt-${i}`).scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function choose(i) {
    const o = options[i];
    if (!o) return;
    chosen = { label: o.label, address: o.address, lat: o.lat, lon: o.lon, area: o.area };
    input.value = o.label;
    document.getElementById("place-error").textContent = "";
    hint.textContent = hintText;
    close();
    input.dispatchEvent(new Event("change", { bubbles: true }));   // the form and its side panel follow
  }

  function show(data) {
    options = data.places || [];
    list.replaceChildren();
    options.forEach((o, i) => {
      const li = el("li", { id: `place-opt-${i}`, role: "option", "aria-selected": "false" },
        el("span", { text: o.label }),
        el("span", { class: "kind", text: o.approximate ? `${o.kind_label} · 위치 근사` : o.kind_label }));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
      list.append(li);
    });
    const g = data.geocoder;
    if (g && g.error) list.append(el("li", { class: "note", role: "presentation", text: g.error }));
    if (!options.length) list.append(el("li", { class: "note", role: "presentation", text: "맞는 위치가 없습니다." }));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  }

  const lookup = debounce(async () => {
    const q = input.value.trim(), mine = ++seq;
    if (!q) { close(); return; }
    const r = await api("GET", `/desk/api/places?q=${encodeURIComponent(q)}&limit=12`);
    if (mine === seq && r.ok && document.activeElement === input) show(r.data);
  }, 200);

  input.addEventListener("input", () => {
    if (chosen && input.value !== chosen.label) { chosen = null; hint.textContent = hintText; }
    lookup();
  });
  input.addEventListener("keydown", (e) => {
    if (e.isComposing || e.keyCode === 229) return;      // Hangul being composed
    const open = !list.hidden && options.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!open) { lookup(); return; }
      e.preventDefault();
      const n = options.length;
      highlight(e.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1));
    } else if (e.key === "Enter" && open && active >= 0) {
      e.preventDefault();
      choose(active);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.form.addEventListener("reset", () => { chosen = null; hint.textContent = hintText; close(); });

  function resolve(text) {
    const t = (text || "").trim();
    if (chosen && t === chosen.label) return chosen;
    const q = t.replace(/\s/g, "");
    const p = gazetteer.find((x) => x.name === q);
    return p ? { label: p.name, address: p.address, lat: p.lat, lon: p.lon, area: p.name } : null;
  }

  // "여기로 접수" from the map: the clicked point, filed with its 읍·면·동's address
  const params = new URLSearchParams(window.location.search);
  const fromMap = gazetteer.find((x) => x.name === params.get("place"));
  const lat = parseFloat(params.get("lat")), lon = parseFloat(params.get("lon"));
  if (fromMap && Number.isFinite(lat) && Number.isFinite(lon)) {
    chosen = { label: `${fromMap.name} (지도에서 고른 지점)`, address: fromMap.address, lat, lon, area: fromMap.name };
    input.value = chosen.label;
    hint.textContent = `지도에서 고른 지점 ${lat.toFixed(5)}, ${lon.toFixed(5)} (${fromMap.name})으로 접수합니다.`;
    setTimeout(() => input.dispatchEvent(new Event("change", { bubbles: true })), 0);  // after the other scripts
  }

  return { resolve };
})();
