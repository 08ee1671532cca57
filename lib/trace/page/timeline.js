// The drawing script of timeline.html (node-wsk-trace, lib/trace/timeline.ts). Plain browser
// JavaScript, no library, nothing fetched: the data is the JSON in <script id="data">.
//
// One lane per track (the client, each socket). In a lane, IRPs whose spans overlap (two
// receives pending at once) go on separate rows; event callbacks run along the top of the lane.
// Every IRP is one <rect class="irp ..."> with data-op, data-name and data-status, from its call
// to its completion (a pended one) or its return (an inline one). Zoomed out, IRPs of one row and
// class that fall on the same pixel are drawn as one rect that says how many it holds.
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const LABEL = 230;
  const AXIS = 26;
  const EVENT_ROW = 9;
  const ROW = 13;
  const LANE_GAP = 6;
  const model = JSON.parse(document.getElementById('data').textContent);
  const svg = document.getElementById('timeline');
  const tip = document.getElementById('tooltip');
  /** The tooltip text of each drawn element, by its data-tip index. */
  let tips = [];
  let view = fullView();
  /** IRP indexes in call order, sorted once (a zoom redraws without sorting 10^5 IRPs again). */
  const byStart = model.irps.map((_, i) => i).sort((a, b) => model.irps[a].start - model.irps[b].start);

  function fullView() {
    const span = Math.max(model.t1 - model.t0, 1);
    return { t0: model.t0 - span * 0.01, t1: model.t1 + span * 0.01 };
  }

  function kindOf(irp) {
    if (irp.failed) return 'fail';
    if (!irp.pending) return 'ok';
    return irp.end === null ? 'open' : 'pend';
  }

  function extentEnd(irp) {
    if (!irp.pending) return irp.returned;
    return irp.end === null ? model.t1 : irp.end;
  }

  /** Rows within each lane: greedy, in call order, so overlapping IRPs never share a row. */
  function layout() {
    const lanes = model.lanes.map(() => ({ rowsEnd: [], y: 0, height: 0 }));
    for (const i of byStart) {
      const irp = model.irps[i];
      const rows = lanes[irp.lane].rowsEnd;
      let row = rows.findIndex((end) => end <= irp.start);
      if (row < 0) row = rows.push(0) - 1;
      rows[row] = extentEnd(irp);
      irp.row = row;
    }
    let y = AXIS;
    for (const lane of lanes) {
      lane.y = y;
      lane.height = EVENT_ROW + Math.max(lane.rowsEnd.length, 1) * ROW + LANE_GAP;
      y += lane.height;
    }
    return { lanes, height: y + 4 };
  }
  const geometry = layout();

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    parent.appendChild(e);
    return e;
  }

  function width() {
    return Math.max(svg.clientWidth, LABEL + 200);
  }

  function xOf(t, w) {
    return LABEL + ((t - view.t0) / (view.t1 - view.t0)) * (w - LABEL - 8);
  }

  /** 1.25 ms, 380 µs, 2.5 s: at most three decimals, none trailing. */
  function timeText(us) {
    const a = Math.abs(us);
    const [v, unit] = a >= 1e6 ? [us / 1e6, 's'] : a >= 1e3 ? [us / 1e3, 'ms'] : [us, 'µs'];
    return `${Number(v.toFixed(3))} ${unit}`;
  }

  /** A tick step of 1, 2 or 5 times a power of ten giving about `n` ticks. */
  function tickStep(span, n) {
    const raw = span / n;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  function drawAxis(g, w) {
    const step = tickStep(view.t1 - view.t0, Math.max(2, Math.floor((w - LABEL) / 110)));
    const first = Math.ceil((view.t0 - model.t0) / step) * step + model.t0;
    for (let t = first, i = 0; t <= view.t1 && i < 100; t += step, i++) {
      const x = xOf(t, w);
      el('line', { x1: x, x2: x, y1: AXIS - 6, y2: geometry.height }, g);
      if (x + 70 < w) el('text', { x: x + 3, y: AXIS - 10 }, g).textContent = `+${timeText(t - model.t0)}`;
    }
  }

  function drawLanes(g, w) {
    model.lanes.forEach((lane, i) => {
      const l = geometry.lanes[i];
      el('rect', { class: `lane-bg${i % 2 ? ' odd' : ''}`, x: 0, y: l.y, width: w, height: l.height }, g);
      const label = el('text', { class: 'lane-label', x: 8, y: l.y + 14, 'data-lane': lane.id }, g);
      label.textContent = lane.name;
    });
  }

  function addTip(node, text) {
    node.setAttribute('data-tip', tips.length);
    tips.push(text);
  }

  function irpTip(irp) {
    const lines = [`${irp.name}  (call ${irp.op}, ${model.lanes[irp.lane].name})`];
    lines.push(`called      +${timeText(irp.start - model.t0)}`);
    if (irp.pending) {
      lines.push(`returned    STATUS_PENDING after ${timeText(irp.returned - irp.start)}`);
      lines.push(irp.end === null ? 'completed   never (still pending)' : `completed   ${timeText(irp.end - irp.returned)} later`);
    } else {
      lines.push(`completed   inline, ${timeText(irp.returned - irp.start)} with its routine`);
    }
    lines.push(`status      ${irp.status}`);
    for (const d of irp.detail) lines.push(`  ${d}`);
    return lines.join('\n');
  }

  /** IRPs in view; those of one row and class on the same pixel become one rect with a count. */
  function drawIrps(g, w) {
    const last = new Map();
    for (const i of byStart) {
      const irp = model.irps[i];
      const end = extentEnd(irp);
      if (end < view.t0 || irp.start > view.t1) continue;
      const kind = kindOf(irp);
      const x0 = Math.max(xOf(irp.start, w), LABEL);
      const x1 = Math.max(Math.min(xOf(end, w), w), x0 + 2);
      const key = `${irp.lane}/${irp.row}/${kind}`;
      const prev = last.get(key);
      if (prev && x0 < prev.x1 + 1 && x1 - x0 <= 3) {
        prev.count++;
        prev.x1 = Math.max(prev.x1, x1);
        prev.node.setAttribute('width', prev.x1 - prev.x0);
        prev.node.setAttribute('data-count', prev.count);
        tips[prev.tip] = `${prev.count} IRPs here (zoom in to tell them apart); the first:\n${irpTip(model.irps[prev.first])}`;
        continue;
      }
      const y = geometry.lanes[irp.lane].y + EVENT_ROW + irp.row * ROW;
      const node = el('rect', {
        class: `irp ${kind}`, x: x0, y: y + 1, width: x1 - x0, height: ROW - 3,
        'data-op': irp.op, 'data-name': irp.name, 'data-status': irp.status, 'data-lane': model.lanes[irp.lane].id,
      }, g);
      addTip(node, irpTip(irp));
      last.set(key, { node, x0, x1, count: 1, tip: tips.length - 1, first: i });
    }
  }

  function drawEvents(g, w) {
    for (const ev of model.events) {
      if (ev.end < view.t0 || ev.start > view.t1) continue;
      const x0 = Math.max(xOf(ev.start, w), LABEL);
      const x1 = Math.max(xOf(ev.end, w), x0 + 2);
      const y = geometry.lanes[ev.lane].y + 1;
      const node = el('rect', { class: 'event', x: x0, y, width: x1 - x0, height: EVENT_ROW - 2, 'data-name': ev.name, 'data-lane': model.lanes[ev.lane].id }, g);
      addTip(node, [`${ev.name}  (event callback, ${model.lanes[ev.lane].name})`, `called      +${timeText(ev.start - model.t0)}`,
        `ran         ${timeText(ev.end - ev.start)}`, ...ev.detail.map((d) => `  ${d}`)].join('\n'));
    }
  }

  function drawMarks(g, w) {
    for (const m of model.marks) {
      if (m.t < view.t0 || m.t > view.t1) continue;
      const x = xOf(m.t, w);
      const y = geometry.lanes[m.lane].y + EVENT_ROW;
      const node = el('path', { class: `mark ${m.kind}`, d: `M${x - 4},${y - 8} L${x + 4},${y - 8} L${x},${y} Z` }, g);
      addTip(node, `${m.text}\nat +${timeText(m.t - model.t0)}`);
    }
  }

  function summary() {
    const irps = model.irps;
    const meta = model.meta || {};
    const pended = irps.filter((i) => i.pending).length;
    const failedCount = irps.filter((i) => i.failed).length;
    const parts = [`${irps.length} IRPs on ${model.lanes.length} tracks`, `${pended} pended`, `${failedCount} failed`,
      `${model.events.length} event callbacks`, `over ${timeText(model.t1 - model.t0)}`];
    if (meta.records !== undefined) parts.push(`${meta.records} records kept, ${meta.dropped || 0} dropped`);
    document.getElementById('summary').textContent = parts.join(' · ');
  }

  function render() {
    const w = width();
    tips = [];
    svg.textContent = '';
    svg.setAttribute('height', geometry.height);
    svg.setAttribute('viewBox', `0 0 ${w} ${geometry.height}`);
    drawLanes(el('g', { class: 'lanes' }, svg), w);
    drawAxis(el('g', { class: 'axis' }, svg), w);
    drawEvents(el('g', { class: 'events' }, svg), w);
    drawIrps(el('g', { class: 'irps' }, svg), w);
    drawMarks(el('g', { class: 'marks' }, svg), w);
  }

  function timeAt(clientX) {
    const r = svg.getBoundingClientRect();
    const w = width();
    return view.t0 + ((clientX - r.left - LABEL) / (w - LABEL - 8)) * (view.t1 - view.t0);
  }

  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const at = timeAt(e.clientX);
    const f = e.deltaY < 0 ? 1 / 1.25 : 1.25;
    const span = Math.max((view.t1 - view.t0) * f, 0.5);
    const left = (at - view.t0) / (view.t1 - view.t0);
    view = { t0: at - left * span, t1: at - left * span + span };
    render();
  }, { passive: false });

  let drag = null;
  svg.addEventListener('mousedown', (e) => {
    drag = { x: e.clientX, view };
    svg.classList.add('dragging');
  });
  window.addEventListener('mouseup', () => {
    drag = null;
    svg.classList.remove('dragging');
  });
  window.addEventListener('mousemove', (e) => {
    if (drag) {
      const dt = ((drag.x - e.clientX) / (width() - LABEL - 8)) * (drag.view.t1 - drag.view.t0);
      view = { t0: drag.view.t0 + dt, t1: drag.view.t1 + dt };
      render();
      return;
    }
    const target = e.target instanceof Element ? e.target.closest('[data-tip]') : null;
    if (!target) {
      tip.hidden = true;
      return;
    }
    tip.textContent = tips[Number(target.getAttribute('data-tip'))];
    tip.hidden = false;
    tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${Math.min(e.clientY + 14, window.innerHeight - tip.offsetHeight - 8)}px`;
  });
  document.getElementById('reset').addEventListener('click', () => {
    view = fullView();
    render();
  });
  window.addEventListener('resize', render);

  summary();
  render();
  document.body.setAttribute('data-drawn', 'true');
})();
