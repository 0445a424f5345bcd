// A plain Node.js client that does what `dpopfleet mint` does, for side-by-side runs against
// node-oidc-provider. Each of N agents gets its own P-256 key from node:crypto and obtains one
// DPoP-bound token with the client_credentials grant over HTTPS (keep-alive HTTP/1.1, at most
// --concurrency requests in flight). Proofs are built by hand with node:crypto, as in
// node_proof.mjs. Requests go only to --token-url, which must be a loopback URL.
//
// Usage: node node_mint.mjs --token-url URL --client-id ID --client-secret SECRET
//                           --ca-file PEM [--agents N] [--concurrency C]
// Output: one JSON line {"impl","agents","succeeded","failed","seconds","tokens_per_second",
//         "cpu_seconds","cpu_ms_per_token","first_error"}.

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'token-url': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'ca-file': { type: 'string' },
    agents: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
  },
  strict: true,
});

const agents = Number(values.agents);
const concurrency = Number(values.concurrency);
for (const [name, value] of [['--agents', agents], ['--concurrency', concurrency]]) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`node_mint: ${name} '${value}' is invalid; pass a positive integer`);
    process.exit(2);
  }
}
for (const name of ['token-url', 'client-id', 'client-secret', 'ca-file']) {
  if (!values[name]) {
    console.error(`node_mint: --${name} is missing; pass it (see the usage at the top of node_mint.mjs)`);
    process.exit(2);
  }
}

const tokenUrl = new URL(values['token-url']);
if (tokenUrl.protocol !== 'https:' || !['127.0.0.1', '[::1]', 'localhost'].includes(tokenUrl.hostname)) {
  console.error(`node_mint: --token-url ${tokenUrl} is not an https loopback URL; pass https://127.0.0.1:PORT/...`);
  process.exit(2);
}
const htu = `${tokenUrl.origin}${tokenUrl.pathname}`;
const basic = Buffer.from(`${encodeURIComponent(values['client-id'])}:${encodeURIComponent(values['client-secret'])}`)
  .toString('base64');
const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(values['ca-file']) });

// proofFor builds an ES256 DPoP proof for the token endpoint with |key|.
function proofFor(key) {
  const claims = { jti: randomBytes(16).toString('base64url'), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) };
  const input = `${key.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { crv, kty, x, y } }))
    .toString('base64url');
  return { privateKey, header };
}

// requestToken resolves to the token response's token_type, or rejects with the reason.
function requestToken(key) {
  const body = 'grant_type=client_credentials';
  return new Promise((resolve, reject) => {
    const request = https.request(tokenUrl, {
      method: 'POST',
      agent,
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        dpop: proofFor(key),
      },
    }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) {
          reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
          return;
        }
        const parsed = JSON.parse(text);
        if (parsed.token_type !== 'DPoP') reject(new Error(`token_type ${parsed.token_type}, expected DPoP`));
        else resolve(parsed.token_type);
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function main() {
  // As with `dpopfleet mint`, the rate covers the token requests after key generation,
  // while the CPU time is the whole process's, key generation and start-up included.
  const keys = Array.from({ length: agents }, newKey);
  const start = process.hrtime.bigint();
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let firstError = null;

  async function worker() {
    while (next < agents) {
      const index = next++;
      try {
        await requestToken(keys[index]);
        succeeded++;
      } catch (error) {
        failed++;
        firstError ??= String(error.message ?? error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, agents) }, worker));

  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  agent.destroy();
  console.log(JSON.stringify({
    impl: 'node', agents, succeeded, failed, seconds,
    tokens_per_second: succeeded / seconds,
    cpu_seconds: cpuSeconds,
    cpu_ms_per_token: succeeded > 0 ? (cpuSeconds * 1000) / succeeded : null,
    first_error: firstError,
  }));
  process.exit(failed > 0 ? 1 : 0);
}

await main();
