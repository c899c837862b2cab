// SVG chart for `npm run bench`: one bar per target (ratio tsnats / nats-server), the target of
// each drawn as a line across its bar, and a dashed line at 1.0 (parity). Green bars meet their
// target, red ones do not. Plain SVG text, no dependencies.

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** @param {{date: string, machine: {cores: number, cpu: string, node: string, nats_server: string|null}, targets: {name: string, ratio: number|null, target: number, lowerBetter: boolean, pass: boolean}[]}} report */
export function renderSvg(report) {
  const bars = report.targets;
  const W = Math.max(620, 90 + bars.length * 78);
  const H = 380;
  const left = 56;
  const top = 56;
  const plotH = 220;
  const bottom = top + plotH;
  // the axis stops at 3: a bar beyond it is drawn to the top with its value written above
  const maxVal = Math.min(3, Math.max(2, ...bars.map((b) => (b.ratio ?? 0) * 1.1), ...bars.map((b) => b.target * 1.1)));
  const yMax = Math.ceil(maxVal * 2) / 2;
  const y = (v) => bottom - (Math.min(v, yMax) / yMax) * plotH;
  const slot = (W - left - 20) / Math.max(1, bars.length);
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<title>tsnats / nats-server ratios, ${esc(report.date)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(
    `<text x="${left}" y="20" font-size="14" font-weight="bold">tsnats / nats-server (bars) against targets (black lines)</text>`,
  );
  const m = report.machine;
  out.push(
    `<text x="${left}" y="38" fill="#555">${esc(`${report.date.slice(0, 16).replace("T", " ")} UTC, ${m.cores} × ${m.cpu}, node ${m.node}, ${m.nats_server ?? "nats-server"}`)}</text>`,
  );
  // axis and grid
  for (let v = 0; v <= yMax + 1e-9; v += 0.5) {
    out.push(`<line x1="${left}" x2="${W - 20}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v.toFixed(1)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#888"/>`);
  out.push(
    `<line x1="${left}" x2="${W - 20}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#666" stroke-dasharray="4 3"/>`,
  );
  bars.forEach((b, i) => {
    const x0 = left + i * slot;
    const bw = slot * 0.56;
    const bx = x0 + (slot - bw) / 2;
    const r = b.ratio ?? 0;
    const color = b.ratio === null ? "#bbb" : b.pass ? "#3a9d5d" : "#d0453a";
    out.push(
      `<g class="bar" data-name="${esc(b.name)}" data-ratio="${b.ratio ?? ""}" data-target="${b.target}" data-pass="${b.pass}">`,
    );
    out.push(
      `<rect x="${bx.toFixed(1)}" y="${y(r).toFixed(1)}" width="${bw.toFixed(1)}" height="${(bottom - y(r)).toFixed(1)}" fill="${color}"/>`,
    );
    out.push(
      `<text x="${(bx + bw / 2).toFixed(1)}" y="${(y(r) - 4).toFixed(1)}" text-anchor="middle">${b.ratio === null ? "n/a" : b.ratio.toFixed(2)}</text>`,
    );
    const ty = y(b.target).toFixed(1);
    out.push(
      `<line x1="${(x0 + 4).toFixed(1)}" x2="${(x0 + slot - 4).toFixed(1)}" y1="${ty}" y2="${ty}" stroke="#000" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${(x0 + slot - 4).toFixed(1)}" y="${(Number(ty) + 12).toFixed(1)}" text-anchor="end" font-size="9" fill="#000">${b.lowerBetter ? "≤" : "≥"} ${b.target}</text>`,
    );
    const lx = x0 + slot / 2;
    out.push(
      `<text transform="translate(${lx.toFixed(1)},${bottom + 12}) rotate(35)" font-size="10">${esc(b.name)}</text>`,
    );
    out.push(`</g>`);
  });
  out.push(
    `<text x="${left}" y="${H - 22}" fill="#555">Rates: higher is better (target ≥). Latency and memory: lower is better (target ≤).</text>`,
  );
  out.push(
    `<text x="${left}" y="${H - 8}" fill="#555">Dashed line: parity (1.0). Green: target met; red: missed; grey: no result.</text>`,
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
