// Forms that talk to the JSON API (repairs, rectification): keyboard-friendly, errors in Chinese next to the field.
// A form carries data-api (URL), data-method (POST/PATCH) and data-kind ("json" or "multipart"); on success the page
// goes to data-next ("{id}" is replaced by the answer's id) or reloads. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.content : "";
  var REASONS = {
    missing: "此项必填", string_too_short: "此项必填", enum: "请从列表中选择", literal_error: "请从列表中选择",
    int_parsing: "请填写整数", date_from_datetime_parsing: "日期格式应为 年-月-日", date_parsing: "日期格式应为 年-月-日",
    greater_than_equal: "数值过小", less_than_equal: "数值过大", string_too_long: "内容过长"
  };
  var FIELD_WORDS = [
    [/must be more than 0/, "金额必须大于 0"], [/more than two decimal places/, "金额最多精确到分（两位小数）"],
    [/not an amount of money/, "请填写金额，如 12345.60"], [/beyond the approved total/, "超出批复总额，需先由管理员登记经批准的调整"],
    [/in the future/, "日期不能晚于今天"], [/before the project's approval/, "日期不能早于项目批准日期"],
    [/say why the deadline is extended/, "延期须说明理由"], [/in the past/, "整改时限不能早于今天"],
    [/required: the project covers several facilities/, "项目涉及多处设施，请选择对应设施"],
    [/unified social credit code|check character/, "统一社会信用代码有误"], [/is before planned_start/, "计划竣工日期早于计划开工日期"],
    [/no photo proves/, "照片未能证明在设施现场拍摄（需含位置信息且距设施不远）"], [/already resolved/, "该问题已整改"],
    [/never below/, "该检查项目的问题不能低于规定的严重程度"], [/name at least one facility/, "请至少选择一处设施或一个问题"],
    [/not a year/, "年份超出范围"], [/overlaps another slot/, "与该设施当天已有的时段重叠"],
    [/must fall within the event/, "日期须在活动期间内"], [/is not a stop of this event/, "该设施不是本活动的祭扫点"],
    [/end must be after start/, "结束时间须晚于开始时间"], [/mobile number/, "请填写手机号码（11位）或带区号的固定电话"],
    [/return_on is before depart_on/, "返回日期早于出发日期"], [/required to complete a trip/, "请填写祭扫结果"], [/unknown value|Input should be/, "请从列表中选择"]
  ];

  function chinese(detail) {
    var msg = String(detail.msg || "");
    for (var i = 0; i < FIELD_WORDS.length; i++) { if (FIELD_WORDS[i][0].test(msg)) { return FIELD_WORDS[i][1]; } }
    if (REASONS[detail.type]) { return REASONS[detail.type]; }
    return "此项有误";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function setNested(target, name, value) {
    var parts = name.split(".");
    var last = parts.pop();
    parts.forEach(function (p) { target = target[p] = target[p] || {}; });
    if (last.slice(-2) === "[]") {
      last = last.slice(0, -2);
      (target[last] = target[last] || []).push(value);
    } else {
      target[last] = value;
    }
  }

  function jsonBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf_token") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.selectedOptions, function (option) {
          setNested(body, el.name, el.getAttribute("data-type") === "int" ? parseInt(option.value, 10) : option.value);
        });
        return;
      }
      var value = el.value;
      if (value === "" && !el.hasAttribute("data-keep-empty")) { return; }
      if (el.getAttribute("data-type") === "int") { value = parseInt(value, 10); }
      setNested(body, el.name, value);
    });
    return JSON.stringify(body);
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var box = form.querySelector(".form-error");
    if (box) { box.textContent = ""; box.hidden = true; }
  }

  function showProblem(form, status, detail) {
    var box = form.querySelector(".form-error");
    var general = [];
    if (Array.isArray(detail)) {
      detail.forEach(function (d) {
        var loc = (d.loc || []).filter(function (p) { return p !== "body" && p !== "query"; });
        var field = loc.filter(function (p) { return typeof p === "string"; }).join(".");
        var slot = null;
        for (var n = loc.length; n > 0 && !slot; n--) {
          var key = loc.slice(0, n).join(".");
          slot = form.querySelector('[data-error-for="' + key + '"]');
        }
        if (!slot && field) { slot = form.querySelector('[data-error-for="' + field.split(".").pop() + '"]'); }
        if (slot) {
          slot.textContent = chinese(d);
          var input = form.querySelector('[name="' + slot.getAttribute("data-error-for") + '"]');
          if (input) { input.setAttribute("aria-invalid", "true"); }
        } else {
          general.push(chinese(d));
        }
      });
    } else if (typeof detail === "string" && /[\u4e00-\u9fff]/.test(detail)) {
      general.push(detail);
    } else if (status === 403) {
      general.push("您的角色不能进行此项操作");
    } else if (status === 404) {
      general.push("记录不存在，或不在您的管辖范围内");
    } else {
      general.push("操作未成功，请检查后重试");
    }
    if (box && general.length) { box.textContent = general.join("；"); box.hidden = false; }
    var first = form.querySelector("[aria-invalid]");
    if (first) { first.focus(); } else if (box && !box.hidden) { box.focus(); }
  }

  function submit(form, event) {
    event.preventDefault();
    clearErrors(form);
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    var multipart = form.getAttribute("data-kind") === "multipart";
    var headers = {"X-CSRF-Token": CSRF, "Idempotency-Key": form.dataset.key};
    var body;
    if (multipart) {
      body = new FormData(form);
      body.delete("csrf_token");
    } else {
      headers["Content-Type"] = "application/json";
      body = jsonBody(form);
    }
    fetch(form.getAttribute("data-api"), {method: form.getAttribute("data-method") || "POST", headers: headers,
                                           body: body, credentials: "same-origin"})
      .then(function (resp) {
        return resp.text().then(function (text) {
          var data = null;
          try { data = JSON.parse(text); } catch (e) { data = null; }
          if (resp.ok) {
            form.dataset.key = uuid();
            var next = form.getAttribute("data-next");
            var id = data && !Array.isArray(data) ? data.id : "";
            if (next) { window.location.assign(next.replace("{id}", id)); } else { window.location.reload(); }
            return;
          }
          if (button) { button.disabled = false; }
          if (resp.status === 422 || resp.status === 409) { form.dataset.key = uuid(); }
          showProblem(form, resp.status, data ? data.detail : null);
        });
      })
      .catch(function () {
        if (button) { button.disabled = false; }
        showProblem(form, 0, "网络连接失败，请稍后重试（重试不会重复登记）");
      });
  }

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    form.dataset.key = uuid();
    form.addEventListener("submit", function (event) { submit(form, event); });
  });
})();
