/**
 * The baseline of bench:discounts, as its own process like the service under test: a bare express
 * handler doing one INSERT per request, with the same pool size. PORT and DATABASE_URL from env.
 */
import express from 'express';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL ?? 20) });
const app = express();
app.use(express.json());
app.get('/health', (_req, res) => { res.json({ ok: true }); });
app.post('/baseline', async (req, res) => {
  await pool.query('insert into bench_baseline (business_id, payload) values ($1, $2)', [process.env.BUSINESS_ID, JSON.stringify(req.body)]);
  res.status(201).json({ ok: true });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => { server.close(() => { void pool.end().then(() => process.exit(0)); }); });
