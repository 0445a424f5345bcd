// node-oidc-provider (oidc-provider 8.8.1, pinned by package-lock.json) configured as an
// independent DPoP authorization server for the interop tests.
//
//   node peer.mjs [--tls-cert FILE --tls-key FILE] [--require-nonce]
//
// It listens on 127.0.0.1 only: plain HTTP always, HTTPS when a certificate and key are
// given. Both ports are picked by the kernel, and each listener gets its own provider whose
// issuer is exactly the listener's origin, so discovery's "issuer" equals the URL a client
// fetched it from (RFC 8414 section 3.3). The two providers share one store, so a token
// issued over HTTP introspects over HTTPS too.
//
// When both listeners are up, stdout receives exactly one line of JSON: the issuers, ports,
// clients and resources (see the `ready` object below). Everything else, including the
// provider's own notices, goes to stderr. SIGTERM and SIGINT close the listeners and exit 0.
//
// Client secrets come from the environment (DPOPFLEET_PEER_SECRET_<CLIENT>, for example
// DPOPFLEET_PEER_SECRET_DPOP_JWT) or are random per run. They are printed on the ready line
// because the tests need them; they are valid only for this throwaway loopback peer.
//
// Facts about this peer that tests rely on (oidc-provider 8.8.1, lib/helpers/validate_dpop.js
// and lib/actions/grants/client_credentials.js):
// - "htu" must equal the token endpoint URL built from the request's scheme and Host header.
//   The peer drops the query and fragment of "htu" before comparing.
// - Any client that sends a valid proof gets a DPoP-bound token, with or without
//   dpop_bound_access_tokens. That flag only makes the proof mandatory.
// - "iat" must be within 300 s of the peer's clock unless the proof carries a valid nonce.
// - Replays are detected per client and "jti" for 300 s after the proof was accepted.
// - Token endpoint errors carry no WWW-Authenticate header; a required nonce is signalled by
//   400 {"error":"use_dpop_nonce"} with a DPoP-Nonce header.

import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

// The provider prints notices with console.info, but stdout is reserved for the ready line.
console.info = console.error;
console.log = console.error;

const { default: Provider, errors } = await import('oidc-provider');
const { default: MapAdapter } = await import('./map_adapter.mjs');

const HOST = '127.0.0.1';

// Resource indicators (RFC 8707). Tokens for the JWT resource are RFC 9068 JWTs signed with
// ES256, and DPoP-bound ones carry cnf.jkt. Tokens for the opaque resource, or with no resource
// at all, are opaque strings. Only opaque tokens can be introspected and revoked.
const JWT_RESOURCE = 'urn:dpopfleet:interop:jwt';
const OPAQUE_RESOURCE = 'urn:dpopfleet:interop:opaque';
const RESOURCE_SCOPE = 'agent';
const ACCESS_TOKEN_TTL_SECONDS = 600;

// Clients, all confidential with client_secret_basic and only the client_credentials grant.
// - dpop-jwt:    DPoP required; with no "resource" parameter it gets a JWT for JWT_RESOURCE.
// - dpop-opaque: DPoP required; with no "resource" parameter it gets an opaque token.
// - bearer:      DPoP optional; without a proof it gets an opaque Bearer token.
// Any client may also ask for either resource explicitly with the "resource" parameter.
const CLIENTS = [
  { id: 'dpop-jwt', dpopBound: true, defaultResource: JWT_RESOURCE },
  { id: 'dpop-opaque', dpopBound: true, defaultResource: undefined },
  { id: 'bearer', dpopBound: false, defaultResource: undefined },
];

function parseOptions() {
  const { values } = parseArgs({
    options: {
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'require-nonce': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new Error('peer: --tls-cert and --tls-key must be given together; pass both PEM files or neither');
  }
  return values;
}

function clientSecret(clientId) {
  const name = `DPOPFLEET_PEER_SECRET_${clientId.toUpperCase().replace(/-/g, '_')}`;
  return process.env[name] || randomBytes(24).toString('base64url');
}

function resourceServerInfo(resourceIndicator) {
  const common = {
    scope: RESOURCE_SCOPE,
    audience: resourceIndicator,
    accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
  };
  if (resourceIndicator === JWT_RESOURCE) {
    return { ...common, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
  }
  if (resourceIndicator === OPAQUE_RESOURCE) {
    return { ...common, accessTokenFormat: 'opaque' };
  }
  throw new errors.InvalidTarget(
    `unknown resource ${JSON.stringify(resourceIndicator)}; use ${JWT_RESOURCE} or ${OPAQUE_RESOURCE}`,
  );
}

function makeConfiguration({ clients, signingJwk, nonceSecret, requireNonce }) {
  const defaults = new Map(CLIENTS.map((c) => [c.id, c.defaultResource]));
  return {
    adapter: MapAdapter,
    // The peer sets no cookies in these flows; random keys keep the provider from warning.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [signingJwk] },
    clients: clients.map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      dpop_bound_access_tokens: c.dpopBound,
    })),
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    ttl: { ClientCredentials: ACCESS_TOKEN_TTL_SECONDS },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Any authenticated client may introspect any token. The tests introspect with the
        // client that obtained the token anyway.
        allowedPolicy: async () => true,
      },
      revocation: { enabled: true },
      dPoP: {
        enabled: true,
        // The secret is always set so that a proof with a stale iat gets use_dpop_nonce.
        nonceSecret,
        requireNonce: () => requireNonce,
        allowReplay: false,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client) => defaults.get(client.clientId),
        getResourceServerInfo: async (ctx, resourceIndicator) => resourceServerInfo(resourceIndicator),
        useGrantedResource: async () => false,
      },
    },
  };
}

// describe returns an OAuth error's code and reason. invalid_grant hides the reason from the
// client ("grant request is invalid") and keeps it in error_detail.
function describe(err) {
  const detail = err.error_detail ? ` (${err.error_detail})` : '';
  return `${err.error}: ${err.error_description}${detail}`;
}

function logProviderErrors(provider, label) {
  // One line per rejected request, with the client and the reason, never the request body.
  provider.on('grant.error', (ctx, err) => {
    const client = ctx.oidc?.client?.clientId ?? '-';
    console.error(`peer ${label}: token request from client ${client} rejected: ${describe(err)}`);
  });
  for (const event of ['introspection.error', 'revocation.error']) {
    provider.on(event, (ctx, err) => {
      console.error(`peer ${label}: ${event}: ${describe(err)}`);
    });
  }
  provider.on('server_error', (ctx, err) => {
    console.error(`peer ${label}: server error on ${ctx.method} ${ctx.path}: ${err.stack}`);
  });
}

// listen binds |server| to a kernel-picked port on HOST and resolves with that port.
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve(server.address().port));
  });
}

// serve starts one listener with its own provider. The provider is created after the port is
// known, because its issuer must contain the port.
async function serve({ scheme, tlsOptions, configuration }) {
  let handler = (req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const dispatch = (req, res) => handler(req, res);
  const server = scheme === 'https' ? https.createServer(tlsOptions, dispatch) : http.createServer(dispatch);
  const port = await listen(server);

  const issuer = `${scheme}://${HOST}:${port}`;
  const provider = new Provider(issuer, configuration);
  logProviderErrors(provider, scheme);
  handler = provider.callback();
  return { server, scheme, port, issuer };
}

function closeAll(listeners) {
  return Promise.all(listeners.map(({ server }) => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  })));
}

async function main() {
  const options = parseOptions();
  const clients = CLIENTS.map((c) => ({ ...c, secret: clientSecret(c.id) }));

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingJwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'peer-es256' };

  const configuration = makeConfiguration({
    clients,
    signingJwk,
    nonceSecret: randomBytes(32),
    requireNonce: options['require-nonce'],
  });

  const listeners = [await serve({ scheme: 'http', configuration })];
  if (options['tls-cert']) {
    const tlsOptions = { cert: readFileSync(options['tls-cert']), key: readFileSync(options['tls-key']) };
    listeners.push(await serve({ scheme: 'https', tlsOptions, configuration }));
  }

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`peer: ${signal} received, closing ${listeners.length} listener(s)`);
    const started = Date.now();
    await closeAll(listeners);
    console.error(`peer: listeners closed in ${Date.now() - started} ms; exiting`);
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const ready = {
    pid: process.pid,
    require_nonce: options['require-nonce'],
    http: null,
    https: null,
    token_path: '/token',
    introspection_path: '/token/introspection',
    revocation_path: '/token/revocation',
    resources: { jwt: JWT_RESOURCE, opaque: OPAQUE_RESOURCE },
    clients: Object.fromEntries(clients.map((c) => [c.id, {
      client_id: c.id,
      client_secret: c.secret,
      dpop_bound_access_tokens: c.dpopBound,
      default_resource: c.defaultResource ?? null,
    }])),
  };
  for (const { scheme, port, issuer } of listeners) {
    ready[scheme] = { issuer, port };
  }
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err) => {
  console.error(`peer: failed to start: ${err.stack}`);
  process.exit(1);
});
