#!/usr/bin/env node
// Waits until a Cassandra node answers CQL: runs
//   SELECT release_version FROM system.local
// with the npm package cassandra-driver, retrying until a timeout.
//
// Usage: node wait-ready.js [--host 127.0.0.1] [--port 9042] [--timeout 180]
//                           [--pid PID] [--peers N] [--quiet]
//   --timeout 0   try once (used to detect an already running node)
//   --pid PID     give up early when that process has exited
//   --peers N     also wait until the node sees N peers UP (a node of scripts/cassandra/cluster.sh)
// Exit codes: 0 ready (prints the release version), 1 timeout, 2 process exited.
//
// If cassandra-driver cannot be loaded (e.g. before `npm ci`), it falls back to a
// raw native-protocol OPTIONS request, which proves a CQL server answers.
'use strict';

const net = require('net');

function parseArgs(argv) {
  const out = { host: '127.0.0.1', port: 9042, timeout: 180, pid: 0, peers: 0, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--host') out.host = argv[++i];
    else if (a === '--port') out.port = Number(argv[++i]);
    else if (a === '--timeout') out.timeout = Number(argv[++i]);
    else if (a === '--pid') out.pid = Number(argv[++i]);
    else if (a === '--peers') out.peers = Number(argv[++i]);
    else if (a === '--quiet') out.quiet = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port <= 0) throw new Error('bad --port');
  if (!(out.timeout >= 0)) throw new Error('bad --timeout');
  return out;
}

function loadDriver() {
  try {
    return require('cassandra-driver');
  } catch (_) {
    try {
      // resolve from the current working directory too (repo root)
      return require(require.resolve('cassandra-driver', { paths: [process.cwd()] }));
    } catch (_) {
      return null;
    }
  }
}

function alive(pid) {
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function probeWithDriver(driver, host, port, peers) {
  const client = new driver.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    // peers are reached on the contact point's port (the driver reads no port from system.peers)
    protocolOptions: { port },
    pooling: { warmup: false },
    policies: {
      // this node answers every query (system.peers, the views), not whichever the driver picks
      loadBalancing: new driver.policies.loadBalancing.AllowListPolicy(new driver.policies.loadBalancing.RoundRobinPolicy(), [`${host}:${port}`]),
      // don't let the driver spin on its own reconnection schedule
      reconnection: new driver.policies.reconnection.ConstantReconnectionPolicy(60000),
    },
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    const row = rs.first();
    if (!row) throw new Error('system.local returned no row');
    if (peers > 0) await checkPeers(client, peers);
    return String(row.release_version);
  } finally {
    await client.shutdown().catch(() => {});
  }
}

// UP as far as a query needs it: the node knows `want` peers (system.peers), each NORMAL and
// serving CQL in its gossip, with a live internode connection to each (none to a dead node).
async function checkPeers(client, want) {
  const peers = (await client.execute('SELECT peer FROM system.peers')).rows.map((r) => String(r.peer));
  if (peers.length !== want) throw new Error(`sees ${peers.length} peers, wants ${want}`);
  const gossip = new Map((await client.execute('SELECT address, status_with_port, rpc_ready FROM system_views.gossip_info')).rows.map((r) => [String(r.address), r]));
  const links = new Map((await client.execute('SELECT address, active_connections FROM system_views.internode_outbound')).rows.map((r) => [String(r.address), Number(r.active_connections)]));
  for (const p of peers) {
    const g = gossip.get(p);
    if (!g || !String(g.status_with_port).startsWith('NORMAL') || String(g.rpc_ready) !== 'true') throw new Error(`peer ${p} is not NORMAL and serving`);
    if (!(links.get(p) > 0)) throw new Error(`no live connection to peer ${p}`);
  }
}

// Native protocol v4 OPTIONS frame; a CQL server answers with SUPPORTED (opcode 0x06).
function probeRaw(host, port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err, v) => {
      sock.destroy();
      clearTimeout(timer);
      err ? reject(err) : resolve(v);
    };
    const timer = setTimeout(() => done(new Error('no CQL answer within 3s')), 3000);
    sock.on('connect', () => sock.write(Buffer.from([0x04, 0, 0, 0, 0x05, 0, 0, 0, 0])));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 9) return;
      if ((buf[0] & 0x80) && buf[4] === 0x06) done(null, 'unknown (raw OPTIONS probe; cassandra-driver not installed)');
      else done(new Error(`unexpected reply: version=0x${buf[0].toString(16)} opcode=0x${buf[4].toString(16)}`));
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error('connection closed')));
  });
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const driver = loadDriver();
  if (!driver && opt.peers > 0) throw new Error('--peers needs cassandra-driver (npm ci)');
  if (!driver && !opt.quiet) {
    console.error('wait-ready: cassandra-driver not found, using a raw CQL OPTIONS probe');
  }
  const deadline = Date.now() + opt.timeout * 1000;
  let lastErr = null;
  for (let attempt = 1; ; attempt++) {
    try {
      const version = driver
        ? await probeWithDriver(driver, opt.host, opt.port, opt.peers)
        : await probeRaw(opt.host, opt.port);
      console.log(version);
      return 0;
    } catch (e) {
      lastErr = e;
    }
    if (!alive(opt.pid)) {
      if (!opt.quiet) console.error(`wait-ready: process ${opt.pid} exited before CQL was ready`);
      return 2;
    }
    if (Date.now() >= deadline) break;
    await sleep(500);
  }
  if (!opt.quiet) {
    const msg = lastErr && (lastErr.innerErrors ? JSON.stringify(Object.values(lastErr.innerErrors).map(String)) : lastErr.message);
    console.error(`wait-ready: no CQL answer from ${opt.host}:${opt.port} within ${opt.timeout}s: ${msg}`);
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`wait-ready: ${e.message}`);
    process.exit(1);
  },
);
