// The inspector's page: nearest facilities, checklist, photos, and an outbox
// that survives a dead network. Every submission is kept in IndexedDB with its
// own Idempotency-Key until the server has answered it; sending it again (after
// a timeout, a reload or the network coming back) stores it only once.
(function () {
  "use strict";

  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const CRS = document.querySelector('meta[name="position-crs"]').content || "wgs84";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  let here = null;          // latest phone position {longitude, latitude, accuracy_m}
  let facility = null;      // the chosen facility
  let photoPositions = [];  // phone position when each photo was chosen

  // ---- identifiers ----------------------------------------------------------
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // ---- the outbox (IndexedDB) -----------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("memorials-outbox", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("outbox", { keyPath: "key" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function tx(mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction("outbox", mode);
      const result = fn(t.objectStore("outbox"));
      t.oncomplete = () => resolve(result && result.result !== undefined ? result.result : result);
      t.onerror = () => reject(t.error);
    });
  }
  const outboxPut = (item) => tx("readwrite", (s) => s.put(item));
  const outboxDelete = (key) => tx("readwrite", (s) => s.delete(key));
  const outboxAll = () => tx("readonly", (s) => s.getAll());

  async function showOutbox() {
    const items = await outboxAll();
    const box = $("#outbox");
    const waiting = items.filter((i) => !i.error);
    const failed = items.filter((i) => i.error);
    const lines = [];
    if (waiting.length) lines.push(`有 ${waiting.length} 条巡查记录保存在手机上，网络恢复后自动提交。`);
    failed.forEach((i) => lines.push(`“${i.facilityName}”的记录未被接受：${i.error}`));
    box.textContent = lines.join(" ");
    box.hidden = lines.length === 0;
    box.dataset.waiting = String(waiting.length);
  }

  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (const item of await outboxAll()) {
        if (item.error) continue;
        const form = new FormData();
        form.append("inspection", item.json);
        item.files.forEach((f) => form.append("photos", f.blob, f.name));
        let resp;
        try {
          resp = await fetch("/api/v1/inspections", {
            method: "POST", body: form, credentials: "same-origin",
            headers: { "Idempotency-Key": item.key, "X-CSRF-Token": CSRF },
          });
        } catch (e) {
          break;  // no network: keep everything, try again later
        }
        if (resp.ok) {
          const saved = await resp.json();
          await outboxDelete(item.key);
          announceSent(item, saved);
        } else if (resp.status === 401 || resp.status === 403) {
          showSignIn();  // the record stays in the outbox until the inspector signs in again
          return;
        } else if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
          const body = await resp.json().catch(() => ({}));
          item.error = describe(body.detail) || `错误 ${resp.status}`;
          await outboxPut(item);
        } else {
          break;  // the server is struggling: retry later
        }
      }
    } finally {
      flushing = false;
      await showOutbox();
    }
  }

  function describe(detail) {
    if (!detail) return "";
    if (typeof detail === "string") return detail;
    return detail.map((d) => `${(d.loc || []).slice(-1)[0]}: ${d.msg}`).join("；");
  }

  function showSignIn() {
    const box = $("#outbox");
    box.innerHTML = "";
    const a = document.createElement("a");
    a.href = "/login?next=/inspect";
    a.textContent = "登录已过期，点此重新登录（未提交的记录仍保存在手机上）";
    box.appendChild(a);
    box.hidden = false;
  }

  function announceSent(item, saved) {
    if ($("#step-done").hidden) return;
    if ($("#step-done").dataset.key !== item.key) return;
    $("#done-title").textContent = "已提交";
    $("#done-text").textContent =
      `${saved.facility_name}：照片 ${saved.photo_count} 张，位置已核验 ${saved.verified_count} 张` +
      (saved.defects_opened.length ? `，新增整改项 ${saved.defects_opened.length} 项。` : "。");
  }

  // ---- position and nearest facilities -------------------------------------
  function watchPosition() {
    if (!navigator.geolocation) { noPosition("此浏览器不能定位"); return; }
    navigator.geolocation.watchPosition(
      (p) => {
        const first = here === null;
        here = { longitude: p.coords.longitude, latitude: p.coords.latitude, crs: CRS,
                 accuracy_m: Math.round(p.coords.accuracy || 0) };
        if (first) loadNearby();
      },
      (e) => noPosition(e.message || "无法获取位置"),
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 },
    );
  }

  function noPosition(reason) {
    $("#locating").textContent = `无法获取手机位置（${reason}），请按名称查找设施。`;
    $("#search").hidden = false;
  }

  async function loadNearby(q) {
    const params = new URLSearchParams({ limit: "8", status: "in_use,under_repair" });
    if (here && !q) params.set("near", `${here.longitude},${here.latitude}`);
    if (q) params.set("q", q);
    let page;
    try {
      const resp = await fetch(`/api/v1/facilities?${params}`, { credentials: "same-origin" });
      if (resp.status === 401) { showSignIn(); return; }
      page = await resp.json();
    } catch (e) {
      $("#locating").textContent = "网络不通，暂时无法列出设施。";
      return;
    }
    $("#locating").textContent = here && !q ? "离你最近的纪念设施：" : "查找结果：";
    $("#search").hidden = false;
    const list = $("#nearby");
    list.innerHTML = "";
    page.items.forEach((f) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "pick";
      b.dataset.id = f.id;
      b.textContent = f.name;
      if (f.distance_m != null) {
        const d = document.createElement("span");
        d.className = "dist";
        d.textContent = f.distance_m < 1000 ? `${Math.round(f.distance_m)} 米` : `${(f.distance_m / 1000).toFixed(1)} 公里`;
        b.appendChild(d);
      }
      b.addEventListener("click", () => choose(f));
      li.appendChild(b);
      list.appendChild(li);
    });
    if (!page.items.length) list.innerHTML = "<li class='muted'>没有找到设施</li>";
  }

  async function choose(f) {
    facility = f;
    photoPositions = [];
    const form = $("#step-check");
    form.reset();
    $$(".note", form).forEach((n) => { n.hidden = true; });
    $("#photo-list").innerHTML = "";
    $("#form-error").hidden = true;
    $("#facility-name").textContent = f.name;
    $("#facility-distance").textContent = f.distance_m != null ? `距你约 ${Math.round(f.distance_m)} 米` : "";
    $("#step-pick").hidden = true;
    form.hidden = false;
    $("#open-defects").hidden = true;
    try {
      const resp = await fetch(`/api/v1/defects?facility_id=${f.id}&status=open`, { credentials: "same-origin" });
      const page = await resp.json();
      const list = $("#defect-list");
      list.innerHTML = "";
      page.items.forEach((d) => {
        const li = document.createElement("li");
        li.innerHTML = `<label class="choice"><input type="checkbox" name="resolves" value="${d.id}"> </label>`;
        li.querySelector("label").append(`${d.description}（限 ${d.deadline} 前）`);
        list.appendChild(li);
      });
      $("#open-defects").hidden = page.items.length === 0;
    } catch (e) { /* offline: nothing to confirm */ }
  }

  // ---- the form --------------------------------------------------------------
  function onChecklistChange(e) {
    if (e.target.type !== "radio") return;
    const row = e.target.closest(".check");
    $(".note", row).hidden = e.target.value !== "problem";
  }

  function onPhotos(e) {
    const files = Array.from(e.target.files || []);
    photoPositions = files.map(() => (here ? Object.assign({}, here) : null));
    $("#photo-list").innerHTML = files.map((f) => `<li>${f.name.replace(/[<>&]/g, "")} · ${(f.size / 1048576).toFixed(1)} MB</li>`).join("");
  }

  async function onSubmit(e) {
    e.preventDefault();
    const form = e.target;
    const checklist = {};
    $$(".check", form).forEach((row) => {
      const key = row.dataset.item;
      const result = $(`input[name="c-${key}"]:checked`, form).value;
      const note = $(`input[name="n-${key}"]`, form).value.trim();
      checklist[key] = result === "problem" ? { result, note } : { result: "ok" };
    });
    const files = Array.from(form.photos.files || []);
    const inspection = {
      facility_id: facility.id,
      level: form.level.value,
      performed_at: new Date().toISOString(),
      checklist,
      grade: form.grade.value,
      notes: form.notes.value.trim(),
      position: here,
      photos: files.map((_, i) => ({ position: photoPositions[i] || here })),
      resolves: $$('input[name="resolves"]:checked', form).map((c) => Number(c.value)),
    };
    const item = {
      key: newKey(),
      json: JSON.stringify(inspection),
      files: files.map((f) => ({ name: f.name, blob: f })),
      facilityName: facility.name,
      created: Date.now(),
      error: null,
    };
    await outboxPut(item);
    form.hidden = true;
    const done = $("#step-done");
    done.dataset.key = item.key;
    done.hidden = false;
    $("#done-title").textContent = "已保存在手机上";
    $("#done-text").textContent = "正在提交…如果没有网络，记录会在网络恢复后自动提交，不会重复。";
    if (!navigator.onLine) $("#done-text").textContent = "当前没有网络，记录已保存在手机上，等待网络恢复后自动提交。";
    await showOutbox();
    flush();
  }

  function backToList() {
    $("#step-check").hidden = true;
    $("#step-done").hidden = true;
    $("#step-pick").hidden = false;
    loadNearby();
  }

  // ---- start -----------------------------------------------------------------
  $("#step-check").addEventListener("change", onChecklistChange);
  $("#step-check").photos.addEventListener("change", onPhotos);
  $("#step-check").addEventListener("submit", onSubmit);
  $("#back").addEventListener("click", backToList);
  $("#again").addEventListener("click", backToList);
  $("#search").addEventListener("submit", (e) => { e.preventDefault(); loadNearby(e.target.q.value.trim()); });
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  showOutbox().then(flush);
  watchPosition();
})();
