/** bench:api's baseline: a bare express handler sending fixed bytes from memory (BODY_FILE) on PORT, for GET ROUTE_PATH. */
import fs from 'node:fs';
import express from 'express';

const body = fs.readFileSync(process.env.BODY_FILE ?? '');
const app = express();
app.get(process.env.ROUTE_PATH ?? '/api/locations/:id/discounts', (_req, res) => {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(body);
});
app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
