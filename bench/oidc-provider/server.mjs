// npm oidc-provider configured as close to scitokens-issuer's benchmark set-up as it allows:
// client_credentials with HTTP Basic, ES256-signed JWT access tokens for one resource (audience)
// with one scope, over HTTPS with the same certificate, one worker per core (node:cluster).
//
//   node server.mjs PORT CERT_FILE KEY_FILE CLIENT_SECRET
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';

const [port, certFile, keyFile, secret] = process.argv.slice(2);

if (cluster.isPrimary) {
  // One signing key for every worker.
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };
  const workers = os.availableParallelism();
  for (let i = 0; i < workers; i += 1) {
    cluster.fork({ BENCH_JWK: JSON.stringify(jwk) });
  }
} else {
  const { default: Provider } = await import('oidc-provider');
  const jwk = JSON.parse(process.env.BENCH_JWK);
  const issuer = `https://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'bench',
      client_secret: secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    }],
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    jwks: { keys: [jwk] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'https://storage.example',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'storage.read:/data',
          audience: 'https://storage.example',
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
    provider.callback()).listen(Number(port), '127.0.0.1');
}
