// The certified OpenID Connect provider (the `oidc-provider` npm package) run for the tests.
//
//     node tests/oidc_provider/server.js PORT_FILE
//
// Binds a free port on 127.0.0.1 (the issuer is http://127.0.0.1:<port>), then writes the port
// to PORT_FILE, as core/testing/processes.py expects. The configuration is the package's
// default but for what a provider must be told:
//
// - Relying parties register through OpenID Connect Dynamic Client Registration (POST /reg),
//   as the tests do: no client is configured here.
// - Which claims the `email` and `profile` scopes stand for (OpenID Connect Core 5.4); by
//   default (conformIdTokenClaims) they are in UserInfo only, never in the ID token.
// - PKCE (S256, the only method the package offers) for every client, confidential ones too.
// - A fresh RS256 signing key at every start rather than the package's published dev key.
// - An account store (findAccount). The provider's own development login and consent pages
//   (devInteractions) sign in whoever types a login: every login is an account, its address
//   is the login, verified, and its name is made from the address ("eva.lund@..." -> "Eva Lund").
//
// The only control the tests have beyond the protocol is the JSON file named by
// OIDC_TEST_ACCOUNTS, read at every account lookup, whose entries change an account by login:
//   {"eva@example.org": {"claims": {"email_verified": false}}}   other claims
//   {"eva@example.org": {"at_userinfo": "ola@example.org"}}      see findAccount
//   {"eva@example.org": {"at_userinfo": null}}                   the account is gone at UserInfo
// Nothing here is for production: accounts have no passwords and everything lives in memory.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const [portFile] = process.argv.slice(2);
if (!portFile) {
  console.error('usage: node server.js PORT_FILE');
  process.exit(2);
}

function accountChanges() {
  const path = process.env.OIDC_TEST_ACCOUNTS;
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    throw error;
  }
}

function account(login) {
  const local = login.split('@')[0];
  const words = local.split(/[._-]+/).filter(Boolean);
  const standard = {
    email: login,
    email_verified: true,
    name: words.map((w) => w[0].toUpperCase() + w.slice(1)).join(' '),
    given_name: words[0] ? words[0][0].toUpperCase() + words[0].slice(1) : local,
    locale: 'sv-SE',
  };
  const claims = { ...standard, ...(accountChanges()[login]?.claims ?? {}) };
  return { accountId: login, claims: async () => ({ sub: login, ...claims }) };
}

// The provider looks the account up at sign-in, at the token request and at UserInfo. An entry's
// `at_userinfo` makes the account store answer the UserInfo request for another account, or for
// none: what a provider does when the account was merged into another or removed after the tokens
// were issued. The UserInfo response is then still the provider's own (its `sub` is always the
// account id the store returns), so the relying party meets a real `sub` that is not the ID
// token's, or a real 401, without a proxy or a hand-made response.
async function findAccount(ctx, id, token) {
  const change = accountChanges()[id] ?? {};
  if (token?.kind === 'AccessToken' && 'at_userinfo' in change) {
    return change.at_userinfo === null ? undefined : account(change.at_userinfo);
  }
  return account(id);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

const configuration = {
  features: { registration: { enabled: true } },
  claims: {
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'locale'],
  },
  pkce: { required: () => true },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount,
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
  server.on('request', provider.callback());
  writeFileSync(`${portFile}.partial`, String(port));
  renameSync(`${portFile}.partial`, portFile); // atomic: the tests never read half a port number
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
