// What the inspector's phone keeps, shared by the page (inspect.js) and its service worker
// (inspect-sw.js): IndexedDB stores for the outbox, the offline pack, drafts and the CSRF token,
// and the one function that sends the outbox. Every record keeps its own Idempotency-Key, so
// sending it twice (page and service worker at once, a lost answer, a reload) stores it once.
(function (root) {
  "use strict";

  const DB_NAME = "memorials-outbox";   // the name the first outbox used: its records survive
  const DB_VERSION = 2;
  const KEEP_SENT = 20;

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
        ["pack", "drafts", "meta"].forEach((name) => {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
        });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function run(store, mode, fn) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const t = db.transaction(store, mode);
        const req = fn(t.objectStore(store));
        t.oncomplete = () => resolve(req ? req.result : undefined);
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    } finally {
      db.close();
    }
  }

  const store = {
    get: (name, key) => run(name, "readonly", (s) => s.get(key)),
    put: (name, value, key) => run(name, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key))),
    del: (name, key) => run(name, "readwrite", (s) => s.delete(key)),
    all: (name) => run(name, "readonly", (s) => s.getAll()),
  };

  function stateOf(item) {
    return item.state || (item.error ? "refused" : "waiting");
  }

  // Write a record's new state unless another sender (the page, the service worker) has sent it meanwhile:
  // a sent record is never put back to waiting. One transaction reads and writes.
  function keep(item) {
    return run("outbox", "readwrite", (s) => {
      const req = s.get(item.key);
      req.onsuccess = () => {
        const current = req.result;
        if (!current || (stateOf(current) === "sent" && item.state !== "sent")) return;
        s.put(item);
      };
      return req;
    });
  }

  const FIELDS = {
    photos: "照片", "inspection.checklist": "检查项目", grade: "总体状况", unverified_reason: "未能定位的原因",
    "position.accuracy_m": "定位精度", facility_id: "设施", performed_at: "巡查时间", period: "所属月份",
    resolves: "整改确认", "Idempotency-Key": "提交编号",
  };

  function describe(detail) {
    if (!detail) return "";
    if (typeof detail === "string") return detail;
    return detail.map((d) => {
      const field = String((d.loc || []).slice(-1)[0] || "");
      const label = FIELDS[field] || (field.startsWith("photos[") ? "照片" : field.startsWith("checklist.") ? "检查项目" : "记录");
      return `${label}：${d.msg}`;
    }).join("；");
  }

  async function prune() {
    const sent = (await store.all("outbox")).filter((i) => stateOf(i) === "sent")
      .sort((a, b) => (b.sentAt || 0) - (a.sentAt || 0));
    for (const old of sent.slice(KEEP_SENT)) await store.del("outbox", old.key);
  }

  // Send every waiting record, oldest first. Returns {pending: true} when some must wait for the network.
  async function send(notify) {
    const say = notify || (() => {});
    const csrf = (await store.get("meta", "csrf")) || "";
    const user = (await store.get("meta", "user")) || "";
    let pending = false;
    const items = (await store.all("outbox")).sort((a, b) => a.created - b.created);
    for (const listed of items) {
      const item = await store.get("outbox", listed.key);   // fresh: the other sender may have sent it
      if (!item) continue;
      const state = stateOf(item);
      if (state === "sent" || state === "refused") continue;
      if (item.owner && item.owner !== user) continue;   // filed by someone else on this phone: sent when they sign in
      item.state = "sending";
      await keep(item);
      say();
      const form = new FormData();
      form.append("inspection", item.json);
      item.files.forEach((f) => form.append("photos", f.blob, f.name));
      let resp;
      try {
        resp = await fetch("/api/v1/inspections", {
          method: "POST", body: form, credentials: "same-origin",
          headers: { "Idempotency-Key": item.key, "X-CSRF-Token": csrf },
        });
      } catch (e) {
        item.state = "waiting";       // no network: keep it, try again later
        await keep(item);
        pending = true;
        break;
      }
      if (resp.ok) {
        const saved = await resp.json();
        item.state = "sent";
        item.files = [];
        item.sentAt = Date.now();
        item.signIn = false;
        item.result = {
          id: saved.id, photos: saved.photo_count, verified: saved.verified_count,
          opened: saved.defects_opened.length, resolved: saved.defects_resolved.length, proven: saved.verified,
        };
      } else if (resp.status === 401 || resp.status === 403) {
        item.state = "waiting";       // signed out: it stays on the phone until the inspector signs in
        item.signIn = true;
        pending = true;
      } else if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
        const body = await resp.json().catch(() => ({}));
        item.state = "refused";
        item.error = describe(body.detail) || `服务器未接受（${resp.status}）`;
      } else {
        item.state = "waiting";       // the server is struggling: later
        pending = true;
      }
      await keep(item);
      say();
      if (pending) break;
    }
    await prune();
    say();
    return { pending };
  }

  let running = null;
  function flush(notify) {
    if (!running) running = send(notify).finally(() => { running = null; });
    return running;
  }

  root.Outbox = { store, flush, stateOf, describe };
})(self);
