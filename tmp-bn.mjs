import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) {
  const lines = gunzipSync(readFileSync(f)).toString('utf8').split('\n');
  let prevLocal = 0, decLocal = 0, prevU=null, breaks=0, snap=null, nD=0, nT=0, nB=0;
  const pxDec = new Map(), qDec = new Map();
  const depthU = new Set(); const tickU=[]; let tickerFields=null, depthFields=null, tradeFields=null;
  let firstDiffAfter = null; let prevE=0, decE=0;
  const dec = (s)=>{ const i=s.indexOf('.'); const t=s.replace(/0+$/,''); const j=t.indexOf('.'); return j<0?0:t.length-j-1; };
  for (const line of lines) { if (!line) continue; const sp=line.indexOf(' '); const lt=Number(line.slice(0,sp)); if (lt<prevLocal) decLocal++; prevLocal=lt;
    const j=JSON.parse(line.slice(sp+1));
    if (j.lastUpdateId) { snap={id:j.lastUpdateId, nb:j.bids.length, na:j.asks.length, keys:Object.keys(j), lt}; for (const [p,q] of [...j.bids, ...j.asks]) { pxDec.set(dec(p),(pxDec.get(dec(p))??0)+1); qDec.set(dec(q),(qDec.get(dec(q))??0)+1);} continue; }
    const d=j.data; const s=j.stream;
    if (s.includes('depth')) { nD++; depthFields ??= Object.keys(d);
      if (prevU!==null) { const ok = d.pu!==undefined ? d.pu===prevU : d.U===prevU+1; if(!ok) breaks++; }
      prevU=d.u; depthU.add(d.u);
      if (snap && !firstDiffAfter) firstDiffAfter = {U:d.U,u:d.u,pu:d.pu, snap:snap.id};
      for (const [p,q] of [...d.b, ...d.a]) { pxDec.set(dec(p),(pxDec.get(dec(p))??0)+1); qDec.set(dec(q),(qDec.get(dec(q))??0)+1);} 
      if (d.E < prevE) decE++; prevE = d.E;
    } else if (s.includes('trade')) { nT++; tradeFields ??= Object.keys(d); }
    else { nB++; tickerFields ??= Object.keys(d); tickU.push(d.u); }
  }
  let match=0; for (const u of tickU) if (depthU.has(u)) match++;
  console.log(f, {decLocal, breaks, snap, nD, nT, nB, firstDiffAfter, match, tickers: tickU.length, depthFields, tickerFields, tradeFields, decE}, pxDec, qDec);
}
