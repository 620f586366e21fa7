// The inspector's page: nearest facilities (from the pack kept on the phone), an honest
// checklist, photos one after another, and an outbox that survives a dead network and a
// closed page. The page, its files and the pack are kept on the phone (inspect-sw.js,
// IndexedDB): it opens and files a patrol with no signal at all.
(function () {
  "use strict";

  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";
  const CSRF = meta("csrf-token");
  const INSPECTOR = meta("inspector");
  const CRS = meta("position-crs") || "wgs84";
  const PHOTO_LEVELS = meta("photo-levels").split(",").filter(Boolean);
  const MAX_ACCURACY = Number(meta("max-accuracy")) || 100;
  const GRADES = ["good", "fair", "poor", "critical"];
  const { store, flush, stateOf } = window.Outbox;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const form = $("#step-check");

  let here = null;          // latest phone position {longitude, latitude, crs, accuracy_m}
  let positionError = "";
  let pack = null;          // {data, savedAt} from the server, kept on the phone
  let facility = null;      // the chosen facility (from the pack)
  let photos = [];          // [{blob, name, position, item, url}]
  let gradeRaised = false;  // the inspector chose a grade worse than the problems imply

  // ---- identifiers ------------------------------------------------------------
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  function clockTime(ms) {
    const d = new Date(ms);
    return `${d.getMonth() + 1}月${d.getDate()}日 ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  // ---- service worker and background sending ---------------------------------
  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return null;
    try {
      await navigator.serviceWorker.register("/inspect-sw.js", { scope: "/inspect" });
      navigator.serviceWorker.addEventListener("message", (e) => {
        if (e.data && e.data.type === "outbox") showOutbox();
      });
      return await navigator.serviceWorker.ready;
    } catch (e) {
      return null;
    }
  }

  async function askForSync() {
    try {
      const reg = await navigator.serviceWorker.ready;
      if (reg.sync) await reg.sync.register("outbox");   // Chromium: sent even if the page is closed
    } catch (e) { /* no Background Sync: the page sends it when it next opens */ }
  }

  function send() {
    return flush(showOutbox).then((r) => { if (!r.pending) refreshPack(); return r; }).catch(() => ({ pending: true }));
  }

  // ---- the outbox on screen ----------------------------------------------------
  const STATE_LABELS = { waiting: "等待网络", sending: "正在提交", sent: "已提交", refused: "未被接受" };

  async function showOutbox() {
    const items = (await store.all("outbox")).sort((a, b) => b.created - a.created);
    const list = $("#outbox-list");
    list.innerHTML = "";
    const waiting = items.filter((i) => ["waiting", "sending"].includes(stateOf(i)));
    const shown = items.filter((i) => stateOf(i) !== "sent").concat(items.filter((i) => stateOf(i) === "sent").slice(0, 5));
    shown.forEach((item) => {
      const state = stateOf(item);
      const li = document.createElement("li");
      li.className = `out-${state}`;
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = STATE_LABELS[state];
      li.append(tag, ` ${item.facilityName} · ${clockTime(item.created)}`);
      const detail = document.createElement("div");
      detail.className = "muted";
      if (state === "sent" && item.result) {
        detail.textContent = `照片 ${item.result.photos} 张，位置已核验 ${item.result.verified} 张` +
          (item.result.proven ? "" : "，未核验位置") + (item.result.resolved ? `，确认整改 ${item.result.resolved} 项` : "");
      } else if (state === "refused") {
        detail.textContent = item.error || "";
      } else if (item.signIn) {
        const a = document.createElement("a");
        a.href = "/login?next=/inspect";
        a.textContent = "登录已过期，点此重新登录（记录仍保存在手机上）";
        detail.appendChild(a);
      } else {
        detail.textContent = `照片 ${item.files.length} 张，网络恢复后自动提交，不会重复`;
      }
      li.appendChild(detail);
      list.appendChild(li);
    });
    $("#outbox").hidden = shown.length === 0;
    $("#outbox").dataset.waiting = String(waiting.length);
    const done = $("#step-done");
    const mine = items.find((i) => i.key === done.dataset.key);
    if (!done.hidden && mine && stateOf(mine) === "sent") {
      $("#done-title").textContent = "已提交";
      $("#done-text").textContent = `${mine.facilityName}：照片 ${mine.result.photos} 张，位置已核验 ${mine.result.verified} 张` +
        (mine.result.opened ? `，新增整改项 ${mine.result.opened} 项` : "") +
        (mine.result.resolved ? `，确认已整改 ${mine.result.resolved} 项` : "") + "。";
    } else if (!done.hidden && mine && stateOf(mine) === "refused") {
      $("#done-title").textContent = "未被接受";
      $("#done-text").textContent = mine.error || "";
    }
  }

  // ---- the pack: facilities of the jurisdiction, kept on the phone -----------------
  async function refreshPack() {
    try {
      const resp = await fetch("/api/v1/patrol-pack", { credentials: "same-origin" });
      if (resp.ok) {
        pack = { data: await resp.json(), savedAt: Date.now() };
        await store.put("pack", pack, "pack");
        if (!$("#step-pick").hidden) showNearby($("#search").q.value.trim());
      }
    } catch (e) { /* offline: keep what the phone has */ }
    showPackState();
    return pack;
  }

  async function loadPack() {
    pack = (await store.get("pack", "pack")) || null;
    showPackState();
    if (navigator.onLine !== false) await refreshPack();
  }

  function showPackState() {
    const el = $("#pack-state");
    if (!pack) { el.textContent = "手机上还没有设施资料，请在有网络时打开本页一次。"; return; }
    el.textContent = `手机上已保存 ${pack.data.facilities.length} 处设施的资料（${clockTime(pack.savedAt)} 更新）。`;
  }

  // ---- position and the nearby list ----------------------------------------------
  const GEO_ERRORS = { 1: "未允许本页使用手机定位", 2: "手机暂时无法定位", 3: "定位超时" };

  function watchPosition() {
    if (!navigator.geolocation) { noPosition("此浏览器不能定位"); return; }
    navigator.geolocation.watchPosition(
      (p) => {
        const first = here === null;
        here = { longitude: p.coords.longitude, latitude: p.coords.latitude, crs: CRS,
                 accuracy_m: Math.round(p.coords.accuracy || 0) };
        positionError = "";
        if (first) showNearby();
        showPosition();
      },
      (e) => noPosition(GEO_ERRORS[e.code] || "无法获取位置"),
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 },
    );
  }

  function noPosition(reason) {
    positionError = reason;
    $("#locating").textContent = `无法获取手机位置（${reason}），请按名称查找设施。`;
    showNearby();
    showPosition();
  }

  function metres(a, b) {
    const rad = Math.PI / 180;
    const dLat = (b.latitude - a.latitude) * rad;
    const dLon = (b.longitude - a.longitude) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  function distanceText(m) {
    return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`;
  }

  function showNearby(query) {
    const list = $("#nearby");
    list.innerHTML = "";
    if (!pack) return;
    let rows = pack.data.facilities.map((f) => ({ f, d: here ? metres(here, f) : null }));
    if (query) rows = rows.filter((r) => r.f.name.includes(query) || r.f.code.includes(query));
    if (here) rows.sort((a, b) => a.d - b.d);
    rows = rows.slice(0, query ? 30 : 8);
    if (here && !query) $("#locating").textContent = "离你最近的纪念设施：";
    else if (query) $("#locating").textContent = "查找结果：";
    rows.forEach(({ f, d }) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "pick";
      b.dataset.id = f.id;
      b.textContent = f.name;
      if (d !== null) {
        const span = document.createElement("span");
        span.className = "dist";
        span.textContent = distanceText(d);
        b.appendChild(span);
      }
      const sub = document.createElement("span");
      sub.className = "sub";
      if (f.patrolled_this_month) {
        const tag = document.createElement("span");
        tag.className = "tag ok";
        tag.textContent = "本月已巡查";
        sub.appendChild(tag);
      } else {
        sub.append(f.last_patrol ? `上次巡查 ${f.last_patrol}` : "尚无巡查记录");
      }
      if (f.open_defects.length) {
        const tag = document.createElement("span");
        tag.className = "tag warn";
        tag.textContent = `待整改 ${f.open_defects.length} 项`;
        sub.append(" ", tag);
      }
      b.appendChild(sub);
      b.addEventListener("click", () => choose(f, d));
      li.appendChild(b);
      list.appendChild(li);
    });
    if (!rows.length) list.innerHTML = "<li class='muted'>没有找到设施</li>";
  }

  function showPosition() {
    const state = $("#position-state");
    const confirm = $("#accuracy-confirm");
    const reason = $("#unverified");
    if (here) {
      state.textContent = `手机定位精度约 ${here.accuracy_m} 米。`;
      confirm.hidden = here.accuracy_m <= MAX_ACCURACY;
      $("span", confirm).textContent = `定位精度较差（约 ${here.accuracy_m} 米，超过 ${MAX_ACCURACY} 米），我确认人在现场`;
      reason.hidden = true;
    } else {
      state.textContent = positionError ? `无法获取手机位置（${positionError}）。` : "正在获取手机位置…";
      confirm.hidden = true;
      reason.hidden = !positionError;
    }
  }

  // ---- the checklist, grade and photos ----------------------------------------------
  function answers() {
    const out = {};
    $$(".check", form).forEach((row) => {
      const key = row.dataset.item;
      const picked = $(`input[name="c-${key}"]:checked`, form);
      out[key] = picked ? { result: picked.value, note: $(`input[name="n-${key}"]`, form).value.trim() } : null;
    });
    return out;
  }

  function impliedGrade(given) {
    const rows = $$(".check", form).filter((r) => given[r.dataset.item] && given[r.dataset.item].result === "problem");
    if (!rows.length) return "good";
    const severities = rows.map((r) => r.dataset.minSeverity || "low");
    if (severities.includes("critical")) return "critical";
    if (severities.includes("high") || rows.length >= 4) return "poor";
    return "fair";
  }

  function proposeGrade() {
    const least = impliedGrade(answers());
    const select = form.grade;
    Array.from(select.options).forEach((o) => { o.disabled = GRADES.indexOf(o.value) < GRADES.indexOf(least); });
    if (!gradeRaised || GRADES.indexOf(select.value) < GRADES.indexOf(least)) {
      select.value = least;
      gradeRaised = false;
    }
    const label = select.options[select.selectedIndex].textContent;
    $("#grade-hint").textContent = `按所勾选的问题，总体状况至少为“${select.querySelector(`option[value="${least}"]`).textContent}”，可以选得更差，不能更好。当前：${label}`;
  }

  function problemItems() {
    const given = answers();
    return $$(".check", form).filter((r) => given[r.dataset.item] && given[r.dataset.item].result === "problem")
      .map((r) => ({ key: r.dataset.item, label: r.dataset.label }));
  }

  function showPhotos() {
    const list = $("#photo-list");
    list.innerHTML = "";
    const items = problemItems();
    photos.forEach((p, index) => {
      if (!p.url) p.url = URL.createObjectURL(p.blob);
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.src = p.url;
      img.alt = `第 ${index + 1} 张照片`;
      const info = document.createElement("span");
      info.className = "muted";
      const size = p.blob.size >= 1048576 ? `${(p.blob.size / 1048576).toFixed(1)} 兆字节` : `${Math.ceil(p.blob.size / 1024)} 千字节`;
      info.textContent = `第 ${index + 1} 张 · ${size}`;
      const select = document.createElement("select");
      select.setAttribute("aria-label", "照片对应的问题");
      select.append(new Option("不对应具体问题", ""));
      items.forEach((it) => select.append(new Option(`对应问题：${it.label}`, it.key)));
      if (!items.some((it) => it.key === p.item)) p.item = "";
      select.value = p.item || "";
      select.addEventListener("change", () => { p.item = select.value; saveDraft(); });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "删除";
      remove.addEventListener("click", () => {
        URL.revokeObjectURL(p.url);
        photos.splice(index, 1);
        showPhotos();
        saveDraft();
      });
      li.append(img, info, select, remove);
      list.appendChild(li);
    });
    list.dataset.count = String(photos.length);
  }

  function onPhotos(e) {
    Array.from(e.target.files || []).forEach((f) => {
      photos.push({ blob: f, name: f.name, position: here ? Object.assign({}, here) : null, item: "" });
    });
    e.target.value = "";      // the next shot adds to these, never replaces them
    showPhotos();
    saveDraft();
  }

  // ---- drafts -------------------------------------------------------------------------
  async function saveDraft() {
    if (!facility) return;
    const draft = {
      level: form.level.value, grade: form.grade.value, gradeRaised, notes: form.notes.value,
      answers: answers(), resolves: $$('input[name="resolves"]:checked', form).map((c) => Number(c.value)),
      reason: form.unverified_reason.value, savedAt: Date.now(),
      photos: photos.map((p) => ({ blob: p.blob, name: p.name, position: p.position, item: p.item })),
    };
    try { await store.put("drafts", draft, facility.id); } catch (e) { /* storage full: the form still works */ }
  }

  function restoreDraft(draft) {
    form.level.value = draft.level;
    Object.entries(draft.answers || {}).forEach(([key, a]) => {
      if (!a) return;
      const radio = $(`input[name="c-${key}"][value="${a.result}"]`, form);
      if (radio) radio.checked = true;
      const note = $(`input[name="n-${key}"]`, form);
      if (note) { note.value = a.note || ""; note.hidden = a.result !== "problem"; }
    });
    (draft.resolves || []).forEach((id) => {
      const box = $(`input[name="resolves"][value="${id}"]`, form);
      if (box) box.checked = true;
    });
    form.notes.value = draft.notes || "";
    form.unverified_reason.value = draft.reason || "";
    photos = (draft.photos || []).map((p) => Object.assign({}, p));
    gradeRaised = !!draft.gradeRaised;
    proposeGrade();
    if (gradeRaised) form.grade.value = draft.grade;
    proposeGrade();
    $("#draft-note").hidden = false;
  }

  // ---- choosing a facility ----------------------------------------------------------------
  async function choose(f, distance) {
    facility = f;
    photos = [];
    gradeRaised = false;
    form.reset();
    $$(".note", form).forEach((n) => { n.hidden = true; });
    $$(".check", form).forEach((r) => r.classList.remove("missing"));
    $("#form-error").hidden = true;
    $("#draft-note").hidden = true;
    $("#facility-name").textContent = f.name;
    $("#facility-distance").textContent = distance != null ? `距你约 ${distanceText(distance)}` : "";
    const list = $("#defect-list");
    list.innerHTML = "";
    f.open_defects.forEach((d) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      label.className = "choice";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "resolves";
      box.value = String(d.id);
      label.append(box, ` 已整改：${d.description}（限 ${d.deadline} 前）`);
      li.appendChild(label);
      list.appendChild(li);
    });
    $("#open-defects").hidden = f.open_defects.length === 0;
    const draft = await store.get("drafts", f.id).catch(() => null);
    if (draft) restoreDraft(draft); else proposeGrade();
    showPhotos();
    showPosition();
    $("#step-pick").hidden = true;
    $("#step-done").hidden = true;
    form.hidden = false;
    window.scrollTo(0, 0);
  }

  // ---- submitting -------------------------------------------------------------------------
  function problemsBeforeSending(given) {
    const errors = [];
    const missing = $$(".check", form).filter((r) => !given[r.dataset.item]);
    $$(".check", form).forEach((r) => r.classList.toggle("missing", missing.includes(r)));
    if (missing.length) {
      errors.push(`还有 ${missing.length} 项未选择：${missing.map((r) => r.dataset.label).join("、")}。每一项都须选择。`);
    }
    if (PHOTO_LEVELS.includes(form.level.value) && photos.length === 0) {
      errors.push(`${form.level.options[form.level.selectedIndex].textContent}至少需要一张现场照片。`);
    }
    if (here && here.accuracy_m > MAX_ACCURACY && !form.accuracy_confirmed.checked) {
      errors.push("手机定位精度较差：请稍候再试，或勾选“我确认人在现场”。");
    }
    if (!here && !form.unverified_reason.value) {
      errors.push(positionError ? "没有手机位置：请选择未能定位的原因。" : "正在获取手机位置，请稍候；如无法定位，请选择原因。");
      if (!positionError) { positionError = "尚未定位"; showPosition(); }
    }
    return errors;
  }

  async function onSubmit(e) {
    e.preventDefault();
    const given = answers();
    const errors = problemsBeforeSending(given);
    const box = $("#form-error");
    if (errors.length) {
      box.textContent = errors.join(" ");
      box.hidden = false;
      const first = $(".check.missing", form);
      (first || box).scrollIntoView({ block: "center" });
      return;
    }
    box.hidden = true;
    const checklist = {};
    Object.entries(given).forEach(([key, a]) => {
      checklist[key] = a.result === "problem" ? { result: "problem", note: a.note } : { result: "ok" };
    });
    const resolves = $$('input[name="resolves"]:checked', form).map((c) => Number(c.value));
    const inspection = {
      facility_id: facility.id,
      level: form.level.value,
      performed_at: new Date().toISOString(),
      checklist,
      grade: form.grade.value,
      notes: form.notes.value.trim(),
      position: here,
      accuracy_confirmed: !!(here && form.accuracy_confirmed.checked),
      unverified_reason: here ? null : (form.unverified_reason.value || null),
      photos: photos.map((p) => ({ position: p.position || here, item: p.item || null })),
      resolves,
    };
    const item = {
      key: newKey(),
      json: JSON.stringify(inspection),
      files: photos.map((p) => ({ name: p.name, blob: p.blob })),
      facilityName: facility.name,
      owner: INSPECTOR,
      created: Date.now(),
      state: "waiting",
    };
    await store.put("outbox", item);
    await store.del("drafts", facility.id).catch(() => {});
    await markPatrolled(facility.id, resolves);
    form.hidden = true;
    const done = $("#step-done");
    done.dataset.key = item.key;
    done.hidden = false;
    $("#done-title").textContent = "已保存在手机上";
    $("#done-text").textContent = navigator.onLine === false
      ? "当前没有网络，记录已保存在手机上，网络恢复后自动提交（关闭本页也会提交），不会重复。"
      : "正在提交…如果没有网络，记录会在网络恢复后自动提交，不会重复。";
    await showOutbox();
    askForSync();
    if (navigator.onLine !== false) send();
  }

  async function markPatrolled(id, resolves) {
    if (!pack) return;
    const f = pack.data.facilities.find((x) => x.id === id);
    if (!f) return;
    f.patrolled_this_month = true;
    f.last_patrol = new Date().toISOString().slice(0, 10);
    f.open_defects = f.open_defects.filter((d) => !resolves.includes(d.id));
    await store.put("pack", pack, "pack").catch(() => {});
  }

  function backToList() {
    form.hidden = true;
    $("#step-done").hidden = true;
    $("#step-pick").hidden = false;
    facility = null;
    showNearby();
  }

  // ---- start -------------------------------------------------------------------------------
  form.addEventListener("change", (e) => {
    if (e.target.type === "radio" && e.target.name.startsWith("c-")) {
      const row = e.target.closest(".check");
      $(".note", row).hidden = e.target.value !== "problem";
      row.classList.remove("missing");
      proposeGrade();
      showPhotos();
    } else if (e.target === form.grade) {
      gradeRaised = GRADES.indexOf(form.grade.value) > GRADES.indexOf(impliedGrade(answers()));
      proposeGrade();
    }
    $("#form-error").hidden = true;
    saveDraft();
  });
  form.addEventListener("input", (e) => { if (e.target.type !== "file") saveDraft(); });
  form.photos.addEventListener("change", onPhotos);
  form.album.addEventListener("change", onPhotos);
  form.addEventListener("submit", onSubmit);
  $("#back").addEventListener("click", backToList);
  $("#again").addEventListener("click", backToList);
  $("#search").addEventListener("submit", (e) => { e.preventDefault(); showNearby(e.target.q.value.trim()); });
  window.addEventListener("online", () => { refreshPack(); send(); });
  setInterval(() => { if ($("#outbox").dataset.waiting !== "0") send(); }, 15000);

  (async function start() {
    if (CSRF) await store.put("meta", CSRF, "csrf").catch(() => {});
    if (INSPECTOR) await store.put("meta", INSPECTOR, "user").catch(() => {});
    watchPosition();
    await loadPack();
    showNearby();
    await showOutbox();
    send();
    const reg = await registerWorker();
    const cached = reg && window.caches ? await caches.match("/inspect") : null;
    document.body.dataset.offlineReady = reg && cached && pack ? "1" : "0";
  })();
})();
