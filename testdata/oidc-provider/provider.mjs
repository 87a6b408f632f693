// npm oidc-provider, an independent OpenID provider for the tests, over HTTPS on 127.0.0.1:
//   - the upstream login of scitokens-issuer: authorization code + PKCE for the confidential
//     client `scitokens-issuer`, ID tokens carrying preferred_username and groups;
//   - an issuer that `scitoken token` is tested against: the device flow for the public client
//     `cli` (refresh tokens with offline_access), client credentials for `svc`, revocation,
//     ES256 JWT access tokens for the resource https://storage.example.
// Its own development pages do the login (any username, any password) and the consent.
//
//   node provider.mjs CONFIG.json     (port, cert, key, rp_secret, rp_redirect_uri, svc_secret)
// Prints "listening" on stdout when ready.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const issuer = `https://127.0.0.1:${config.port}`;
const resource = 'https://storage.example';
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-es256', alg: 'ES256', use: 'sig' };

// The groups each test user is in; anyone else is in none.
const groups = { alice: ['cms'], carol: ['atlas'] };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'scitokens-issuer',
      client_secret: config.rp_secret,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [config.rp_redirect_uri],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    {
      client_id: 'cli',
      application_type: 'native',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
    {
      client_id: 'svc',
      client_secret: config.svc_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  jwks: { keys: [jwk] },
  claims: { openid: ['sub'], profile: ['preferred_username', 'groups'] },
  conformIdTokenClaims: false,
  scopes: ['openid', 'offline_access', 'profile'],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, groups: groups[id] ?? [] };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'storage.read:/data storage.create:/data/out',
        audience: resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  async issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
});
provider.proxy = false;

https
  .createServer({ cert: fs.readFileSync(config.cert), key: fs.readFileSync(config.key) }, provider.callback())
  .listen(config.port, '127.0.0.1', () => console.log('listening'));
