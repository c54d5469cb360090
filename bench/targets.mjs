// Dependencies for the vitals under test: a TCP listener and an HTTP upstream
// on loopback that count every connection and request, so the benchmark can
// show that no request to /health or /ready reached a dependency.
import http from 'node:http';
import net from 'node:net';

export async function startTargets() {
  const counts = { tcpConnections: 0, httpRequests: 0 };
  const tcp = net.createServer((socket) => {
    counts.tcpConnections++;
    socket.on('error', () => {});
    socket.end();
  });
  const upstream = http.createServer((req, res) => {
    counts.httpRequests++;
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
  });
  await new Promise((r) => tcp.listen(0, '127.0.0.1', r));
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  return {
    counts,
    tcpPort: tcp.address().port,
    httpPort: upstream.address().port,
    close: async () => {
      await new Promise((r) => tcp.close(r));
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    },
  };
}
