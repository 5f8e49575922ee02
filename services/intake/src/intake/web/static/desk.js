/* Shared helpers of the duty officer's desk. No inline scripts anywhere: the page's CSP forbids them. */
"use strict";
window.Desk = (function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  async function api(method, url, body) {
    const opts = { method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    const r = await fetch(url, opts);
    if (r.status === 401) { window.location.assign("/desk/login?next=" + encodeURIComponent(location.pathname)); }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { ok: r.ok, status: r.status, data };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  function debounce(fn, ms) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  function elapsed(iso, now) {
    const minutes = Math.floor(((now || Date.now()) - Date.parse(iso)) / 60000);
    if (minutes < 1) return "방금";
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? `${h}시간 ${m}분` : `${m}분`;
  }

  const OPEN = ["received", "classified", "dispatched"];
  function overdue(item, limits, now) {
    if (!OPEN.includes(item.status)) return false;
    const limit = limits[item.urgency] || limits.unclassified;
    return ((now || Date.now()) - Date.parse(item.received_at)) > limit * 60000;
  }

  /* Korean phone numbers as typed: 010-1234-5678, 02-123-4567, 031-123-4567, 1588-1234 */
  function formatPhone(value) {
    const d = value.replace(/\D/g, "").slice(0, 11);
    if (d.startsWith("02")) {
      if (d.length <= 2) return d;
      if (d.length <= 5) return `${d.slice(0, 2)}-${d.slice(2)}`;
      if (d.length <= 9) return `${d.slice(0, 2)}-${d.slice(2, 5)}-${d.slice(5)}`;
      return `${d.slice(0, 2)}-${d.slice(2, 6)}-${d.slice(6, 10)}`;
    }
    if (/^1[5-9]/.test(d) && d.length <= 8) {
      return d.length <= 4 ? d : `${d.slice(0, 4)}-${d.slice(4)}`;
    }
    if (d.length <= 3) return d;
    if (d.length <= 6) return `${d.slice(0, 3)}-${d.slice(3)}`;
    if (d.length <= 10) return `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`;
    return `${d.slice(0, 3)}-${d.slice(3, 7)}-${d.slice(7)}`;
  }

  return { api, el, debounce, elapsed, overdue, formatPhone, csrf };
})();
