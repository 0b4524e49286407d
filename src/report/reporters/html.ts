/**
 * A self-contained HTML report (doctor, register-test, any command): the checks, the findings grouped with
 * their shared hint, and the signup's steps as a timeline. No scripts and no external resources, so a CI
 * artifact opens offline and a strict Content-Security-Policy has nothing to block.
 */
import { groupFindings, problemFindings, type DocumentView, type ViewStatus, type ViewStep } from './view.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.verdict{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600}
:is(td,strong,span).ok{color:#1a7f37}:is(td,strong).warn{color:#9a6700}:is(td,strong,span).error{color:#cf222e}td.skipped{color:#656d76}
.verdict.ok{background:#dafbe1}.verdict.error{background:#ffebe9}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{font-weight:600;background:#f6f8fa}
.finding{border-left:4px solid #d0d7de;padding:.4rem .8rem;margin:.6rem 0;background:#f6f8fa}
.finding.error{border-color:#cf222e}.finding.warn{border-color:#bf8700}
.finding ul{margin:.3rem 0;padding-left:1.2rem}.hint,.next{margin:.2rem 0}.next code{background:#eaeef2;padding:0 .3rem}
.timeline{list-style:none;padding:0;margin:0}.timeline li{display:grid;grid-template-columns:12rem 1fr 5rem;gap:.6rem;align-items:center;padding:.25rem 0;border-bottom:1px solid #eaeef2}
.bar{height:.8rem;border-radius:.2rem;background:#2da44e;min-width:2px}.bar.fail{background:#cf222e}
.meta{color:#656d76;font-size:.85rem}footer{margin-top:2rem;color:#656d76;font-size:.8rem}
`;

function timeline(steps: ViewStep[]): string {
  const longest = Math.max(1, ...steps.map((s) => s.ms));
  const items = steps.map((s) => {
    const width = Math.max(1, Math.round((s.ms / longest) * 100));
    const who = `${s.client !== undefined ? `client ${s.client} · ` : ''}${s.attempt > 1 ? `try ${s.attempt} · ` : ''}`;
    const hops = s.hops?.length ? ` · ${s.hops.join(' · ')}` : '';
    return `<li class="step ${s.ok ? 'ok' : 'error'}"><div><strong>${esc(s.name)}</strong><div class="meta">${esc(`${who}${s.method} ${s.path}`)}</div></div>`
      + `<div><div class="bar${s.ok ? '' : ' fail'}" style="width:${width}%"></div><div class="meta">${esc(`${s.status ?? 'no answer'} · ${s.result || 'ok'}${hops}`)}</div></div>`
      + `<div class="meta">${s.ms} ms</div></li>`;
  });
  return `<h2>Signup timeline</h2>\n<ol class="timeline">${items.join('\n')}</ol>`;
}

const STATUS_TEXT: Record<ViewStatus, string> = { ok: 'ok', warn: 'warning', error: 'error', skipped: 'skipped' };

export function renderHtml(view: DocumentView, generatedAt = new Date()): string {
  const title = `healfix ${view.command}: ${view.verdict}`;
  const parts: string[] = [];
  parts.push(`<h1>healfix ${esc(view.command)} <span class="verdict ${view.ok ? 'ok' : 'error'}">${esc(view.verdict)}</span></h1>`);
  if (view.target) parts.push(`<p class="meta">Database: <code>${esc(view.target)}</code></p>`);
  parts.push(`<p id="summary">${esc(view.summary)}</p>`);
  if (view.error) {
    parts.push(`<div class="finding error" data-finding><strong>error:</strong> ${esc(view.error.message)}${view.error.hint ? `<p class="hint">${esc(view.error.hint)}</p>` : ''}</div>`);
  } else {
    const rows = view.checks.map((c) => `<tr><td>${esc(c.check)}</td><td class="${c.status}">${STATUS_TEXT[c.status]}</td><td>${esc(c.status === 'skipped' ? c.skippedReason ?? c.summary : c.summary)}</td></tr>`);
    parts.push(`<h2>Checks</h2>\n<table><thead><tr><th>check</th><th>status</th><th>summary</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
    if (view.steps?.length) parts.push(timeline(view.steps));
    const groups = groupFindings(problemFindings(view));
    if (groups.length) {
      parts.push('<h2>Findings</h2>');
      for (const g of groups) {
        const items = g.findings.map((f) => `<li data-finding>${esc(f.title)}${f.detail ? `<div class="meta">${esc(f.detail)}</div>` : ''}</li>`).join('');
        parts.push(`<div class="finding ${g.severity}"><strong class="${g.severity}">${STATUS_TEXT[g.severity]}</strong> · ${esc(g.check)}<ul>${items}</ul>`
          + `${g.hint ? `<p class="hint">hint: ${esc(g.hint)}</p>` : ''}${g.next ? `<p class="next">next: <code>${esc(g.next)}</code></p>` : ''}</div>`);
      }
    }
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
<footer>healfix · generated ${esc(generatedAt.toISOString())}</footer>
</body>
</html>
`;
}
