// A storage adapter for oidc-provider that keeps every entry until its own expiry.
//
// The provider's built-in MemoryAdapter (oidc-provider 8.8.1, lib/adapters/memory_adapter.js)
// is one LRU of 1000 entries shared by all models. An opaque token and its proof's replay
// record take one entry each, so after about 500 token requests the LRU evicts replay records
// (model ReplayDetection) before their 300 s window ends, and a replayed proof is accepted.
// This adapter has no size limit. Entries leave only when they expire, checked on read and by
// a sweep once a minute. It lives in one process, and every provider in that process shares it.

const SWEEP_INTERVAL_MS = 60_000;

// entries maps "<model>:<id>" (and index keys such as "grant:<id>") to
// { value, expiresAt } where expiresAt is in milliseconds since the epoch or Infinity.
const entries = new Map();

function read(key) {
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt <= Date.now()) {
    entries.delete(key);
    return undefined;
  }
  return entry.value;
}

function write(key, value, expiresInSeconds) {
  const expiresAt = expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : Infinity;
  entries.set(key, { value, expiresAt });
}

setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of entries) {
    if (entry.expiresAt <= now) entries.delete(key);
  }
}, SWEEP_INTERVAL_MS).unref();

export default class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const members = read(grantKey) ?? [];
      members.push(key);
      write(grantKey, members, expiresIn);
    }
    if (payload.uid) write(`sessionUid:${payload.uid}`, id, expiresIn);
    if (payload.userCode) write(`userCode:${payload.userCode}`, id, expiresIn);
    write(key, payload, expiresIn);
  }

  async find(id) {
    return read(this.key(id));
  }

  async findByUid(uid) {
    const id = read(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = read(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = read(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    for (const key of read(grantKey) ?? []) entries.delete(key);
    entries.delete(grantKey);
  }
}
