// The baseline: a bare Fastify route answering what vitals' /health answers,
// with the same headers, so the ratio isolates what vitals adds.
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
const body = JSON.stringify({ status: 'pass' });
const reply = (_req, res) => {
  res.header('cache-control', 'no-store').type('application/health+json').send(body);
};
app.get('/health', reply);
app.get('/ready', reply);
await app.listen({ port, host: '127.0.0.1' });
process.send?.('ready');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
