// Recall-vs-QPS chart (log QPS), in the style of ann-benchmarks, as a standalone SVG.
const COLORS = { edge: '#d62728', 'edge-int8': '#ff7f0e', 'edge-js': '#9467bd', hnswlib: '#1f77b4', usearch: '#2ca02c', brute: '#7f7f7f', 'brute-simd': '#bcbd22' };

export function chartSvg(title, results) {
  const W = 720, H = 460, L = 70, R = 150, T = 40, B = 50;
  const pts = results.flatMap((r) => r.rows.map((x) => ({ ...x, peer: r.peer })));
  const minR = Math.max(0, Math.floor(Math.min(...pts.map((p) => p.recall)) * 10) / 10);
  const qpsAll = pts.map((p) => p.qps).filter((q) => q > 0);
  const lo = Math.floor(Math.log10(Math.min(...qpsAll))), hi = Math.ceil(Math.log10(Math.max(...qpsAll)));
  const x = (r) => L + ((r - minR) / (1 - minR)) * (W - L - R);
  const y = (q) => T + (1 - (Math.log10(q) - lo) / (hi - lo || 1)) * (H - T - B);
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
  s += `<rect width="100%" height="100%" fill="white"/>\n<text x="${W / 2 - R / 2}" y="22" text-anchor="middle" font-size="14">${title}</text>\n`;
  for (let e = lo; e <= hi; e++) {
    s += `<line x1="${L}" x2="${W - R}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${L - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e}</text>\n`;
  }
  for (let r = minR; r <= 1.0001; r += 0.05) {
    s += `<line x1="${x(r)}" x2="${x(r)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${x(r)}" y="${H - B + 16}" text-anchor="middle">${r.toFixed(2)}</text>\n`;
  }
  s += `<line x1="${x(0.95)}" x2="${x(0.95)}" y1="${T}" y2="${H - B}" stroke="#aaa" stroke-dasharray="4 3"/>\n`;
  s += `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">recall@10</text>\n`;
  s += `<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">queries per second (1 thread, log)</text>\n`;
  results.forEach((r, i) => {
    const c = COLORS[r.peer] ?? '#000';
    const rows = r.rows.filter((p) => p.recall >= minR);
    if (r.peer.startsWith('brute')) {
      s += `<line x1="${L}" x2="${W - R}" y1="${y(rows[0].qps)}" y2="${y(rows[0].qps)}" stroke="${c}" stroke-dasharray="6 4"/>\n`;
    } else {
      s += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${rows.map((p) => `${x(p.recall).toFixed(1)},${y(p.qps).toFixed(1)}`).join(' ')}"/>\n`;
      for (const p of rows) s += `<circle cx="${x(p.recall).toFixed(1)}" cy="${y(p.qps).toFixed(1)}" r="3" fill="${c}"><title>${r.peer} ef ${p.ef}: recall ${p.recall.toFixed(3)}, ${p.qps.toFixed(0)} QPS</title></circle>\n`;
    }
    s += `<rect x="${W - R + 12}" y="${T + i * 20}" width="12" height="12" fill="${c}"/><text x="${W - R + 30}" y="${T + i * 20 + 10}">${r.peer}</text>\n`;
  });
  return s + '</svg>\n';
}
