// Measures how fast Node.js libraries build the DPoP proof dpopfleet builds: ES256, header
// {"typ":"dpop+jwt","alg":"ES256","jwk":…}, payload with jti, htm, htu, iat and optionally
// ath. Proofs are built one after another (awaited), so pin the process to one core with
// taskset to compare with a single-threaded dpopfleet run.
//
// Usage: node node_proof.mjs [seconds per case]
// Output: one JSON object per line: {"impl","case","proofs","seconds","proofs_per_second",
// "cpu_seconds","proofs_per_cpu_second"}; the CPU time is the whole process's (all threads).

import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as jose from 'jose';
import * as dpop from 'dpop';

const seconds = Number(process.argv[2] ?? 2);
if (!(seconds > 0)) {
  console.error(`invalid seconds '${process.argv[2]}': pass a positive number`);
  process.exit(2);
}

const htm = 'POST';
const htu = 'https://127.0.0.1:8443/realms/default/token';
const accessToken = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
const ath = createHash('sha256').update(accessToken).digest('base64url');

// measure runs build() until |seconds| have passed and prints the rate.
async function measure(impl, name, build) {
  await build();
  let proofs = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < limit) {
    for (let i = 0; i < 16; i++) await build();
    proofs += 16;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({
    impl, case: name, proofs, seconds: elapsed, proofs_per_second: proofs / elapsed,
    cpu_seconds: cpuSeconds, proofs_per_cpu_second: proofs / cpuSeconds,
  }));
}

function payload(withAth) {
  const claims = { jti: randomBytes(16).toString('base64url'), htm, htu, iat: Math.floor(Date.now() / 1000) };
  if (withAth) claims.ath = ath;
  return claims;
}

// node:crypto by hand: the header is encoded once per key, as dpopfleet does.
function handWrittenBuilder(privateKey, publicJwk) {
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })).toString('base64url');
  return (withAth) => {
    const input = `${header}.${Buffer.from(JSON.stringify(payload(withAth))).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };
}

function nodeKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return { privateKey, publicJwk: { crv, kty, x, y } };
}

async function joseProof(privateKey, publicJwk, withAth) {
  return new jose.SignJWT(payload(withAth))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
    .sign(privateKey);
}

async function main() {
  const { privateKey, publicJwk } = nodeKeyPair();
  const handWritten = handWrittenBuilder(privateKey, publicJwk);
  await measure('node:crypto', 'reused_key', () => handWritten(false));
  await measure('node:crypto', 'reused_key_ath', () => handWritten(true));
  await measure('node:crypto', 'fresh_key', () => {
    const fresh = nodeKeyPair();
    return handWrittenBuilder(fresh.privateKey, fresh.publicJwk)(false);
  });

  const joseKeys = await jose.generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await jose.exportJWK(joseKeys.publicKey);
  const joseJwk = { crv, kty, x, y };
  await measure('jose', 'reused_key', () => joseProof(joseKeys.privateKey, joseJwk, false));
  await measure('jose', 'reused_key_ath', () => joseProof(joseKeys.privateKey, joseJwk, true));
  await measure('jose', 'fresh_key', async () => {
    const fresh = await jose.generateKeyPair('ES256', { extractable: true });
    const jwk = await jose.exportJWK(fresh.publicKey);
    return joseProof(fresh.privateKey, { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }, false);
  });

  const dpopKeys = await dpop.generateKeyPair('ES256');
  await measure('dpop', 'reused_key', () => dpop.generateProof(dpopKeys, htu, htm));
  await measure('dpop', 'reused_key_ath', () => dpop.generateProof(dpopKeys, htu, htm, undefined, accessToken));
  await measure('dpop', 'fresh_key', async () => dpop.generateProof(await dpop.generateKeyPair('ES256'), htu, htm));
}

await main();
