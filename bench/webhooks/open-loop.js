// Open-loop load for bench/webhooks/run: POST /v1/tasks of `noop` tasks at a fixed RATE per second
// for SECONDS, whatever the answers take (a closed-loop client such as wrk slows down with the
// server and so never shows that a rate is not sustained). Requests go out on up to 512 kept-alive
// connections; one that cannot leave at once waits in the agent's queue, so a node that falls
// behind shows as queued requests and growing create latency. Prints one line:
//   offered <n>/s sent <n> answered <n> errors <n> create ms p50 <n> p99 <n> max <n>
//   URL=http://127.0.0.1:PORT RATE=1000 SECONDS=12 node bench/webhooks/open-loop.js
const http = require('http');

const url = new URL(process.env.URL);
const rate = Number(process.env.RATE || 1000);
const seconds = Number(process.env.SECONDS || 12);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const body = '{"type":"noop"}';
const latencies = [];
let sent = 0;
let answered = 0;
let errors = 0;

function create() {
  const start = process.hrtime.bigint();
  sent++;
  const req = http.request({
    agent, host: url.hostname, port: url.port, path: '/v1/tasks', method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
  }, res => {
    res.resume();
    res.on('end', () => {
      answered++;
      if (res.statusCode !== 202) {
        errors++;
      }
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
  req.on('error', () => { errors++; answered++; });
  req.end(body);
}

const t0 = Date.now();
const tick = setInterval(() => {
  const elapsed = Math.min(seconds * 1000, Date.now() - t0);
  const due = Math.floor(elapsed * rate / 1000);
  while (sent < due) {
    create();
  }
  if (elapsed >= seconds * 1000) {
    clearInterval(tick);
    const wait = setInterval(() => {
      if (answered >= sent || Date.now() - t0 > (seconds + 60) * 1000) {
        clearInterval(wait);
        latencies.sort((a, b) => a - b);
        const pick = q => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] || 0);
        console.log(`offered ${rate}/s sent ${sent} answered ${answered} errors ${errors}`
          + ` create ms p50 ${pick(0.5)} p99 ${pick(0.99)} max ${pick(1)}`);
        agent.destroy();
      }
    }, 50);
  }
}, 2);
