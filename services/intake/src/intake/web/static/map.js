/* The map of open complaints (Leaflet, served by intake). Without a tile URL: the gazetteer's 읍·면·동 points. */
"use strict";
(function () {
  const { api, el } = window.Desk;
  const box = document.getElementById("map");
  const COLORS = { urgent: "#c62828", normal: "#ef6c00", low: "#1565c0", none: "#616161" };
  const map = L.map(box, { zoomControl: true, zoomSnap: 0.25, attributionControl: !!box.dataset.tileUrl });
  // the 읍·면·동 names lie below the complaints' markers
  map.createPane("places").style.zIndex = 350;
  map.setView([37.64, 126.68], 11);
  if (box.dataset.tileUrl) {
    L.tileLayer(box.dataset.tileUrl, { maxZoom: 19, attribution: box.dataset.tileAttribution || "" }).addTo(map);
  }
  const complaintsLayer = L.layerGroup().addTo(map);
  let placesDrawn = false;

  function popup(it) {
    return el("div", {},
      el("strong", { text: it.type_label || "미분류" }), " ",
      el("span", { text: `${it.urgency_label || "—"} · ${it.status_label}` }), el("br"),
      el("span", { text: `${it.place} · ${it.received_local}` }), el("br"),
      el("a", { href: `/desk/complaints/${it.id}`, text: "상세 보기" }));
  }

  async function refresh() {
    const r = await api("GET", "/desk/api/map");
    if (!r.ok) return;
    const d = r.data;
    if (!placesDrawn) {
      placesDrawn = true;
      const bounds = L.latLngBounds(d.places.map((p) => [p.lat, p.lon]));
      map.fitBounds(bounds.pad(0.08));
      if (!box.dataset.tileUrl) {
        for (const p of d.places) {
          L.circleMarker([p.lat, p.lon], { radius: 3, color: "#757575", weight: 1, fillOpacity: 0.6, pane: "places",
            interactive: false })
            .bindTooltip(p.name, { permanent: true, direction: "right", className: "place-label", pane: "places",
              offset: [4, 0] }).addTo(map);
        }
      }
    }
    complaintsLayer.clearLayers();
    const list = document.getElementById("map-list");
    list.replaceChildren();
    for (const it of d.items) {
      const color = COLORS[it.urgency] || COLORS.none;
      L.circleMarker([it.lat, it.lon], { radius: it.urgency === "urgent" ? 10 : 8, color: "#222", weight: 1,
        fillColor: color, fillOpacity: 0.9, className: "complaint-marker u-" + (it.urgency || "none") })
        .bindPopup(popup(it)).addTo(complaintsLayer);
      list.append(el("li", {}, el("span", { class: "dot " + (it.urgency || "none") }),
        el("a", { href: `/desk/complaints/${it.id}`, text: `${it.received_local} ${it.type_label || "미분류"} · ${it.place}` })));
    }
    if (!d.items.length) list.append(el("li", { class: "muted", text: "미완료 민원이 없습니다." }));
  }

  let pending = null;
  const source = new EventSource("/desk/events");
  source.addEventListener("complaints", () => { clearTimeout(pending); pending = setTimeout(refresh, 300); });
  source.addEventListener("signed-out", () => { source.close(); window.location.assign("/desk/login?next=/desk/map"); });
  refresh();
})();
