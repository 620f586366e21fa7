// After "生成家属查看链接": show the private link once (it is not stored, only its hash), instead of reloading.
(function () {
  "use strict";
  var form = document.getElementById("notify-form");
  if (!form) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var days = parseInt(form.querySelector('[name="link_days"]').value, 10) || 90;
    fetch(form.getAttribute("data-api"), {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : ""},
      body: JSON.stringify({to: "notified", link_days: days})})
      .then(function (resp) { return resp.json().then(function (data) { return [resp, data]; }); })
      .then(function (pair) {
        var box = document.getElementById("family-link");
        box.hidden = false;
        if (pair[0].ok && pair[1].family_link) {
          box.textContent = "请将此链接发送给家属（只显示这一次）：" + window.location.origin + pair[1].family_link;
        } else {
          box.textContent = "未能生成链接，请稍后重试";
        }
      });
  });
})();
