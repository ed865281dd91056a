// A real S3 peer for the tests: @20minutes/s3rver (it verifies SigV4) on 127.0.0.1 and a free port.
//   node s3rver.js DATA_DIR BUCKET...     prints "PORT <n>" once listening; credentials S3RVER / S3RVER
// With S3RVER_TLS_DIR set, it serves HTTPS with DIR/server.crt and DIR/server.key.
'use strict';
const fs = require('fs');
const path = require('path');
const deps = process.env.U2NET_DEPS || path.join(__dirname, '..', '..', '.deps');
const S3rver = require(path.join(deps, 'node_modules', '@20minutes', 's3rver'));

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  ...(process.env.S3RVER_TLS_DIR
    ? {
        cert: fs.readFileSync(path.join(process.env.S3RVER_TLS_DIR, 'server.crt')),
        key: fs.readFileSync(path.join(process.env.S3RVER_TLS_DIR, 'server.key')),
      }
    : {}),
});
server.run().then(
  (addr) => console.log('PORT ' + addr.port),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
