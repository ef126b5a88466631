// The inline heart-beat Worker of timer.rs, made and driven from here: one JavaScript function
// per operation instead of a Wasm import per Blob/URL/Worker call.

// The worker's whole program: one timeout, re-armed by each message (`-1` cancels).
const SOURCE =
  'let t;onmessage=e=>{clearTimeout(t);if(e.data>=0)t=setTimeout(()=>postMessage(0),e.data)}';

// A Worker calling `fire` whenever its timeout runs out, or undefined where the platform has no
// Worker/Blob/URL (node) or refuses to start one (a strict Content-Security-Policy).
export function startWorker(fire) {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL === 'undefined') {
    return undefined;
  }
  let url;
  try {
    url = URL.createObjectURL(new Blob([SOURCE], { type: 'application/javascript' }));
    const worker = new Worker(url);
    worker.onmessage = fire;
    worker.stompUrl = url;
    return worker;
  } catch (e) {
    if (url !== undefined) URL.revokeObjectURL(url);
    return undefined;
  }
}

// Arms the worker's timeout for `ms` milliseconds; a negative `ms` disarms it.
export function armWorker(worker, ms) {
  worker.postMessage(ms);
}

export function stopWorker(worker) {
  worker.onmessage = null;
  worker.terminate();
  URL.revokeObjectURL(worker.stompUrl);
}
