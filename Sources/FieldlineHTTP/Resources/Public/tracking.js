// The customer's tracking page (DN6): "your technician is on the way", opened from a text on a phone.
// Draws a small map of our own (Web Mercator; raster tiles when a tile server is configured, a calm
// vector grid otherwise) with the technician and the destination, and keeps the page current from
// the server's event stream. No libraries: the page must load fast on a phone over a weak signal.
//
// Hooks it keeps current (also for automated tests):
//   #track-map            data-ready="1" once drawn, data-zoom (current zoom), data-tiles="raster|vector"
//   [data-marker=technician]  data-latitude / data-longitude of the latest position (hidden without one)
//   [data-marker=destination]
//   [data-track=distance|eta|updated]  texts; [data-track=updated] also gets data-freshness=live|stale|waiting
// Test hook: window.FieldlineTracking.apply(state) applies a state object (same shape as
// #track-state) exactly as if it had arrived on the event stream.
(() => {
  "use strict";

  const body = document.body;
  let state;
  try { state = JSON.parse(document.getElementById("track-state")?.textContent || "null"); } catch { state = null; }
  if (!state || typeof state !== "object") return;
  // The server renders each state (on the way / arrived / finished) as its own page, so a change of
  // state (or of whether the address is verified, which decides if there is a map) means a reload.
  const pageState = state.state;
  const pageVerified = Boolean(state.verified);
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  const TILE = 256;
  const MIN_ZOOM = 3;
  const MAX_ZOOM = 19;
  const FIT_MAX_ZOOM = 17;   // two points a few houses apart should not fill the map with one roof
  const STREET_ZOOM = 15;
  const MAX_LAT = 85.05112878;
  const EARTH_CIRCUMFERENCE = 40075016.686;
  const SILENCE_MS = 60000;

  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
  const hasCoords = (point) => Boolean(point) && Number.isFinite(point.latitude) && Number.isFinite(point.longitude);
  const easeInOut = (t) => (t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2);

  // Latitude/longitude to Web Mercator world coordinates: the unit square that is the whole map at zoom 0.
  const project = (point) => {
    const sin = Math.sin(clamp(point.latitude, -MAX_LAT, MAX_LAT) * Math.PI / 180);
    return { x: (point.longitude + 180) / 360, y: 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI) };
  };
  const latitudeOf = (y) => Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI;

  const make = (tag, className, attributes = {}, ...children) => {
    const element = document.createElement(tag);
    if (className) element.className = className;
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children);
    return element;
  };
  // Fixed markup of our own (icons, the route's SVG); never state data.
  const fromHTML = (html) => {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content.firstElementChild;
  };

  // ---------------------------------------------------------------------------------------------
  // The map
  // ---------------------------------------------------------------------------------------------
  const createMap = (mapElement) => {
    const tileTemplate = (mapElement.dataset.tileUrl || "").trim();
    const raster = tileTemplate !== "";
    const view = { x: 0.5, y: 0.5, zoom: STREET_ZOOM };
    let width = 0;
    let height = 0;
    let userMoved = false;    // once the customer pans or zooms, updates stop re-fitting the view
    let destination = null;   // world coordinates
    let technician = null;    // where the marker is drawn now (moves smoothly towards the target)
    let target = null;        // the latest reported position
    let drawn = false;

    mapElement.tabIndex = 0;
    mapElement.dataset.tiles = raster ? "raster" : "vector";
    mapElement.dataset.ready = "0";

    // Layers, bottom to top. Everything but the controls ignores the pointer so drags start anywhere.
    const grid = make("canvas", "track-map-grid", { "aria-hidden": "true" });
    const tileLayer = make("div", "track-map-tiles", { "aria-hidden": "true" });
    const route = fromHTML('<svg class="track-map-route" aria-hidden="true"><line class="track-map-route-base"/><line class="track-map-route-line"/></svg>');
    const routeLines = [...route.children];
    const destinationMarker = make("div", "track-map-marker track-map-dest", { "data-marker": "destination" }, fromHTML(
      '<svg viewBox="0 0 36 46" width="36" height="46"><path d="M18 44.5S33 30 33 18a15 15 0 0 0-30 0c0 12 15 26.5 15 26.5z" ' +
      'fill="currentColor" stroke="#fff" stroke-width="2.5"/><path d="M11 18.6 18 12.5l7 6.1V25a1 1 0 0 1-1 1h-4v-4.6h-4V26h-4a1 1 0 0 1-1-1z" fill="#fff"/></svg>'));
    const face = make("span", "track-map-tech-face");
    const technicianMarker = make("div", "track-map-marker track-map-tech", { "data-marker": "technician" },
      make("span", "track-map-tech-pulse"), face);
    const markers = make("div", "track-map-markers", { "aria-hidden": "true" }, destinationMarker, technicianMarker);
    const note = make("p", "track-map-note", { role: "status", hidden: "" });
    const scaleLabel = make("span", "track-map-scale-label");
    const scaleBar = make("span", "track-map-scale-bar");
    const scale = make("div", "track-map-scale", { "aria-hidden": "true" }, scaleLabel, scaleBar);

    const button = (className, label, icon) => make("button", `track-map-btn ${className}`, { type: "button", "aria-label": label, title: label },
      fromHTML(`<svg viewBox="0 0 20 20" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${icon}</svg>`));
    const zoomInButton = button("track-map-zoom-in", "Zoom in", '<path d="M10 4.5v11M4.5 10h11"/>');
    const zoomOutButton = button("track-map-zoom-out", "Zoom out", '<path d="M4.5 10h11"/>');
    const recenterButton = button("track-map-recenter", "Re-center the map",
      '<circle cx="10" cy="10" r="5.5"/><circle cx="10" cy="10" r="1.2" fill="currentColor"/><path d="M10 1.5v3M10 15.5v3M1.5 10h3M15.5 10h3"/>');
    const controls = make("div", "track-map-controls", {}, make("div", "track-map-zoom", {}, zoomInButton, zoomOutButton), recenterButton);

    mapElement.replaceChildren(grid, tileLayer, route, markers, note, scale, controls);
    if (raster && mapElement.dataset.tileAttribution) {
      mapElement.append(make("div", "track-map-attribution", {}, mapElement.dataset.tileAttribution));
    }

    // -- Frames and animations ------------------------------------------------------------------
    // One requestAnimationFrame loop draws everything; tweens (view moves, the marker's glide) run
    // inside it. One tween per kind: a new view move replaces the running one.
    const tweens = new Map();
    let frameRequested = false;
    const requestDraw = () => {
      if (frameRequested) return;
      frameRequested = true;
      requestAnimationFrame(frame);
    };
    const frame = (now) => {
      frameRequested = false;
      for (const [kind, tween] of tweens) {
        const t = clamp((now - tween.start) / tween.duration, 0, 1);
        tween.step(easeInOut(t));
        if (t >= 1) tweens.delete(kind);
      }
      draw();
      if (tweens.size) requestDraw();
    };
    const animate = (kind, duration, step) => {
      tweens.delete(kind);
      if (reducedMotion.matches || duration <= 0) step(1);
      else tweens.set(kind, { start: performance.now(), duration, step });
      requestDraw();
    };
    const stopViewAnimation = () => tweens.delete("view");

    // -- View -----------------------------------------------------------------------------------
    const worldSize = (zoom = view.zoom) => TILE * 2 ** zoom;
    const clampView = () => {
      view.x = clamp(view.x, 0, 1);
      view.y = clamp(view.y, 0, 1);
    };
    const panBy = (dx, dy) => {
      const size = worldSize();
      view.x -= dx / size;
      view.y -= dy / size;
      clampView();
    };
    // Zooms keeping the world point under (sx, sy) in place: where the cursor or the fingers are.
    const zoomAround = (zoom, sx, sy) => {
      const before = worldSize();
      const after = worldSize(clamp(zoom, MIN_ZOOM, MAX_ZOOM));
      const dx = sx - width / 2;
      const dy = sy - height / 2;
      view.x += dx / before - dx / after;
      view.y += dy / before - dy / after;
      view.zoom = clamp(zoom, MIN_ZOOM, MAX_ZOOM);
      clampView();
    };
    const zoomBy = (delta, sx = width / 2, sy = height / 2) => {
      userMoved = true;
      const start = { ...view };
      const goal = clamp(Math.round(view.zoom) + delta, MIN_ZOOM, MAX_ZOOM);
      animate("view", 250, (t) => {
        Object.assign(view, start);
        zoomAround(start.zoom + (goal - start.zoom) * t, sx, sy);
      });
    };

    // The view that shows both points. The padding is uneven: the pin rises above its point and the
    // controls take the right edge.
    const fittedView = () => {
      const points = [destination, target].filter(Boolean);
      if (!points.length) return { ...project({ latitude: 39.8, longitude: -98.6 }), zoom: 4 };  // the US
      const pad = { top: 64, right: 88, bottom: 52, left: 44 };
      const xs = points.map((p) => p.x);
      const ys = points.map((p) => p.y);
      const spanX = Math.max(...xs) - Math.min(...xs);
      const spanY = Math.max(...ys) - Math.min(...ys);
      const roomX = Math.max(40, width - pad.left - pad.right);
      const roomY = Math.max(40, height - pad.top - pad.bottom);
      let zoom = points.length === 1 ? STREET_ZOOM
        : Math.log2(Math.min(spanX > 0 ? roomX / (spanX * TILE) : Infinity, spanY > 0 ? roomY / (spanY * TILE) : Infinity));
      zoom = clamp(Number.isFinite(zoom) ? zoom : FIT_MAX_ZOOM, MIN_ZOOM, points.length === 1 ? STREET_ZOOM : FIT_MAX_ZOOM);
      const size = worldSize(zoom);
      return {
        x: (Math.min(...xs) + Math.max(...xs)) / 2 - (pad.left - pad.right) / 2 / size,
        y: (Math.min(...ys) + Math.max(...ys)) / 2 - (pad.top - pad.bottom) / 2 / size,
        zoom,
      };
    };
    const fit = (animated) => {
      const goal = fittedView();
      const start = { ...view };
      animate("view", animated ? 600 : 0, (t) => {
        view.x = start.x + (goal.x - start.x) * t;
        view.y = start.y + (goal.y - start.y) * t;
        view.zoom = start.zoom + (goal.zoom - start.zoom) * t;
        clampView();
      });
    };

    // -- Drawing --------------------------------------------------------------------------------
    const style = getComputedStyle(mapElement);
    const gridColor = style.getPropertyValue("--track-grid").trim() || "#cbd0d8";
    const haloRGB = style.getPropertyValue("--track-halo-rgb").trim() || "21, 136, 155";
    const context = grid.getContext("2d");

    // Lines on the tile edges of every zoom level; each level fades in as its spacing grows, so the
    // grid moves with the map and zooming through levels is continuous rather than popping.
    const drawGrid = (screen) => {
      if (!context) return;
      const ratio = window.devicePixelRatio || 1;
      if (grid.width !== Math.round(width * ratio) || grid.height !== Math.round(height * ratio)) {
        grid.width = Math.round(width * ratio);
        grid.height = Math.round(height * ratio);
      }
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      if (destination) {
        const at = screen(destination);
        const halo = context.createRadialGradient(at.x, at.y, 0, at.x, at.y, 110);
        halo.addColorStop(0, `rgba(${haloRGB}, 0.16)`);
        halo.addColorStop(1, `rgba(${haloRGB}, 0)`);
        context.fillStyle = halo;
        context.fillRect(at.x - 110, at.y - 110, 220, 220);
      }
      const size = worldSize();
      const originX = view.x * size - width / 2;
      const originY = view.y * size - height / 2;
      context.strokeStyle = gridColor;
      context.lineWidth = 1;
      let level = Math.max(0, Math.floor(Math.log2(size / Math.max(width, height))));
      for (let first = true; size / 2 ** level >= 14; level += 1, first = false) {
        const spacing = size / 2 ** level;
        context.globalAlpha = 0.75 * clamp((spacing - 14) / 110, 0, 1) ** 1.5;
        if (context.globalAlpha < 0.02) continue;
        context.beginPath();
        // Coarser levels already drew every other line; only the first level draws all of its own.
        const step = first ? 1 : 2;
        let i = Math.floor(originX / spacing);
        if (!first && i % 2 === 0) i += 1;
        for (; i * spacing - originX <= width; i += step) {
          const x = Math.round(i * spacing - originX) + 0.5;
          context.moveTo(x, 0);
          context.lineTo(x, height);
        }
        let j = Math.floor(originY / spacing);
        if (!first && j % 2 === 0) j += 1;
        for (; j * spacing - originY <= height; j += step) {
          const y = Math.round(j * spacing - originY) + 0.5;
          context.moveTo(0, y);
          context.lineTo(width, y);
        }
        context.stroke();
      }
      context.globalAlpha = 1;
    };

    // Raster tiles of the nearest integer zoom, scaled for the fraction. Tiles of another level stay
    // underneath until the current level has settled, so zooming never flashes the bare background.
    const tiles = new Map();
    const tileUrl = (z, x, y) => tileTemplate.replace(/\{z\}/g, z).replace(/\{x\}/g, x).replace(/\{y\}/g, y)
      .replace(/\{s\}/g, "a").replace(/\{r\}/g, "");
    const placeTile = (tile) => {
      const factor = 2 ** (view.zoom - tile.z);
      const size = worldSize();
      const left = Math.round(tile.x * TILE * factor - view.x * size + width / 2);
      const top = Math.round(tile.y * TILE * factor - view.y * size + height / 2);
      const right = Math.round((tile.x + 1) * TILE * factor - view.x * size + width / 2);
      const bottom = Math.round((tile.y + 1) * TILE * factor - view.y * size + height / 2);
      tile.img.style.transform = `translate(${left}px, ${top}px)`;
      tile.img.style.width = `${right - left}px`;
      tile.img.style.height = `${bottom - top}px`;
      return right > 0 && bottom > 0 && left < width && top < height;
    };
    const drawTiles = () => {
      const z = clamp(Math.round(view.zoom), 0, MAX_ZOOM);
      const count = 2 ** z;
      const factor = 2 ** (view.zoom - z);
      const centerX = view.x * count * TILE;
      const centerY = view.y * count * TILE;
      const wanted = new Set();
      let settled = true;
      for (let y = Math.floor((centerY - height / 2 / factor) / TILE); y <= Math.floor((centerY + height / 2 / factor) / TILE); y += 1) {
        if (y < 0 || y >= count) continue;
        for (let x = Math.floor((centerX - width / 2 / factor) / TILE); x <= Math.floor((centerX + width / 2 / factor) / TILE); x += 1) {
          if (x < 0 || x >= count) continue;
          const key = `${z}/${x}/${y}`;
          wanted.add(key);
          let tile = tiles.get(key);
          if (!tile) {
            const img = make("img", "track-map-tile", { alt: "", draggable: "false", decoding: "async" });
            tile = { z, x, y, img, settled: false };
            img.addEventListener("load", () => { tile.settled = true; img.classList.add("is-loaded"); requestDraw(); });
            // A failed tile leaves the vector background showing through; nothing broken is drawn.
            img.addEventListener("error", () => { tile.settled = true; img.hidden = true; requestDraw(); });
            img.src = tileUrl(z, x, y);
            tiles.set(key, tile);
            tileLayer.append(img);
          }
          tile.img.style.zIndex = "2";
          placeTile(tile);
          settled = settled && tile.settled;
        }
      }
      for (const [key, tile] of tiles) {
        if (wanted.has(key)) continue;
        if (tile.z !== z && !settled && tile.settled && !tile.img.hidden && placeTile(tile)) {
          tile.img.style.zIndex = "1";
          continue;
        }
        tile.img.remove();
        tiles.delete(key);
      }
    };

    // A scale bar in feet or miles (the customers are in the US), at most ~100px long.
    const drawScale = () => {
      const metresPerPixel = EARTH_CIRCUMFERENCE * Math.cos(latitudeOf(view.y) * Math.PI / 180) / worldSize();
      const maxFeet = metresPerPixel * 100 * 3.28084;
      let label;
      let metres;
      if (maxFeet < 2640) {
        const feet = [10, 20, 50, 100, 200, 500, 1000, 2000].filter((value) => value <= maxFeet).pop() || 10;
        label = `${feet} ft`;
        metres = feet / 3.28084;
      } else {
        const miles = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter((value) => value * 5280 <= maxFeet).pop() || 0.5;
        label = `${miles} mi`;
        metres = miles * 1609.344;
      }
      scaleLabel.textContent = label;
      scaleBar.style.width = `${Math.round(metres / metresPerPixel)}px`;
    };

    const draw = () => {
      if (!width || !height) return;
      const size = worldSize();
      const screen = (p) => ({ x: (p.x - view.x) * size + width / 2, y: (p.y - view.y) * size + height / 2 });
      drawGrid(screen);
      if (raster) drawTiles();
      const place = (element, p) => {
        const at = screen(p);
        element.style.transform = `translate3d(${Math.round(at.x * 10) / 10}px, ${Math.round(at.y * 10) / 10}px, 0)`;
      };
      destinationMarker.hidden = !destination;
      if (destination) place(destinationMarker, destination);
      technicianMarker.hidden = !technician;
      if (technician) place(technicianMarker, technician);
      route.style.display = destination && technician ? "" : "none";
      if (destination && technician) {
        // From the technician to the destination, so the dashes flow towards the customer.
        const from = screen(technician);
        const to = screen(destination);
        const ends = { x1: from.x, y1: from.y, x2: to.x, y2: to.y };
        for (const line of routeLines) for (const [name, value] of Object.entries(ends)) line.setAttribute(name, value.toFixed(1));
      }
      drawScale();
      mapElement.dataset.zoom = String(Math.round(view.zoom * 100) / 100);
      zoomInButton.disabled = view.zoom >= MAX_ZOOM - 0.01;
      zoomOutButton.disabled = view.zoom <= MIN_ZOOM + 0.01;
      if (!drawn) {
        drawn = true;
        mapElement.dataset.ready = "1";
      }
    };

    // -- Markers --------------------------------------------------------------------------------
    let faceKey = null;
    const renderFace = (person) => {
      const initials = (person?.initials || "").slice(0, 3) || "•";
      const key = `${person?.photoUrl || ""}|${initials}`;
      if (key === faceKey) return;
      faceKey = key;
      face.textContent = initials;
      technicianMarker.title = person?.name || "";
      if (!person?.photoUrl) return;
      const img = make("img", "", { alt: "", draggable: "false" });
      // A photo that does not load falls back to the initials already there.
      img.addEventListener("load", () => { if (faceKey === key) face.replaceChildren(img); });
      img.src = person.photoUrl;
    };

    const update = (next) => {
      destination = hasCoords(next.destination) ? project(next.destination) : null;
      const reported = hasCoords(next.position) ? project(next.position) : null;
      if (reported && technician && target && (reported.x !== target.x || reported.y !== target.y)) {
        const from = { ...technician };
        animate("technician", 600, (t) => {
          technician = { x: from.x + (reported.x - from.x) * t, y: from.y + (reported.y - from.y) * t };
        });
      } else if (!reported || !technician) {
        tweens.delete("technician");
        technician = reported;
      }
      target = reported;
      if (reported) {
        technicianMarker.dataset.latitude = String(next.position.latitude);
        technicianMarker.dataset.longitude = String(next.position.longitude);
      } else {
        delete technicianMarker.dataset.latitude;
        delete technicianMarker.dataset.longitude;
      }
      renderFace(next.technician);
      const firstName = next.technician?.firstName;
      note.textContent = firstName ? `Waiting for ${firstName}’s location…` : "Waiting for the technician’s location…";
      note.hidden = Boolean(reported);
      if (!userMoved && width) fit(drawn);
      requestDraw();
    };

    // -- Input ----------------------------------------------------------------------------------
    const local = (event) => {
      const rect = mapElement.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    };
    const pointers = new Map();
    let press = null;     // the current single-pointer press, to tell a tap from a drag
    let lastTap = null;   // for double-tap (and double-click) zoom

    mapElement.addEventListener("pointerdown", (event) => {
      if (event.target.closest("button, a") || (event.pointerType === "mouse" && event.button !== 0)) return;
      try { mapElement.setPointerCapture(event.pointerId); } catch { /* the pointer is already gone */ }
      const at = local(event);
      pointers.set(event.pointerId, at);
      stopViewAnimation();
      press = pointers.size === 1 ? { ...at, time: event.timeStamp, moved: false } : null;
      mapElement.classList.add("is-dragging");
    });
    mapElement.addEventListener("pointermove", (event) => {
      const previous = pointers.get(event.pointerId);
      if (!previous) return;
      const at = local(event);
      if (pointers.size === 1) {
        panBy(at.x - previous.x, at.y - previous.y);
      } else {
        // Pinch: zoom by the change in finger spread around the old midpoint, then follow the midpoint.
        const other = [...pointers].find(([id]) => id !== event.pointerId)[1];
        const spread = (a) => Math.hypot(a.x - other.x, a.y - other.y) || 1;
        const middle = (a) => ({ x: (a.x + other.x) / 2, y: (a.y + other.y) / 2 });
        const before = middle(previous);
        const after = middle(at);
        zoomAround(view.zoom + Math.log2(spread(at) / spread(previous)), before.x, before.y);
        panBy(after.x - before.x, after.y - before.y);
        userMoved = true;
      }
      pointers.set(event.pointerId, at);
      if (press && Math.hypot(at.x - press.x, at.y - press.y) > 6) press.moved = true;
      if (press?.moved) userMoved = true;
      requestDraw();
    });
    const release = (event) => {
      if (!pointers.delete(event.pointerId)) return;
      if (!pointers.size) mapElement.classList.remove("is-dragging");
      if (event.type !== "pointerup" || !press || press.moved || event.timeStamp - press.time > 350) {
        press = null;
        return;
      }
      const at = local(event);
      if (lastTap && event.timeStamp - lastTap.time < 350 && Math.hypot(at.x - lastTap.x, at.y - lastTap.y) < 30) {
        lastTap = null;
        zoomBy(1, at.x, at.y);
      } else {
        lastTap = { ...at, time: event.timeStamp };
      }
      press = null;
    };
    mapElement.addEventListener("pointerup", release);
    mapElement.addEventListener("pointercancel", release);
    mapElement.addEventListener("lostpointercapture", release);
    // Our own double-tap handles double-clicks too; keep the browser's from selecting text.
    mapElement.addEventListener("dblclick", (event) => event.preventDefault());

    mapElement.addEventListener("wheel", (event) => {
      event.preventDefault();
      const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? height : 1;
      // Trackpad pinches arrive as ctrl+wheel with small deltas; they need more zoom per pixel.
      const delta = clamp(-event.deltaY * unit / (event.ctrlKey ? 100 : 200), -1, 1);
      const at = local(event);
      stopViewAnimation();
      zoomAround(view.zoom + delta, at.x, at.y);
      userMoved = true;
      requestDraw();
    }, { passive: false });

    mapElement.addEventListener("keydown", (event) => {
      if (event.target !== mapElement || event.altKey || event.ctrlKey || event.metaKey) return;
      const pans = { ArrowLeft: [80, 0], ArrowRight: [-80, 0], ArrowUp: [0, 80], ArrowDown: [0, -80] };
      if (pans[event.key]) {
        stopViewAnimation();
        panBy(...pans[event.key]);
        userMoved = true;
        requestDraw();
      } else if (event.key === "+" || event.key === "=") {
        zoomBy(1);
      } else if (event.key === "-" || event.key === "_") {
        zoomBy(-1);
      } else {
        return;
      }
      event.preventDefault();
    });

    zoomInButton.addEventListener("click", () => zoomBy(1));
    zoomOutButton.addEventListener("click", () => zoomBy(-1));
    recenterButton.addEventListener("click", () => {
      userMoved = false;
      fit(true);
    });

    // The map's size changes with rotation and window resizes; an untouched view is fitted again.
    const measure = () => {
      const firstTime = !width;
      width = mapElement.clientWidth;
      height = mapElement.clientHeight;
      if (!width || !height) return;
      if (firstTime || !userMoved) fit(false);
      requestDraw();
    };
    if ("ResizeObserver" in window) new ResizeObserver(measure).observe(mapElement);
    else window.addEventListener("resize", measure);
    measure();

    return { update };
  };

  // ---------------------------------------------------------------------------------------------
  // The page texts
  // ---------------------------------------------------------------------------------------------
  const setText = (name, text) => {
    for (const element of document.querySelectorAll(`[data-track="${name}"]`)) {
      const value = text == null || text === "" ? "—" : String(text);
      if (element.textContent !== value) element.textContent = value;
    }
  };

  // "Updated just now" / "Updated 4 min ago" from the position's own time, refreshed every 30 s.
  const refreshUpdated = () => {
    const recorded = Date.parse(state.position?.recordedAt || "");
    let text;
    let freshness;
    if (!hasCoords(state.position) || Number.isNaN(recorded)) {
      text = "Waiting for the first location";
      freshness = "waiting";
    } else {
      const minutes = Math.max(0, Math.floor((Date.now() - recorded) / 60000));
      text = minutes < 1 ? "Updated just now" : minutes < 60 ? `Updated ${minutes} min ago` : "Updated over an hour ago";
      freshness = minutes < 5 ? "live" : "stale";
    }
    for (const element of document.querySelectorAll('[data-track="updated"]')) {
      if (element.textContent !== text) element.textContent = text;
      element.dataset.freshness = freshness;
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Live updates
  // ---------------------------------------------------------------------------------------------
  const mapElement = document.getElementById("track-map");
  let map = null;
  if (mapElement) {
    try { map = createMap(mapElement); } catch (error) { console.warn("Tracking map unavailable", error); }
  }

  let reloading = false;
  const reload = () => {
    if (reloading) return;
    reloading = true;
    location.reload();
  };

  const apply = (next) => {
    if (!next || typeof next !== "object" || typeof next.state !== "string") return;
    if (next.state !== pageState || Boolean(next.verified) !== pageVerified) {
      reload();
      return;
    }
    state = next;
    setText("distance", next.distanceText);
    setText("eta", next.etaText);
    refreshUpdated();
    map?.update(next);
  };

  let lastEventAt = Date.now();
  const fetchState = async () => {
    lastEventAt = Date.now();
    const url = body.dataset.stateUrl;
    if (!url) return;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      // The link is gone (expired or withdrawn): the server renders the page that says so. Not in
      // the first 30 s, so a page and a state URL that disagree cannot reload in a tight loop.
      if ((response.status === 404 || response.status === 410) && performance.now() > 30000) reload();
      if (!response.ok) return;
      apply(await response.json());
    } catch { /* offline or the link ended: the stream or the next check catches up */ }
  };

  // EventSource reconnects by itself after a dropped connection, but gives up for good on an error
  // response (e.g. a server restart answering 502); then we try again ourselves, backing off.
  let source = null;
  let retryDelay = 5000;
  const connect = () => {
    const url = body.dataset.liveUrl;
    if (!url || !("EventSource" in window) || source || reloading) return;
    try { source = new EventSource(url); } catch { return; }
    source.addEventListener("message", (event) => {
      lastEventAt = Date.now();
      retryDelay = 5000;
      let next;
      try { next = JSON.parse(event.data); } catch { return; }
      apply(next);
    });
    // The link ended while the page was open: the server renders the page that says so.
    source.addEventListener("ended", reload);
    source.addEventListener("error", () => {
      if (!source || source.readyState !== EventSource.CLOSED) return;
      source = null;
      fetchState();
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 120000);
    });
  };
  const disconnect = () => {
    source?.close();
    source = null;
  };

  apply(state);
  setInterval(refreshUpdated, 30000);
  if (pageState === "on_the_way") {
    connect();
    // A quiet stream may be a dead one (proxies, sleeping phones): ask for the state directly.
    setInterval(() => { if (Date.now() - lastEventAt >= SILENCE_MS) fetchState(); }, 10000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      refreshUpdated();
      if (Date.now() - lastEventAt >= SILENCE_MS) fetchState();
    });
    // An open stream keeps the page out of the back/forward cache; close it on the way out.
    window.addEventListener("pagehide", disconnect);
    window.addEventListener("pageshow", (event) => { if (event.persisted) { connect(); fetchState(); } });
  } else if (pageState === "arrived") {
    // Nothing moves while the technician works; a slow look turns the page to "finished".
    setInterval(fetchState, 60000);
  }
  if (pageState !== "finished") {
    // When the link expires the server shows the expired view.
    const expiresIn = Date.parse(state.expiresAt || "") - Date.now();
    if (expiresIn > 0 && expiresIn < 2 ** 31 - 5000) setTimeout(reload, expiresIn + 2000);
  }

  window.FieldlineTracking = { apply };
})();
