'use strict';
// The peer for bench/run: GET /v1/tasks/:id served by Fastify with a pg.Pool, written the way a
// Fastify + node-postgres user would write it (one process, a parameterised SELECT per request,
// no cache). Same columns and the same Trace JSON shape as the Java server.
//   PGHOST=127.0.0.1 PGDATABASE=... PORT=10100 node server.js
// Settings: PORT (10100), HOST (127.0.0.1), PEER_POOL_SIZE (10, pg's default), PEER_TENANT ('default');
// PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD as usual for pg.
const Fastify = require('fastify');
const { Pool } = require('pg');

const pool = new Pool({ max: Number(process.env.PEER_POOL_SIZE || 10) });
const tenant = process.env.PEER_TENANT || 'default';
const app = Fastify({ logger: false });

const SELECT = `SELECT id, type, status, progress, data, failure_reason,
    floor(extract(epoch from created_at))::bigint AS created_at,
    floor(extract(epoch from updated_at))::bigint AS updated_at
  FROM tasks WHERE tenant = $1 AND id = $2`;

app.get('/v1/tasks/:id', async (request, reply) => {
  const { rows } = await pool.query(SELECT, [tenant, request.params.id]);
  if (rows.length === 0) {
    reply.code(404);
    return { error: { message: `No task with id '${request.params.id}'.`, type: 'not_found_error', param: null, code: 'task_not_found' } };
  }
  const t = rows[0];
  return {
    id: t.id,
    object: 'task',
    type: t.type,
    status: t.status,
    progress: t.progress,
    data: t.data,
    created_at: Number(t.created_at),
    updated_at: Number(t.updated_at),
    failure_reason: t.failure_reason,
  };
});

app.get('/health', async () => ({ status: 'ok' }));

const close = () => app.close().then(() => pool.end()).then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', close);
process.on('SIGINT', close);

app.listen({ port: Number(process.env.PORT || 10100), host: process.env.HOST || '127.0.0.1' })
  .catch((err) => { console.error(err); process.exit(1); });
