// trousseau dashboard: live progress over Server-Sent Events, ThumbHash placeholders, and a
// periodic refresh of the overview. Plain browser JavaScript, no build step, no dependencies.
"use strict";

(function () {
  const body = document.body;
  let serverOffsetMs = 0; // server clock minus browser clock, from the latest event

  // ---- formatting (mirrors trousseau.web.dashboard.overview) ----
  function duration(seconds) {
    seconds = Math.abs(Math.trunc(seconds));
    if (seconds < 60) return seconds + " s";
    let minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    let hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 48) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function slack(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
    return seconds < 0 ? "late " + duration(seconds) : duration(seconds) + " left";
  }

  function localTime(iso, timezone, nowMs) {
    if (!iso) return "–";
    const at = new Date(iso);
    const day = (d) => d.toLocaleDateString("en-CA", { timeZone: timezone });
    const time = at.toLocaleTimeString("en-GB", { timeZone: timezone, hour: "2-digit", minute: "2-digit", hour12: false });
    if (day(at) !== day(new Date(nowMs))) {
      return at.toLocaleDateString("en-GB", { timeZone: timezone, weekday: "short" }) + " " + time;
    }
    return time;
  }

  function serverNow() {
    return Date.now() + serverOffsetMs;
  }

  // ---- applying a progress snapshot to every element that shows that wedding ----
  function setField(root, name, text) {
    root.querySelectorAll('[data-field="' + name + '"]').forEach((el) => {
      if (el.textContent !== String(text)) el.textContent = text;
    });
  }

  function apply(p) {
    serverOffsetMs = Date.parse(p.now) - Date.now();
    document.querySelectorAll("[data-wedding]").forEach((root) => {
      if (root.dataset.wedding !== p.slug) return;
      const before = root.dataset.ready;
      root.dataset.status = p.status;
      root.dataset.deadline = p.deadline || "";
      root.dataset.open = p.slack_seconds === null ? "false" : "true";
      root.dataset.ready = String(p.ready);
      setField(root, "ready", p.ready);
      setField(root, "total", p.total);
      setField(root, "processing", p.processing);
      setField(root, "failed", p.failed);
      setField(root, "variants", p.variants);
      setField(root, "deadline", localTime(p.deadline, p.timezone, serverNow()));
      setField(root, "slack", slack(p.slack_seconds));
      root.querySelectorAll('[data-field="status"]').forEach((el) => {
        el.className = "pill " + p.status;
        el.textContent = p.status + (p.late ? " · " + p.late : "");
      });
      root.querySelectorAll('[data-field="bar"]').forEach((bar) => {
        const ok = bar.querySelector(".ok");
        const bad = bar.querySelector(".bad");
        if (ok) ok.style.width = (p.total ? (100 * p.ready) / p.total : 0).toFixed(1) + "%";
        if (bad) bad.style.width = (p.total ? (100 * p.failed) / p.total : 0).toFixed(1) + "%";
        bar.setAttribute("aria-valuenow", p.ready);
        bar.setAttribute("aria-valuemax", p.total);
      });
      if (before !== undefined && before !== String(p.ready)) {
        root.dispatchEvent(new CustomEvent("trousseau:ready-changed", { bubbles: true }));
      }
      const jobsBefore = root.dataset.jobsDone;
      root.dataset.jobsDone = String(p.jobs_done);
      if (jobsBefore !== undefined && jobsBefore !== String(p.jobs_done)) {
        root.dispatchEvent(new CustomEvent("trousseau:jobs-changed", { bubbles: true }));
      }
    });
  }

  // Slack counts down between events (events only come when counts change).
  function tick() {
    document.querySelectorAll("[data-wedding][data-open='true']").forEach((root) => {
      const deadline = Date.parse(root.dataset.deadline);
      if (!Number.isNaN(deadline)) setField(root, "slack", slack((deadline - serverNow()) / 1000));
    });
  }

  // ---- the stream ----
  function connect(url) {
    const live = document.querySelector("[data-live]");
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener("open", () => {
      if (live) { live.textContent = "live"; live.className = "live on"; }
    });
    source.addEventListener("progress", (event) => apply(JSON.parse(event.data)));
    source.addEventListener("unauthorized", () => {
      // The key was revoked while the stream was open: stop reconnecting, sign in again.
      source.close();
      location.assign("/dashboard/sign-in");
    });
    source.addEventListener("error", () => {
      // EventSource reconnects by itself (the server ends streams after their lifetime).
      if (live) { live.textContent = "reconnecting"; live.className = "live off"; }
    });
    return source;
  }

  // ---- swapping server-rendered sections without a reload ----
  let refreshing = false;
  async function refreshSections(ids) {
    if (refreshing) return;
    refreshing = true;
    try {
      const headers = { Accept: "text/html", "X-Trousseau-Sections": ids.join(",") };
      const response = await fetch(location.href, { credentials: "same-origin", headers });
      if (!response.ok || response.redirected) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      ids.forEach((id) => {
        const fresh = doc.getElementById(id);
        const current = document.getElementById(id);
        if (fresh && current) current.replaceWith(fresh);
      });
      decorate(document);
    } catch (err) {
      // The next refresh tries again; a stale panel is better than a broken page.
    } finally {
      refreshing = false;
    }
  }

  // ---- ThumbHash (https://evanw.github.io/thumbhash/), decoded to a small canvas ----
  function thumbHashToRGBA(hash) {
    const { PI, min, max, cos, round } = Math;
    const header24 = hash[0] | (hash[1] << 8) | (hash[2] << 16);
    const header16 = hash[3] | (hash[4] << 8);
    const lDC = (header24 & 63) / 63;
    const pDC = ((header24 >> 6) & 63) / 31.5 - 1;
    const qDC = ((header24 >> 12) & 63) / 31.5 - 1;
    const lScale = ((header24 >> 18) & 31) / 31;
    const hasAlpha = header24 >> 23;
    const pScale = ((header16 >> 3) & 63) / 63;
    const qScale = ((header16 >> 9) & 63) / 63;
    const isLandscape = header16 >> 15;
    const lx = max(3, isLandscape ? (hasAlpha ? 5 : 7) : header16 & 7);
    const ly = max(3, isLandscape ? header16 & 7 : hasAlpha ? 5 : 7);
    const aDC = hasAlpha ? (hash[5] & 15) / 15 : 1;
    const aScale = (hash[5] >> 4) / 15;
    const acStart = hasAlpha ? 6 : 5;
    let acIndex = 0;
    const decodeChannel = (nx, ny, scale) => {
      const ac = [];
      for (let cy = 0; cy < ny; cy++)
        for (let cx = cy ? 0 : 1; cx * ny < nx * (ny - cy); cx++)
          ac.push((((hash[acStart + (acIndex >> 1)] >> ((acIndex++ & 1) << 2)) & 15) / 7.5 - 1) * scale);
      return ac;
    };
    const lAC = decodeChannel(lx, ly, lScale);
    const pAC = decodeChannel(3, 3, pScale * 1.25);
    const qAC = decodeChannel(3, 3, qScale * 1.25);
    const aAC = hasAlpha && decodeChannel(5, 5, aScale);
    const ratio = lx / ly;
    const w = round(ratio > 1 ? 32 : 32 * ratio);
    const h = round(ratio > 1 ? 32 / ratio : 32);
    const rgba = new Uint8ClampedArray(w * h * 4);
    const fx = [];
    const fy = [];
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i += 4) {
        let l = lDC, p = pDC, q = qDC, a = aDC;
        for (let cx = 0, n = max(lx, hasAlpha ? 5 : 3); cx < n; cx++) fx[cx] = cos((PI / w) * (x + 0.5) * cx);
        for (let cy = 0, n = max(ly, hasAlpha ? 5 : 3); cy < n; cy++) fy[cy] = cos((PI / h) * (y + 0.5) * cy);
        for (let cy = 0, j = 0; cy < ly; cy++)
          for (let cx = cy ? 0 : 1, fy2 = fy[cy] * 2; cx * ly < lx * (ly - cy); cx++, j++) l += lAC[j] * fx[cx] * fy2;
        for (let cy = 0, j = 0; cy < 3; cy++)
          for (let cx = cy ? 0 : 1, fy2 = fy[cy] * 2; cx < 3 - cy; cx++, j++) {
            const f = fx[cx] * fy2;
            p += pAC[j] * f;
            q += qAC[j] * f;
          }
        if (hasAlpha)
          for (let cy = 0, j = 0; cy < 5; cy++)
            for (let cx = cy ? 0 : 1, fy2 = fy[cy] * 2; cx < 5 - cy; cx++, j++) a += aAC[j] * fx[cx] * fy2;
        const b = l - (2 / 3) * p;
        const r = (3 * l - b + q) / 2;
        const g = r - q;
        rgba[i] = max(0, 255 * min(1, r));
        rgba[i + 1] = max(0, 255 * min(1, g));
        rgba[i + 2] = max(0, 255 * min(1, b));
        rgba[i + 3] = max(0, 255 * min(1, a));
      }
    }
    return { w, h, rgba };
  }

  function thumbHashDataURL(base64) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const { w, h, rgba } = thumbHashToRGBA(bytes);
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    canvas.getContext("2d").putImageData(new ImageData(rgba, w, h), 0, 0);
    return canvas.toDataURL("image/png");
  }

  // Paint placeholders, then fade each image in once it has arrived.
  function decorate(root) {
    root.querySelectorAll("[data-thumbhash]:not([data-painted])").forEach((el) => {
      try {
        el.style.backgroundImage = "url(" + thumbHashDataURL(el.dataset.thumbhash) + ")";
        el.dataset.painted = "true";
      } catch (err) {
        el.dataset.painted = "failed"; // the dominant colour stays as the placeholder
      }
    });
    root.querySelectorAll(".frame img:not(.loaded)").forEach((img) => {
      const done = () => img.classList.add("loaded");
      if (img.complete && img.naturalWidth > 0) done();
      else img.addEventListener("load", done, { once: true });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    decorate(document);
    if (body.dataset.stream) connect(body.dataset.stream);
    setInterval(tick, 1000);
    // The gallery shows new thumbnails as photos become ready.
    if (document.getElementById("photos")) {
      document.addEventListener("trousseau:ready-changed", () => refreshSections(["photos"]));
    }
    // ...and each form document's status as its job finishes.
    if (document.getElementById("forms")) {
      document.addEventListener("trousseau:jobs-changed", () => refreshSections(["forms", "moments"]));
    }
    // The overview re-reads its panels (queue, failures, new weddings) now and then.
    const every = Number(body.dataset.refreshSeconds || 0);
    if (every > 0) {
      setInterval(() => {
        const ids = Array.from(document.querySelectorAll("[data-refresh][id]")).map((el) => el.id);
        refreshSections(ids);
      }, every * 1000);
    }
  });
})();
