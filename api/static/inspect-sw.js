// The inspector page's service worker (served at /inspect-sw.js, scope /inspect).
// It keeps the page and its files in a cache named after their version (a new version
// replaces the old cache), answers /inspect from that cache when there is no network,
// and sends the outbox when the network returns (Background Sync where the browser has
// it; otherwise the page sends it the next time it opens).
importScripts("/static/app/inspect-outbox.js");

const VERSION = "__VERSION__";
const CACHE = `inspect-${VERSION}`;
const PAGE = "/inspect";
const OFFLINE = "/static/app/offline.html";
const FILES = ["/static/app/app.css", "/static/app/inspect.js", "/static/app/inspect-outbox.js",
               "/static/app/favicon.svg", OFFLINE, "/inspect.webmanifest"];

async function keepPage(cache) {
  try {
    const resp = await fetch(PAGE, { credentials: "same-origin" });
    if (resp.ok && !resp.redirected) await cache.put(PAGE, resp);
  } catch (e) { /* offline or signed out: the page caches itself when it next loads */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then(async (cache) => {
    await cache.addAll(FILES);
    await keepPage(cache);
  }).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("inspect-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const resp = await fetch(request);
    if (resp.ok && !resp.redirected && new URL(resp.url).pathname === PAGE) await cache.put(PAGE, resp.clone());
    return resp;
  } catch (e) {
    return (await cache.match(PAGE)) || (await cache.match(OFFLINE));
  }
}

async function other(request) {
  try {
    return await fetch(request);
  } catch (e) {
    return (await caches.match(OFFLINE, { cacheName: CACHE })) || Response.error();
  }
}

async function file(request) {
  const cached = await caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || event.request.method !== "GET") return;
  if (event.request.mode === "navigate") {
    event.respondWith(url.pathname === PAGE ? page(event.request) : other(event.request));
  } else if (FILES.includes(url.pathname)) {
    event.respondWith(file(event.request));
  }
});

async function tellPages() {
  const pages = await self.clients.matchAll({ type: "window" });
  pages.forEach((client) => client.postMessage({ type: "outbox" }));
}

async function sendOutbox() {
  const result = await self.Outbox.flush(tellPages);
  if (result.pending) throw new Error("outbox: network still down, retry later");  // Background Sync retries
}

self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") event.waitUntil(sendOutbox());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "flush") event.waitUntil(self.Outbox.flush(tellPages).catch(() => {}));
});
