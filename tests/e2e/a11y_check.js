// Accessibility checks run inside real Chromium on pages loaded into same-origin iframes (test_feed_browser.py).
// Contrast is computed from the computed CSS colours (WCAG 2.x relative luminance), backgrounds blended up the
// ancestor chain; the result is written as JSON into <pre id="result"> for --dump-dom to return.
function parseColour(text) {
  const m = text.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function luminance(c) {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
function blend(top, bottom) {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
}
function backgroundOf(el, win) {
  const layers = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = parseColour(win.getComputedStyle(n).backgroundColor);
    if (c && c[3] > 0) layers.push(c);
    if (c && c[3] >= 1) break;
  }
  let bg = [255, 255, 255, 1];
  for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg);
  return bg;
}
function ratio(a, b) {
  const la = luminance(a), lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
function visible(el, win) {
  const style = win.getComputedStyle(el);
  return el.getClientRects().length > 0 && style.visibility !== "hidden" && style.display !== "none";
}
function ownText(el) {
  let text = "";
  for (const node of el.childNodes) if (node.nodeType === 3) text += node.textContent;
  return text.trim();
}
function checkPage(doc, win, name) {
  const problems = [];
  let checked = 0;
  for (const el of doc.body.querySelectorAll("*")) {
    const text = ownText(el);
    if (!text || ["SCRIPT", "STYLE", "TITLE", "OPTION"].includes(el.tagName.toUpperCase())) continue;
    if (!visible(el, win)) continue;
    const style = win.getComputedStyle(el);
    const isSvgText = el instanceof win.SVGElement;
    const fg = parseColour(isSvgText ? style.fill : style.color);
    if (!fg) { problems.push(`${name}: no colour for ${el.tagName} "${text.slice(0, 30)}"`); continue; }
    const bg = backgroundOf(isSvgText ? el.ownerSVGElement : el, win);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    const got = ratio(blend(fg, bg), bg);
    checked++;
    if (got < need) problems.push(`${name}: ${got.toFixed(2)}:1 < ${need}:1 for ${el.tagName}.${el.className.baseVal ?? el.className} "${text.slice(0, 30)}"`);
  }
  const h1 = doc.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${name}: ${h1} <h1> elements, want exactly one`);
  for (const control of doc.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button"].includes(control.type)) continue;
    const labelled = (control.labels && control.labels.length > 0 && control.labels[0].textContent.trim()) || control.getAttribute("aria-label");
    if (!labelled) problems.push(`${name}: ${control.tagName} name=${control.name} has no label`);
  }
  for (const time of doc.querySelectorAll("time")) {
    const when = time.getAttribute("datetime");
    if (!when || isNaN(Date.parse(when))) problems.push(`${name}: <time>${time.textContent}</time> has no valid datetime`);
  }
  let ticks = 0;
  for (const svg of doc.querySelectorAll("svg.chart")) {
    if (!visible(svg, win)) continue;
    const boxes = [...svg.querySelectorAll("text")].map((t) => [t.textContent, t.getBoundingClientRect()]);
    ticks += boxes.length;
    for (const [label, box] of boxes) {
      if (box.height < 9) problems.push(`${name}: chart label "${label}" is ${box.height.toFixed(1)} px tall`);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i], [b, rb] = boxes[j];
        const overlap = ra.left < rb.right - 0.5 && rb.left < ra.right - 0.5 && ra.top < rb.bottom - 0.5 && rb.top < ra.bottom - 0.5;
        if (overlap) problems.push(`${name}: chart labels "${a}" and "${b}" overlap`);
      }
    }
  }
  const overflow = doc.documentElement.scrollWidth - win.innerWidth;
  if (overflow > 1) problems.push(`${name}: page is ${overflow} px wider than the window`);
  return { name, checked, ticks, problems };
}
window.addEventListener("load", () => {
  const out = document.getElementById("result");
  try {
    const results = [...document.querySelectorAll("iframe")].map((f) => checkPage(f.contentDocument, f.contentWindow, f.dataset.name));
    out.textContent = JSON.stringify(results);
  } catch (e) {
    out.textContent = JSON.stringify({ error: String(e) });
  }
});
