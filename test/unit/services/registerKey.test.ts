import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listKeys, parsePublicKey, registerKey, removeKey } from '../../../src/services/keys/registerKey.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { serviceHarness } from '../../support/serviceHarness.js';

// Fingerprints as `ssh-keygen -lf` printed them for these keys.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEcrPF1FNlO9q039oLdSWiej7W4J6NROyHJZgvkPOdFu alice@laptop';
const ED25519_FP = 'SHA256:GmcgAJBCHMSQ/+ypDzq7COF/IOBKFBvMN38yyJVYiWA';
const ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIY+EfO6qFn6iXUMwEiUs+dybN2/gLqixkx8ycYccCrm14cMHjTOrpDHFu6rBloDvibGV4Em+kPG37W2u9fqR0M= root@vm';
const ECDSA_FP = 'SHA256:ibG8Pe30+U7fcqL0ThZMTfklBPJYu2KDUnQ0pBQd8Ys';
const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDAgzzBvUqRFobl+ylfLTjol+up0iPshqEhhYUsKU0GJ/ceW5SVsw6ASqdESFLmICe0xCnmTgrOK5Kgp0Hw7lvrtOR4f8Ts4+BEJkkvwEg2ZGEQt2r8Q/P3EVZlpqsDOixeNdMaeYtvYci35z+H7T+jlNNngkDJD9hIOkbmNjTQSQ== root@vm';

const alice = { userId: 'alice', terminal: 'slack U01ALICE' };
const bob = { userId: 'bob', terminal: 'slack U01BOB' };

let store: SqliteStore;
let deps: ServiceDeps;
beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps } = await serviceHarness(store));
});
afterEach(async () => {
  await store.close();
});

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe('SSH public keys', () => {
  it('fingerprints like ssh-keygen', () => {
    expect(parsePublicKey(ED25519).fingerprint).toBe(ED25519_FP);
    expect(parsePublicKey(`  ${ECDSA}  `).fingerprint).toBe(ECDSA_FP);
  });

  it('refuses what is not a usable public key, saying what is wrong', () => {
    const problem = (text: string) => {
      try {
        parsePublicKey(text);
      } catch (error) {
        return (error as ServiceError).fields.key;
      }
      return 'accepted';
    };
    expect(problem('')).toBe('paste your public key, e.g. the contents of ~/.ssh/id_ed25519.pub');
    expect(problem('-----BEGIN OPENSSH PRIVATE KEY-----')).toMatch(/is a PRIVATE key/);
    expect(problem('ssh-ed25519 AAAA')).toMatch(/^is not an OpenSSH public key/);
    expect(problem(RSA_1024)).toBe('is an RSA key under 2048 bits; use ed25519 (ssh-keygen -t ed25519)');
    expect(problem(`${ED25519}\n${ECDSA}`)).toBe('must be one line (the .pub file)');
  });

  it('registers, lists and removes a user’s keys, audited, and a key belongs to one user', async () => {
    const key = await registerKey(deps, alice, ED25519);
    expect(key).toMatchObject({ user: 'alice', fingerprint: ED25519_FP, publicKey: ED25519 });
    const duplicate = await refusal(registerKey(deps, bob, ED25519));
    expect(duplicate).toMatchObject({ kind: 'conflict', message: `the key ${ED25519_FP} is registered already` });
    expect((await listKeys(deps, 'alice')).map((k) => k.fingerprint)).toEqual([ED25519_FP]);
    expect(await listKeys(deps, 'bob')).toEqual([]);

    expect(await refusal(removeKey(deps, bob, ED25519_FP))).toMatchObject({ kind: 'not_found' });
    expect(await refusal(removeKey(deps, alice, 'not-a-fingerprint'))).toMatchObject({ kind: 'invalid' });
    await removeKey(deps, alice, ED25519_FP);
    expect(await listKeys(deps, 'alice')).toEqual([]);

    const records = (await store.audit.list({})).records.filter((r) => r.class === 'SSH_KEY');
    expect(records.map((r) => [r.eventType, r.actor, r.status, r.object])).toEqual([
      ['CREATE', 'alice', 'S', ED25519_FP],
      ['CREATE', 'bob', 'D', ED25519_FP],
      ['DELETE', 'alice', 'S', ED25519_FP],
    ]);
  });
});
