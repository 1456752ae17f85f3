/** Small live line charts: the last N samples of a series as an SVG polyline, scaled to its range. */

export class Series {
  readonly #values: number[] = [];
  constructor(readonly capacity = 90) {}

  push(v: number): void {
    this.#values.push(Number.isFinite(v) ? v : 0);
    if (this.#values.length > this.capacity) this.#values.shift();
  }

  get last(): number | undefined {
    return this.#values.at(-1);
  }

  /** Polyline points in a width x height box, scaled to the series' range (a flat series at mid height). */
  points(width = 120, height = 36): string {
    const v = this.#values;
    if (v.length === 0) return '';
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    if (hi - lo < 1e-12) {
      lo -= 1;
      hi += 1;
    }
    // Until the window is full the samples so far span the whole width (one sample: a flat line).
    const pts = v.length === 1 ? [v[0]!, v[0]!] : v;
    const step = width / (pts.length - 1);
    return pts.map((y, i) => `${(i * step).toFixed(1)},${(height - 2 - ((y - lo) / (hi - lo)) * (height - 4)).toFixed(1)}`).join(' ');
  }
}

export function draw(svg: SVGSVGElement, series: Series): void {
  let line = svg.querySelector('polyline');
  if (line === null) {
    line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    svg.appendChild(line);
  }
  line.setAttribute('points', series.points());
}
