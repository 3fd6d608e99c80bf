// Webhook receiver for bench/webhooks/run: answers 200 at once and appends
// "<task id> <receipt epoch ms> <webhook-id>" for every call to $OUT. Loopback only.
const http = require('http');
const fs = require('fs');
const out = fs.createWriteStream(process.env.OUT, { flags: 'a' });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      out.write(`${body.data.id} ${at} ${req.headers['webhook-id']}\n`);
    } catch (e) {
      out.write(`unparsable ${at} -\n`);
    }
    res.writeHead(200).end();
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
