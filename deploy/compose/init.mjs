// First step of the demo stack, as root: creates the encryption key and an admin token on the
// "keys" volume (kept on later starts: the key opens what the first start sealed), seeds
// Alertmanager's file until its sidecar replaces it, and hands every shared volume to uid 1000,
// the user AlertAgent, its sidecars, Alertmanager and Prometheus run as here.
import { randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';

const OWNER = 1000;
const created = [];
function once(path, make) {
  if (existsSync(path)) return console.log(`init: ${path} kept`);
  make(path);
  created.push(path);
  console.log(`init: ${path} created`);
}

once('/keys/encryption-key', (p) => writeFileSync(p, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 }));
once('/keys/admin-token', (p) => writeFileSync(p, `demo-admin-${randomBytes(24).toString('hex')}\n`, { mode: 0o600 }));
once('/am-config/alertmanager.yml', (p) => copyFileSync('/stack/alertmanager-seed.yml', p));
mkdirSync('/prom-rules', { recursive: true });
for (const path of ['/keys', '/keys/encryption-key', '/keys/admin-token', '/am-config', '/am-config/alertmanager.yml', '/am-data', '/prom-rules', '/prom-data']) chownSync(path, OWNER, OWNER);
console.log(`init: done (${created.length} created)`);
