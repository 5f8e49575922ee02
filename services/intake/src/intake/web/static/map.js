/* The map of open complaints (Leaflet + Leaflet.markercluster, both served by intake; nothing from a CDN).
   Layers: the shipped APPROXIMATE 읍·면·동 boundaries with their names (so the city shows with no tiles),
   the complaints (clustered when dense, coloured by urgency), and the weather warnings in force.
   A click on the map names the 읍·면·동 there and offers "여기로 접수" (the intake form, prefilled). */
"use strict";
(function () {
  const { api, el } = window.Desk;
  const box = document.getElementById("map");
  const tiles = !!box.dataset.tileUrl;
  const COLORS = { urgent: "#c62828", normal: "#ef6c00", low: "#1565c0", none: "#616161" };
  const RANK = { urgent: 3, normal: 2, low: 1, none: 0 };
  const map = L.map(box, { zoomControl: true, zoomSnap: 0.25, maxZoom: 18, attributionControl: tiles });
  map.createPane("areas").style.zIndex = 300;    // boundaries under everything
  map.createPane("places").style.zIndex = 350;   // 읍·면·동 names under the complaints' markers
  map.setView([37.64, 126.68], 11);
  if (tiles) {
    L.tileLayer(box.dataset.tileUrl, { maxZoom: 19, attribution: box.dataset.tileAttribution || "" }).addTo(map);
  }

  const areasLayer = L.layerGroup().addTo(map);
  const warningLayer = L.layerGroup().addTo(map);
  const complaintsLayer = L.markerClusterGroup({
    maxClusterRadius: 40, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
    iconCreateFunction(cluster) {
      const worst = cluster.getAllChildMarkers()
        .map((m) => m.options.urgency || "none").sort((a, b) => RANK[b] - RANK[a])[0];
      const n = cluster.getChildCount();
      return L.divIcon({ html: `<span>${n}</span>`, className: `complaint-cluster u-${worst}`,
        iconSize: L.point(36, 36) });
    },
  }).addTo(map);
  L.control.layers(null, { "읍·면·동 경계 (근사)": areasLayer, "기상특보": warningLayer, "민원": complaintsLayer },
    { collapsed: false }).addTo(map);
  let outline = null;

  function popup(it) {
    const body = el("div", {},
      el("strong", { text: it.type_label || "미분류" }), " ",
      el("span", { text: `${it.urgency_label || "—"} · ${it.status_label}` }), el("br"),
      el("span", { text: `${it.place} · ${it.received_local}` }));
    if (it.weather) {
      body.append(el("br"), el("span", { class: "popup-weather", text: `날씨: ${it.weather}` }));
      if (it.weather_raised) body.append(el("br"), el("span", { class: "popup-weather", text: "날씨로 긴급도 상향" }));
    }
    body.append(el("br"), el("a", { href: `/desk/complaints/${it.id}`, text: "상세 보기" }));
    return body;
  }

  async function drawAreas() {
    const r = await api("GET", "/desk/api/areas");
    if (!r.ok) return;
    for (const f of r.data.features) {
      const p = f.properties;
      if (p.outline) {
        outline = f;
        L.geoJSON(f, { pane: "areas", interactive: false,
          style: { color: "#37474f", weight: 2, dashArray: "6 4", fill: false } }).addTo(areasLayer);
        continue;
      }
      L.geoJSON(f, { pane: "areas", interactive: false,
        style: { color: "#607d8b", weight: 1, fillColor: "#cfd8dc", fillOpacity: tiles ? 0.08 : 0.35 } })
        .addTo(areasLayer);
      L.circleMarker([p.label_lat, p.label_lon], { radius: 3, color: "#757575", weight: 1, fillOpacity: 0.6,
        pane: "places", interactive: false })
        .bindTooltip(p.name, { permanent: true, direction: "right", className: "place-label", pane: "places",
          offset: [4, 0] }).addTo(areasLayer);
    }
    map.fitBounds(L.geoJSON(outline).getBounds().pad(0.02));
    drawWarnings();
  }

  let warnings = null;
  function drawWarnings() {
    warningLayer.clearLayers();
    const banner = document.getElementById("warning-banner");
    if (!warnings) return;
    banner.hidden = false;
    banner.className = "warning-banner";
    if (!warnings.known) {
      banner.textContent = `${warnings.reason} (기상특보 확인 필요)`;
      banner.classList.add("unknown");
      return;
    }
    if (!warnings.items.length) {
      banner.textContent = "발효 중인 기상특보 없음";
      banner.classList.add("none");
      return;
    }
    banner.textContent = warnings.banner + (warnings.simulated ? " (모의 자료)" : "");
    banner.classList.add(warnings.items.some((w) => w.level === "경보") ? "severe" : "watch");
    if (outline) {
      L.geoJSON(outline, { pane: "areas", interactive: false, className: "warning-area",
        style: { color: "#b71c1c", weight: 3, fillColor: "#ef9a9a", fillOpacity: 0.18 } })
        .bindTooltip(warnings.banner, { sticky: true }).addTo(warningLayer);
    }
  }

  async function refreshWarnings() {
    const r = await api("GET", "/desk/api/warnings");
    if (r.ok) { warnings = r.data; drawWarnings(); }
  }

  async function refresh() {
    const r = await api("GET", "/desk/api/map");
    if (!r.ok) return;
    const markers = [];
    const list = document.getElementById("map-list");
    list.replaceChildren();
    for (const it of r.data.items) {
      const urgency = it.urgency || "none";
      markers.push(L.circleMarker([it.lat, it.lon], { radius: urgency === "urgent" ? 10 : 8, color: "#222",
        weight: 1, fillColor: COLORS[urgency] || COLORS.none, fillOpacity: 0.9, urgency,
        className: `complaint-marker u-${urgency} c-${it.id}` }).bindPopup(popup(it)));
      list.append(el("li", {}, el("span", { class: "dot " + urgency }),
        el("a", { href: `/desk/complaints/${it.id}`,
          text: `${it.received_local} ${it.type_label || "미분류"} · ${it.place}${it.weather ? " · " + it.weather : ""}` })));
    }
    complaintsLayer.clearLayers();
    complaintsLayer.addLayers(markers);
    if (!r.data.items.length) list.append(el("li", { class: "muted", text: "미완료 민원이 없습니다." }));
  }

  // a click: the 읍·면·동 there (offline reverse lookup) and a link to file a complaint at that point
  map.on("click", async (e) => {
    const lat = e.latlng.lat.toFixed(6), lon = e.latlng.lng.toFixed(6);
    const r = await api("GET", `/desk/api/reverse?lat=${lat}&lon=${lon}`);
    if (!r.ok) return;
    const d = r.data;
    const body = el("div", { class: "pick" });
    if (d.in_city) {
      const q = new URLSearchParams({ place: d.place.name, lat, lon });
      body.append(el("strong", { text: d.place.name }), el("br"),
        el("span", { class: "muted", text: `${lat}, ${lon}` }), el("br"),
        el("a", { href: `/desk/?${q}`, class: "file-here", text: "여기로 접수" }));
    } else {
      body.append(el("span", { text: d.message }));
    }
    L.popup().setLatLng(e.latlng).setContent(body).openOn(map);
  });

  let pending = null;
  const source = new EventSource("/desk/events");
  source.addEventListener("complaints", () => { clearTimeout(pending); pending = setTimeout(refresh, 300); });
  source.addEventListener("signed-out", () => { source.close(); window.location.assign("/desk/login?next=/desk/map"); });
  drawAreas();
  refresh();
  refreshWarnings();
  setInterval(refreshWarnings, 60000);
})();
