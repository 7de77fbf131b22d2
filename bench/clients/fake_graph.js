'use strict';
// A stand-in for Meta's Graph Send API for bench/compare.sh's SalesOS stack (the AI's replies, if
// any fall due during the run, are "sent" here): every POST answers as Graph does on success.
//   node fake_graph.js PORT_FILE      (listens on 127.0.0.1:0, writes "127.0.0.1:<port>")
const http = require('node:http');
const fs = require('node:fs');
let n = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    n++;
    res.setHeader('Content-Type', 'application/json');
    if (req.method !== 'POST') { res.statusCode = 404; return res.end('{"error":{"message":"Unknown path","code":2500}}'); }
    res.end(JSON.stringify({ recipient_id: '1', message_id: `m_fake${n}`, messaging_product: 'whatsapp',
      messages: [{ id: `wamid.fake${n}` }] }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  fs.writeFileSync(`${process.argv[2]}.tmp`, `127.0.0.1:${port}`);
  fs.renameSync(`${process.argv[2]}.tmp`, process.argv[2]);
});
process.on('SIGTERM', () => process.exit(0));
