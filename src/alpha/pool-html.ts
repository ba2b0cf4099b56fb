import type { CorrelationPayload } from './pool.ts';

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/** Blue (−1) through white (0) to red (+1). */
function color(r: number): string {
  const a = Math.min(1, Math.abs(r));
  const c = Math.round(255 * (1 - a));
  return r >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
}

/** An SVG heatmap of the pool's Pearson and Spearman matrices, `highlight` (the report's alpha) in bold. */
export function poolHeatmap(p: CorrelationPayload, highlight?: string): string {
  const n = p.alpha_ids.length;
  const cell = Math.max(28, Math.min(60, Math.floor(420 / Math.max(1, n))));
  const label = 110;
  const one = (title: string, m: number[][]) => {
    const w = label + n * cell + 10;
    const h = label + n * cell + 10;
    const parts = [`<svg width="${w}" height="${h}" role="img" aria-label="${esc(title)}">`];
    for (let i = 0; i < n; i++) {
      const bold = p.alpha_ids[i] === highlight ? ' font-weight="bold"' : '';
      parts.push(
        `<text x="${label - 4}" y="${label + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11"${bold}>${esc(p.alpha_ids[i])}</text>`,
        `<text transform="translate(${label + i * cell + cell / 2 + 4},${label - 4}) rotate(-60)" font-size="11"${bold}>${esc(p.alpha_ids[i])}</text>`,
      );
      for (let j = 0; j < n; j++) {
        const r = m[i][j];
        parts.push(
          `<rect x="${label + j * cell}" y="${label + i * cell}" width="${cell}" height="${cell}" fill="${color(r)}" stroke="#fff"><title>${esc(p.alpha_ids[i])} / ${esc(p.alpha_ids[j])}: ${r.toFixed(3)}</title></rect>`,
          `<text x="${label + j * cell + cell / 2}" y="${label + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="10">${r.toFixed(2)}</text>`,
        );
      }
    }
    parts.push('</svg>');
    return `<h3>${esc(title)}</h3>${parts.join('')}`;
  };
  return (
    `<h2>Pool correlation (${n} alphas, ${p.sample_length} common seconds)</h2>` +
    `<p class="meta">runs ${p.run_ids.map(esc).join(', ')}; signals joined on exchange time</p>` +
    one('Pearson', p.pearson_matrix) +
    one('Spearman (average ranks)', p.spearman_matrix)
  );
}
